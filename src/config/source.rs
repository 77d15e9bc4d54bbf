//! Where configuration files come from: a directory on disk (`scimform -C DIR`) or files
//! held in memory (the demo's embedded example, tests). Both answer the same two
//! questions — the text of a file, and which files an include pattern matches — so the
//! loader treats them alike.
//!
//! Reading refuses files over [`max_file_bytes`] before reading them, and files that are
//! not UTF-8 with the line and column of the first bad byte. Nothing here parses YAML.

use std::path::{Path, PathBuf};

use super::diagnostic::ConfigError;
use super::glob::{Expansion, PathPattern};
use super::kind::ConfigErrorKind;
use super::origin::{Loc, SourceFile};

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The variable that lowers [`MAX_FILE_BYTES`] for a run (tests exercise export's file
/// splitting with it, without 16 MiB fixtures). It can only lower the limit: a value
/// above it, zero or not a number is ignored.
pub const MAX_FILE_BYTES_ENV: &str = "SCIMFORM_MAX_FILE_BYTES";

/// The size limit of one configuration file in this run: [`MAX_FILE_BYTES`], or lower
/// when [`MAX_FILE_BYTES_ENV`] says so. Export splits its files to stay under it.
pub fn max_file_bytes() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var(MAX_FILE_BYTES_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&v| v > 0)
            .map_or(MAX_FILE_BYTES, |v| v.min(MAX_FILE_BYTES))
    })
}

/// A set of configuration files, addressed by paths relative to the config directory.
pub(super) trait Source: Sync {
    /// The file at `rel`, as `display` names it.
    fn read(&self, rel: &str) -> Result<SourceFile, ConfigError>;
    /// The files that `pattern` matches, sorted, and the matching names that are not
    /// files; an error message if the search failed.
    fn expand(&self, pattern: &PathPattern) -> Result<Expansion, String>;
    /// What diagnostics call the file at `rel`.
    fn display(&self, rel: &str) -> String;
    /// Whether the file at `rel` really lies inside the config directory (a symbolic
    /// link may point elsewhere).
    fn inside(&self, rel: &str) -> bool;
}

/// A config directory on disk.
pub(super) struct DirSource {
    dir: PathBuf,
}

impl DirSource {
    pub(super) fn new(dir: &Path) -> DirSource {
        DirSource {
            dir: dir.to_path_buf(),
        }
    }
}

impl Source for DirSource {
    fn read(&self, rel: &str) -> Result<SourceFile, ConfigError> {
        let path = self.dir.join(rel);
        let display = self.display(rel);
        let unreadable = |what: String, help: &str| {
            ConfigError::new(ConfigErrorKind::Unreadable, what).help(help.to_string())
        };
        let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound if rel == super::load::ROOT_FILE => unreadable(
                format!("no configuration file at {display}"),
                "create scimform.yaml there, or point at the directory that holds it with `-C DIR`",
            ),
            _ => unreadable(
                format!("cannot read {display}: {e}"),
                "check that the file exists and that its permissions let you read it",
            ),
        })?;
        if !meta.is_file() {
            return Err(unreadable(
                format!("{display} is not a file"),
                "point `-C` at the directory that holds scimform.yaml",
            ));
        }
        if meta.len() > max_file_bytes() {
            return Err(too_large(&display, meta.len()));
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            unreadable(
                format!("cannot read {display}: {e}"),
                "check the file's permissions",
            )
        })?;
        // The size may have changed between the two calls.
        if bytes.len() as u64 > max_file_bytes() {
            return Err(too_large(&display, bytes.len() as u64));
        }
        text_of(display, bytes)
    }

    fn expand(&self, pattern: &PathPattern) -> Result<Expansion, String> {
        pattern.expand_in(&self.dir)
    }

    fn display(&self, rel: &str) -> String {
        if self.dir == Path::new(".") || self.dir.as_os_str().is_empty() {
            rel.to_string()
        } else {
            self.dir.join(rel).display().to_string()
        }
    }

    fn inside(&self, rel: &str) -> bool {
        let (Ok(dir), Ok(file)) = (
            std::fs::canonicalize(&self.dir),
            std::fs::canonicalize(self.dir.join(rel)),
        ) else {
            // A file that cannot be resolved is reported when it is read.
            return true;
        };
        file.starts_with(dir)
    }
}

/// Configuration files held in memory.
pub(super) struct MemorySource {
    /// What diagnostics put before a relative path ("" for none).
    root: String,
    files: Vec<(String, String)>,
}

