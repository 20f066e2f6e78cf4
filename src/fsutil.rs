//! Writing files so that no reader ever sees half of one: write a temporary file beside the target,
//! flush it to disk, then rename it over the target (atomic on one filesystem).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// A file loadgate owns (a baseline, a generated run): a link at `path` is replaced, never
/// followed, so a link planted in a store cannot send the write elsewhere.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    staged(path, false, |file| Ok(file.write_all(bytes)?))?.commit()
}

/// A file written in full but not yet in place: [`Staged::commit`] puts it there; dropped
/// uncommitted, it is removed and the target left as it was. Several outputs are staged first
/// and committed together, so a later one failing replaces none of them.
pub struct Staged {
    target: PathBuf,
    how: Pending,
}

enum Pending {
    /// A temporary file beside the target, renamed over it.
    Temp(tempfile::NamedTempFile),
    /// The target is not a regular file (`/dev/stdout`, a pipe): written straight into at commit.
    Direct(Vec<u8>),
}

/// An output the user named: staged as [`stage_with`].
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    stage_with(path, |file| Ok(file.write_all(bytes)?))
}

/// Where an output asked for at `path` goes: through a symbolic link to its target (the link
/// stays; the file it points to is replaced), and whether that is a device or a pipe.
fn resolve(path: &Path) -> Result<(PathBuf, bool)> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!("{}: is a directory, not a file", path.display()),
        // `/dev/stdout` is a link to `/proc/self/fd/1`, itself a link to a pipe or a terminal:
        // opened by the name given.
        Ok(meta) if !meta.is_file() => return Ok((path.to_path_buf(), true)),
        Ok(_) => {
            let linked = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if !linked {
                return Ok((path.to_path_buf(), false));
            }
            let target = std::fs::canonicalize(path)
                .with_context(|| format!("{}: cannot follow the link", path.display()))?;
            return Ok((target, false));
        }
        // Not there, or a link to a file not there yet: followed link by link.
        Err(_) => {}
    }
    let mut target = path.to_path_buf();
    // A chain of links, each relative to its own directory; a loop is refused by the bound.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&target)
                    .with_context(|| format!("{}: cannot read the link", target.display()))?;
                target = match target.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok((target, false)),
        }
    }
    bail!("{}: too many symbolic links", path.display())
}

/// An output the user named, `write` streaming into it (buffered): a link at `path` is written
/// through to the file it points to (the link stays), a device or a pipe (`/dev/stdout`) is
/// written into; anything else is replaced whole at [`Staged::commit`].
pub fn stage_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<Staged> {
    staged(path, true, write)
}

fn staged(
    path: &Path,
    follow: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<Staged> {
    let (target, device) = if follow {
        resolve(path)?
    } else {
        (path.to_path_buf(), false)
    };
    if device {
        let mut bytes = Vec::new();
        write(&mut bytes).with_context(|| format!("{}: cannot write", path.display()))?;
        return Ok(Staged {
            target,
            how: Pending::Direct(bytes),
        });
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
    clean_stale_temps(&dir);
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    // Temporary files are created 0600; a report or baseline should read like any other file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = temp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, temp.as_file_mut());
    write(&mut buffered)
        .and_then(|()| Ok(buffered.flush()?))
        .with_context(|| format!("{}: cannot write", path.display()))?;
    drop(buffered);
    temp.as_file()
        .sync_all()
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(Staged {
        target,
        how: Pending::Temp(temp),
    })
}

impl Staged {
    /// Puts the file in place: renamed over the target, or written into a device.
    pub fn commit(self) -> Result<()> {
        match self.how {
            Pending::Temp(temp) => {
                temp.persist(&self.target).with_context(|| {
                    format!("{}: cannot replace the file", self.target.display())
                })?;
            }
            Pending::Direct(bytes) => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.target)
                    .with_context(|| format!("{}: cannot open", self.target.display()))?;
                file.write_all(&bytes)
                    .and_then(|()| file.flush())
                    .with_context(|| format!("{}: cannot write", self.target.display()))?;
            }
        }
        Ok(())
    }
}

const TEMP_PREFIX: &str = ".loadgate-";
const TEMP_SUFFIX: &str = ".tmp";

/// A temporary file older than this was left by a write that was killed: no write takes an hour.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes `.loadgate-*.tmp` files a killed write left in `dir` more than an hour ago. Best
/// effort: what cannot be read or removed stays.
fn clean_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
