//! Writing an export into its directory all at once, or not at all.
//!
//! Every file is first written into a staging directory inside the output directory (so
//! on the same filesystem, and hidden: its name starts with `.`, which include patterns
//! skip), then each is renamed into place, the file it replaces (with `--force`) moved
//! aside into the staging directory. If anything fails, what was renamed is put back,
//! the directories made for the export are removed, and the staging directory with
//! them: the output directory is left as it was. Nothing is replaced without `force`.

use std::fmt;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

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
        if !is_plain_relative(&file.path) {
            return Err(WriteError::Path {
                path: file.path.clone(),
            });
        }
    }
    if !force {
        let existing: Vec<PathBuf> = files
            .iter()
            .map(|f| out_dir.join(&f.path))
            .filter(|p| p.symlink_metadata().is_ok())
            .collect();
        if !existing.is_empty() {
            return Err(WriteError::Exists(existing));
        }
    }
    let mut made = Made::default();
    let result = made
        .dir_all(out_dir)
        .and_then(|()| Staging::new(out_dir))
        .and_then(|staging| {
            let result = write_all(out_dir, &staging, files, &mut made);
            staging.remove();
            result
        });
    if result.is_err() {
        made.undo();
    }
    result
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
/// replace until the export is complete.
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

fn write_all(
    out_dir: &Path,
    staging: &Staging,
    files: &[ExportedFile],
    made: &mut Made,
) -> Result<(), WriteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| WriteError::Io { path, error }
    };
    // Stage every file first: most failures (a full disk, a name too long) happen here,
    // before anything in the output directory changed.
    for file in files {
        let staged = staging.new_path(&file.path);
        let target = out_dir.join(&file.path);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).map_err(io(&target))?;
        }
        let mut out = std::fs::File::create(&staged).map_err(io(&target))?;
        // A server that echoes the token into a value must not get it written to a file.
        out.write_all(&crate::secret::redact_bytes(file.text.as_bytes()))
            .map_err(io(&target))?;
        out.sync_all().map_err(io(&target))?;
    }
    // Then put them in place, undoing it all on the first failure.
    let mut placed: Vec<Placed<'_>> = Vec::with_capacity(files.len());
    for file in files {
        match place(out_dir, staging, &file.path, made) {
            Ok(replaced) => placed.push(Placed {
                rel: &file.path,
                replaced,
            }),
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
    fn paths_must_stay_inside() {
        for path in ["../x.yaml", "/etc/x", "", "a/../../b", "./"] {
            assert!(!is_plain_relative(path), "{path}");
        }
        assert!(is_plain_relative("users/a.yaml"));
    }
}
