//! Writing an export into its directory all at once, or not at all.
//!
//! Every file is first written into a staging directory inside the output directory (so
//! on the same filesystem, and hidden: its name starts with `.`, which include patterns
//! skip), then each is renamed into place, the file it replaces (with `--force`) moved
//! aside into the staging directory. If anything fails, what was renamed is put back,
//! the directories made for the export are removed, and the staging directory with
//! them: the output directory is left as it was. Nothing is replaced without `force`.
//!
//! [`Staged`] is the streaming form: files are written piece by piece (from several
//! threads if need be), entries may first go to *spools* — scratch files in the staging
//! directory that staged files then copy ranges of — and [`Staged::commit`] puts the
//! files in place. [`write_files`] writes files held in memory through it. Every byte of
//! text that reaches a file passes [`crate::secret::redact_bytes`] once, on its way in
//! (a server that echoes the token into a value must not get it written to a file);
//! copies from a spool copy text that was redacted on its way into the spool.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Seek as _, SeekFrom, Write as _};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ExportedFile;

/// Why an export was not written. In every case the output directory is as it was.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WriteError {
    #[error("export would overwrite {}; nothing was written", Paths(.0))]
    #[diagnostic(
        code(export::exists),
        help("choose an empty --out-dir, or pass --force to overwrite")
    )]
    Exists(Vec<PathBuf>),
    #[error("cannot write {}: {error}; nothing was written", .path.display())]
    #[diagnostic(
        code(export::write),
        help("check that the output directory is writable and that the disk has room")
    )]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "cannot write `{path}`: not a relative path of plain names of at most 255 bytes; nothing was written"
    )]
    #[diagnostic(code(export::path))]
    Path { path: String },
}

/// Paths, comma-separated, for a message.
struct Paths<'a>(&'a [PathBuf]);

impl fmt::Display for Paths<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, path) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", path.display())?;
        }
        Ok(())
    }
}

/// Write `files` (paths relative to `out_dir`) into `out_dir`, creating it if need be:
/// all of them, or — on any error — none, leaving `out_dir` as it was. Existing files are
/// replaced only with `force`.
pub fn write_files(out_dir: &Path, files: &[ExportedFile], force: bool) -> Result<(), WriteError> {
    for file in files {
        check_path(&file.path)?;
    }
    if !force {
        check_free(out_dir, files.iter().map(|f| f.path.as_str()))?;
    }
    let staged = Staged::begin(out_dir, force)?;
    for file in files {
        let mut staged_file = staged.file(&file.path)?;
        staged_file.write_text(&file.text)?;
        staged_file.finish()?;
    }
    staged.commit().map(|_| ())
}

/// [`WriteError::Exists`] when any of `rels` is in `out_dir` already.
pub(super) fn check_free<'r>(
    out_dir: &Path,
    rels: impl Iterator<Item = &'r str>,
) -> Result<(), WriteError> {
    let existing: Vec<PathBuf> = rels
        .map(|rel| out_dir.join(rel))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if existing.is_empty() {
        Ok(())
    } else {
        Err(WriteError::Exists(existing))
    }
}

fn check_path(rel: &str) -> Result<(), WriteError> {
    if is_plain_relative(rel) {
        Ok(())
    } else {
        Err(WriteError::Path {
            path: rel.to_string(),
        })
    }
}

/// An export being written: files staged, then put in place by [`commit`](Self::commit)
/// all at once. Dropped without a commit (an error anywhere), it removes what it staged
/// and the directories it made.
pub(super) struct Staged {
    out_dir: PathBuf,
    force: bool,
    staging: Option<Staging>,
    made: Made,
    /// The paths staged so far (relative to `out_dir`).
    paths: Mutex<BTreeSet<String>>,
    spools: AtomicUsize,
    committed: bool,
}

impl Staged {
    /// Make `out_dir` if need be, and a staging directory in it.
    pub(super) fn begin(out_dir: &Path, force: bool) -> Result<Staged, WriteError> {
        let mut made = Made::default();
        let staging = made
            .dir_all(out_dir)
            .and_then(|()| Staging::new(out_dir))
            .inspect_err(|_| made.undo())?;
        Ok(Staged {
            out_dir: out_dir.to_path_buf(),
            force,
            staging: Some(staging),
            made,
            paths: Mutex::new(BTreeSet::new()),
            spools: AtomicUsize::new(0),
            committed: false,
        })
    }

