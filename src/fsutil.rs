//! Writing files so that no reader ever sees half of one: write a temporary file beside the target,
//! flush it to disk, then rename it over the target (atomic on one filesystem).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| Ok(file.write_all(bytes)?))
}

/// [`write_atomic`] for output too large to hold in memory: `write` streams into the temporary
/// file (buffered), which replaces `path` only when all of it is written.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".loadgate-")
        .suffix(".tmp")
        .tempfile_in(dir)
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
    temp.persist(path)
        .with_context(|| format!("{}: cannot replace the file", path.display()))?;
    Ok(())
}
