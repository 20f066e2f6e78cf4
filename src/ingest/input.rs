//! Opening what the user named for the readers of other tools' files: a file, gunzipped when it is
//! gzip whatever its name (k6 writes `--out json=results.json.gz`), or `-`, standard input, read
//! once and kept (a pipe cannot be read twice).

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::ingest::error::InputError;

/// How much of the (decompressed) start of a file is looked at to tell its format.
pub const HEAD_BYTES: u64 = 64 * 1024;

/// `-`: standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// An opened input: the first [`HEAD_BYTES`] to tell the format by, and a reader of the whole.
pub struct Opened {
    pub head: Vec<u8>,
    pub reader: Box<dyn BufRead>,
    pub gzip: bool,
}

static STDIN: OnceLock<Result<Arc<Vec<u8>>, String>> = OnceLock::new();

/// Standard input, read to its end the first time it is asked for.
pub fn stdin_bytes() -> Result<Arc<Vec<u8>>, InputError> {
    STDIN
        .get_or_init(|| {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map(|_| Arc::new(bytes))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| InputError::file(Path::new("-"), format!("cannot read standard input: {e}")))
}

/// Opens `path` (or standard input for `-`).
pub fn open(path: &Path) -> Result<Opened, InputError> {
    let raw: Box<dyn Read> = if is_stdin(path) {
        let bytes = stdin_bytes()?;
        Box::new(Cursor::new(ArcBytes(bytes)))
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                format!("cannot read the file: {e}")
            };
            InputError::file(path, why)
        })?;
        Box::new(file)
    };
    let mut raw = BufReader::with_capacity(256 * 1024, raw);
    let magic = raw
        .fill_buf()
        .map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    let mut inner: Box<dyn Read> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut head = Vec::new();
    inner
        .by_ref()
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| read_error(path, gzip, &e))?;
    let reader = Box::new(BufReader::with_capacity(
        256 * 1024,
        Cursor::new(head.clone()).chain(inner),
    ));
    Ok(Opened { head, reader, gzip })
}

/// The error for a failed read: a damaged gzip stream says so.
pub fn read_error(path: &Path, gzip: bool, e: &std::io::Error) -> InputError {
    if gzip {
        InputError::file(
            path,
            format!("the gzip stream is damaged or cut short ({e})"),
        )
    } else {
        InputError::file(path, format!("cannot read the file: {e}"))
    }
}

/// Shared standard-input bytes as a `Cursor`'s buffer.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_is_opened_whatever_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"type\":\"Point\"}\nsecond line\n")
            .unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let mut opened = open(&path).unwrap();
        assert!(opened.gzip);
        assert!(opened.head.starts_with(b"{\"type\""));
        let mut text = String::new();
        opened.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"type\":\"Point\"}\nsecond line\n");
    }

    #[test]
    fn a_cut_gzip_stream_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&vec![b'x'; 100_000]).unwrap();
        let bytes = gz.finish().unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = match open(&path) {
            Err(e) => e,
            Ok(mut o) => {
                let mut sink = Vec::new();
                o.reader
                    .read_to_end(&mut sink)
                    .map_err(|e| read_error(&path, true, &e))
                    .unwrap_err()
            }
        };
        assert!(err.to_string().contains("gzip"), "{err}");
    }
}
