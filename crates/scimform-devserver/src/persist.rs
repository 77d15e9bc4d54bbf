//! The optional data file: reading a snapshot at start and writing one after every
//! successful mutation, atomically (a temporary file in the same directory, flushed, then
//! renamed over the target).
//!
//! Owns the file format's encoding (pretty JSON of `store::Snapshot`) and the I/O. It must
//! not interpret the data — `Store::from_snapshot` checks it — and must never leave a
//! half-written data file behind.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::store::Snapshot;

/// Why the data file could not be used at start.
#[derive(Debug)]
pub(crate) enum LoadError {
    Read(io::Error),
    Invalid(String),
}

/// The snapshot in `path`, or `None` when there is no such file yet.
pub(crate) fn load(path: &Path) -> Result<Option<Snapshot>, LoadError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LoadError::Read(e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| LoadError::Invalid(e.to_string()))
}

/// Writes `snapshot` to `path` atomically.
pub(crate) fn save(path: &Path, snapshot: &Snapshot) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(snapshot).map_err(io::Error::other)?;
    bytes.push(b'\n');
    let tmp = temp_path(path);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// `dir/.name.tmp-<pid>-<n>` next to `path`, so the rename stays on one file system.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map_or_else(
        || "data.json".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SNAPSHOT_FORMAT;

    #[test]
    fn save_then_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data.json");
        assert!(matches!(load(&path), Ok(None)));
        let snap = Snapshot {
            format: SNAPSHOT_FORMAT.into(),
            users: Vec::new(),
            groups: Vec::new(),
            atlassian: None,
        };
        save(&path, &snap).expect("saved");
        assert!(matches!(load(&path), Ok(Some(s)) if s == snap));
        let leftovers = std::fs::read_dir(dir.path()).expect("lists").count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        std::fs::write(&path, "{not json").expect("writes");
        assert!(matches!(load(&path), Err(LoadError::Invalid(_))));
    }
}