impl MemorySource {
    pub(super) fn new(root: &str, files: &[(&str, &str)]) -> MemorySource {
        let root = root.trim_end_matches('/');
        MemorySource {
            root: if root == "." {
                String::new()
            } else {
                root.to_string()
            },
            files: files
                .iter()
                .map(|(path, text)| (normalise(path), (*text).to_string()))
                .collect(),
        }
    }
}

/// A relative path with `/` separators and no `.` segments.
fn normalise(path: &str) -> String {
    path.split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

impl Source for MemorySource {
    fn read(&self, rel: &str) -> Result<SourceFile, ConfigError> {
        let display = self.display(rel);
        let Some((_, text)) = self.files.iter().find(|(path, _)| path == rel) else {
            return Err(ConfigError::new(
                ConfigErrorKind::Unreadable,
                format!("no configuration file at {display}"),
            )
            .help("add the file to the list of files given to the loader"));
        };
        if text.len() as u64 > max_file_bytes() {
            return Err(too_large(&display, text.len() as u64));
        }
        Ok(SourceFile::new(display, text.as_str()))
    }

    fn expand(&self, pattern: &PathPattern) -> Result<Expansion, String> {
        let mut found: Vec<String> = self
            .files
            .iter()
            .map(|(path, _)| path)
            .filter(|path| pattern.matches(path))
            .cloned()
            .collect();
        found.sort();
        found.dedup();
        Ok(Expansion::of_files(found))
    }

    fn display(&self, rel: &str) -> String {
        if self.root.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.root)
        }
    }

    fn inside(&self, _rel: &str) -> bool {
        true
    }
}

/// A single file in memory whose display name is given as is (`load_str`).
pub(super) struct SingleSource {
    pub display: String,
    pub text: String,
}

impl Source for SingleSource {
    fn read(&self, _rel: &str) -> Result<SourceFile, ConfigError> {
        if self.text.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large(&self.display, self.text.len() as u64));
        }
        Ok(SourceFile::new(self.display.as_str(), self.text.as_str()))
    }

    fn expand(&self, _pattern: &PathPattern) -> Result<Expansion, String> {
        Ok(Expansion::default())
    }

    fn display(&self, rel: &str) -> String {
        rel.to_string()
    }

    fn inside(&self, _rel: &str) -> bool {
        true
    }
}

fn too_large(display: &str, bytes: u64) -> ConfigError {
    ConfigError::new(
        ConfigErrorKind::TooLarge,
        format!(
            "{display} is {bytes} bytes, over the limit of {} bytes{}",
            max_file_bytes(),
            if max_file_bytes() == MAX_FILE_BYTES {
                " (16 MiB)".to_string()
            } else {
                format!(" (lowered by {MAX_FILE_BYTES_ENV})")
            }
        ),
    )
    .help("split the users and groups over several files and list them under `include:`")
}

/// The bytes as text, or an error that points at the first byte that is not UTF-8.
pub(super) fn text_of(display: String, bytes: Vec<u8>) -> Result<SourceFile, ConfigError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(display, text)),
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let before = String::from_utf8_lossy(&bytes[..at]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            // Show the file with the bad bytes replaced, pointing at the first of them.
            let shown = String::from_utf8_lossy(&bytes).into_owned();
            let file = SourceFile::new(display.as_str(), shown);
            let loc = Loc {
                offset: u32::try_from(at).unwrap_or(u32::MAX),
                len: u32::try_from('\u{FFFD}'.len_utf8()).unwrap_or(1),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            };
            Err(ConfigError::new(
                ConfigErrorKind::NotUtf8,
                format!(
                    "the file is not valid UTF-8 (first bad byte at line {line}, column {column})"
                ),
            )
            .at_loc(&file, loc, "not UTF-8")
            .help("save the file as UTF-8 (without a BOM); scimform reads no other encoding"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_located() {
        let error = text_of("x.yaml".into(), b"users:\n  - userName: a\xff@b\n".to_vec())
            .expect_err("not UTF-8");
        assert_eq!(error.kind, ConfigErrorKind::NotUtf8);
        assert_eq!(error.location().as_deref(), Some("x.yaml:2:16"));
    }

    #[test]
    fn memory_sources_match_patterns_against_their_paths() {
        let source = MemorySource::new(
            "examples/acme",
            &[("scimform.yaml", ""), ("./users/a.yaml", "")],
        );
        let pattern = PathPattern::parse("users/*.yaml").expect("pattern");
        assert_eq!(
            source.expand(&pattern).map(|e| e.files),
            Ok(vec!["users/a.yaml".to_string()])
        );
        assert_eq!(source.display("users/a.yaml"), "examples/acme/users/a.yaml");
        assert!(source.read("users/a.yaml").is_ok());
        assert!(source.read("users/b.yaml").is_err());
    }
}