    fn staging(&self) -> &Staging {
        // Set from `begin` until the drop.
        self.staging.as_ref().expect("a staging directory")
    }

    /// A new scratch file for entries, never put in place.
    pub(super) fn spool(&self) -> Result<SpoolWriter, WriteError> {
        let number = self.spools.fetch_add(1, Ordering::Relaxed);
        let path = self.staging().spool_path(number);
        let io = |error| WriteError::Io {
            path: path.clone(),
            error,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = File::create(&path).map_err(io)?;
        Ok(SpoolWriter {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            path,
            len: 0,
        })
    }

    /// Start the file `rel` (relative to the output directory); each path once.
    pub(super) fn file(&self, rel: &str) -> Result<StagedFile, WriteError> {
        check_path(rel)?;
        let target = self.out_dir.join(rel);
        let io = |error| WriteError::Io {
            path: target.clone(),
            error,
        };
        let fresh = self
            .paths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(rel.to_string());
        if !fresh {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the export names this file twice",
            )));
        }
        let staged = self.staging().new_path(rel);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = File::create(&staged).map_err(io)?;
        Ok(StagedFile {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            target,
        })
    }

    /// Put every staged file in place — all of them, or (on any error, or when a file
    /// would replace one and `force` is not set) none; the paths, sorted.
    pub(super) fn commit(mut self) -> Result<Vec<String>, WriteError> {
        let rels: Vec<String> = std::mem::take(
            &mut *self
                .paths
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_iter()
        .collect();
        if !self.force {
            check_free(&self.out_dir, rels.iter().map(String::as_str))?;
        }
        let staging = self.staging.take().expect("a staging directory");
        let result = place_all(&self.out_dir, &staging, &rels, &mut self.made);
        staging.remove();
        result?;
        self.committed = true;
        Ok(rels)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            staging.remove();
        }
        if !self.committed {
            self.made.undo();
        }
    }
}

/// The buffer of each file being written.
const WRITE_BUFFER: usize = 256 * 1024;

/// Entries on their way into a spool.
pub(super) struct SpoolWriter {
    out: BufWriter<File>,
    path: PathBuf,
    len: u64,
}

impl SpoolWriter {
    /// Append `text` (whole lines, so that no secret is cut in two); the spool's length.
    pub(super) fn push(&mut self, text: &str) -> Result<u64, WriteError> {
        debug_assert!(text.is_empty() || text.ends_with('\n'), "{text:?}");
        let text = crate::secret::redact_bytes(text.as_bytes());
        self.out.write_all(&text).map_err(|error| WriteError::Io {
            path: self.path.clone(),
            error,
        })?;
        self.len += text.len() as u64;
        Ok(self.len)
    }

    /// Done: the spool, closed, to be copied from.
    pub(super) fn finish(mut self) -> Result<Spool, WriteError> {
        self.out.flush().map_err(|error| WriteError::Io {
            path: self.path.clone(),
            error,
        })?;
        Ok(Spool { path: self.path })
    }
}

/// A written spool.
#[derive(Debug)]
pub(super) struct Spool {
    path: PathBuf,
}

/// A file being staged.
pub(super) struct StagedFile {
    out: BufWriter<File>,
    /// Where it goes (for messages).
    target: PathBuf,
}

impl StagedFile {
    fn io(&self) -> impl Fn(std::io::Error) -> WriteError + '_ {
        |error| WriteError::Io {
            path: self.target.clone(),
            error,
        }
    }

    /// Append `text` (whole lines).
    pub(super) fn write_text(&mut self, text: &str) -> Result<(), WriteError> {
        let text = crate::secret::redact_bytes(text.as_bytes());
        self.out.write_all(&text).map_err(|e| (self.io())(e))
    }

    /// Append bytes `range` of `spool`.
    pub(super) fn copy(&mut self, spool: &Spool, range: Range<u64>) -> Result<(), WriteError> {
        let read_error = |error| WriteError::Io {
            path: spool.path.clone(),
            error,
        };
        let mut from = File::open(&spool.path).map_err(read_error)?;
        from.seek(SeekFrom::Start(range.start))
            .map_err(read_error)?;
        let wanted = range.end - range.start;
        let copied = std::io::copy(&mut std::io::Read::take(from, wanted), &mut self.out)
            .map_err(|e| (self.io())(e))?;
        if copied == wanted {
            Ok(())
        } else {
            Err(read_error(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the spool is shorter than written",
            )))
        }
    }

    /// Done: flushed and on disk.
    pub(super) fn finish(self) -> Result<(), WriteError> {
        let file = self.out.into_inner().map_err(|e| WriteError::Io {
            path: self.target.clone(),
            error: e.into_error(),
        })?;
        file.sync_all().map_err(|error| WriteError::Io {
            path: self.target.clone(),
            error,
        })
    }
}

/// Whether `path` is relative, made only of plain names (no `..`, no root, no drive),
/// each short enough for any filesystem.
fn is_plain_relative(path: &str) -> bool {
    let path = Path::new(path);
    path.components().next().is_some()
        && path.components().all(|c| match c {
            Component::Normal(name) => name.len() <= 255,
            _ => false,
        })
}

/// Directories made for this export, outermost first, removed again on failure.
#[derive(Default)]
struct Made {
    dirs: Vec<PathBuf>,
}

impl Made {
    /// `create_dir_all`, remembering which directories did not exist before.
    fn dir_all(&mut self, dir: &Path) -> Result<(), WriteError> {
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(path) = at.filter(|p| !p.as_os_str().is_empty()) {
            if path.symlink_metadata().is_ok() {
                break;
            }
            missing.push(path.to_path_buf());
            at = path.parent();
        }
        for path in missing.into_iter().rev() {
            match std::fs::create_dir(&path) {
                Ok(()) => self.dirs.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
                Err(error) => return Err(WriteError::Io { path, error }),
            }
        }
        Ok(())
    }

    /// Remove the directories made (innermost first; only those left empty).
    fn undo(&mut self) {
        for dir in self.dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// The staging directory: `new/` holds the files to put in place, `old/` the files they
/// replace until the export is complete, `spool/` scratch files.
struct Staging {
    dir: PathBuf,
}

impl Staging {
    fn new(out_dir: &Path) -> Result<Staging, WriteError> {
        let mut attempt = 0u32;
        loop {
            let dir = out_dir.join(format!(".scimform-export-{}-{attempt}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Staging { dir }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                    attempt += 1;
                }
                Err(error) => return Err(WriteError::Io { path: dir, error }),
            }
        }
    }

    fn new_path(&self, rel: &str) -> PathBuf {
        self.dir.join("new").join(rel)
    }

    fn spool_path(&self, number: usize) -> PathBuf {
        self.dir.join("spool").join(number.to_string())
    }

    fn old_path(&self, rel: &str) -> PathBuf {
        self.dir.join("old").join(rel)
    }

    fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One file put in place: whether it replaced one (now in the staging `old/`).
struct Placed<'a> {
    rel: &'a str,
    replaced: bool,
}

/// Put the staged files `rels` in place, undoing it all on the first failure.
fn place_all(
    out_dir: &Path,
    staging: &Staging,
    rels: &[String],
    made: &mut Made,
) -> Result<(), WriteError> {
    let mut placed: Vec<Placed<'_>> = Vec::with_capacity(rels.len());
    for rel in rels {
        match place(out_dir, staging, rel, made) {
            Ok(replaced) => placed.push(Placed { rel, replaced }),
            Err(error) => {
                for done in placed.into_iter().rev() {
                    let target = out_dir.join(done.rel);
                    let _ = std::fs::remove_file(&target);
                    if done.replaced {
                        let _ = std::fs::rename(staging.old_path(done.rel), &target);
                    }
                }
                return Err(error);
            }
        }
    }
    Ok(())
}

/// Rename one staged file into place, moving a file it replaces aside; whether it did.
/// On failure, the file it would replace is where it was.
fn place(
    out_dir: &Path,
    staging: &Staging,
    rel: &str,
    made: &mut Made,
) -> Result<bool, WriteError> {
    let target = out_dir.join(rel);
    let io = |error| WriteError::Io {
        path: target.clone(),
        error,
    };
    if let Some(parent) = target.parent() {
        made.dir_all(parent)?;
    }
    let replaced = match target.symlink_metadata() {
        Ok(meta) if meta.is_dir() => {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a directory is in the way",
            )));
        }
        Ok(_) => {
            let old = staging.old_path(rel);
            if let Some(parent) = old.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::rename(&target, &old).map_err(io)?;
            true
        }
        Err(_) => false,
    };
    if let Err(error) = std::fs::rename(staging.new_path(rel), &target) {
        if replaced {
            let _ = std::fs::rename(staging.old_path(rel), &target);
        }
        return Err(io(error));
    }
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> ExportedFile {
        ExportedFile {
            path: path.into(),
            text: text.into(),
        }
    }

    /// Every path under `dir` with its content (directories as `/`).
    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at).expect("read dir").flatten() {
                let path = entry.path();
                let rel = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    out.push((rel, "/".to_string()));
                    stack.push(path);
                } else {
                    out.push((rel, std::fs::read_to_string(&path).expect("read")));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn writes_every_file_into_a_new_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("a/b");
        let files = [file("scimform.yaml", "x"), file("users/eng.yaml", "y")];
        write_files(&out, &files, false).expect("written");
        assert_eq!(
            tree(&out),
            [
                ("scimform.yaml".to_string(), "x".to_string()),
                ("users".to_string(), "/".to_string()),
                ("users/eng.yaml".to_string(), "y".to_string()),
            ]
        );
    }

    #[test]
    fn existing_files_are_kept_without_force_and_replaced_with_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("scimform.yaml"), "mine").expect("write");
        let files = [file("groups.yaml", "g"), file("scimform.yaml", "new")];
        let error = write_files(dir.path(), &files, false).expect_err("exists");
        assert!(
            matches!(error, WriteError::Exists(ref p) if p.len() == 1),
            "{error}"
        );
        assert_eq!(tree(dir.path()), [("scimform.yaml".into(), "mine".into())]);
        write_files(dir.path(), &files, true).expect("forced");
        assert_eq!(
            tree(dir.path()),
            [
                ("groups.yaml".into(), "g".into()),
                ("scimform.yaml".into(), "new".into())
            ]
        );
    }

    #[test]
    fn a_failure_leaves_the_directory_as_it_was() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("scimform.yaml"), "mine").expect("write");
        std::fs::create_dir_all(dir.path().join("groups.yaml")).expect("a directory in the way");
        let before = tree(dir.path());
        // The first file replaces one, the second cannot be put in place.
        let files = [
            file("scimform.yaml", "new"),
            file("users/a.yaml", "a"),
            file("groups.yaml", "g"),
        ];
        let error = write_files(dir.path(), &files, true).expect_err("a directory is in the way");
        assert!(matches!(error, WriteError::Io { .. }), "{error}");
        assert_eq!(tree(dir.path()), before);
    }

    #[test]
    fn a_name_too_long_writes_nothing_and_makes_no_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let long = format!("users/{}.yaml", "x".repeat(300));
        let files = [file("scimform.yaml", "x"), file(&long, "y")];
        let error = write_files(&out, &files, false).expect_err("too long");
        assert!(matches!(error, WriteError::Path { .. }), "{error}");
        assert!(!out.exists());
        // A name the filesystem refuses (over its own limit, under ours) likewise.
        let files = [file("scimform.yaml", "x"), file("users/\u{0}.yaml", "y")];
        assert!(write_files(&out, &files, false).is_err());
        assert!(!out.exists(), "{:?}", tree(dir.path()));
    }

    #[test]
    fn staged_files_copy_from_spools_and_leave_nothing_without_a_commit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let stage = |commit: bool| -> Result<(), WriteError> {
            let staged = Staged::begin(&out, false)?;
            let mut spool = staged.spool()?;
            let first = spool.push("a: 1\n")?;
            let end = spool.push("b: 2\n")?;
            let spool = spool.finish()?;
            let mut file = staged.file("users/x.yaml")?;
            file.write_text("users:\n")?;
            file.copy(&spool, first..end)?;
            file.finish()?;
            assert!(
                staged.file("users/x.yaml").is_err(),
                "a path is staged once"
            );
            if commit {
                staged.commit()?;
            }
            Ok(())
        };
        stage(false).expect("staged");
        assert!(!out.exists(), "{:?}", tree(dir.path()));
        stage(true).expect("committed");
        assert_eq!(
            tree(&out),
            [
                ("users".to_string(), "/".to_string()),
                ("users/x.yaml".to_string(), "users:\nb: 2\n".to_string()),
            ]
        );
        let again = stage(true).expect_err("exists");
        assert!(matches!(again, WriteError::Exists(_)), "{again}");
        assert_eq!(tree(&out).len(), 2);
    }

    #[test]
    fn paths_must_stay_inside() {
        for path in ["../x.yaml", "/etc/x", "", "a/../../b", "./"] {
            assert!(!is_plain_relative(path), "{path}");
        }
        assert!(is_plain_relative("users/a.yaml"));
    }
}
