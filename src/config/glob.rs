//! Glob patterns, small and dependency-free: `include:` paths (`*` and `?` within one
//! path segment, `**` for any number of directories) and `policy.ignore` names (`*` and
//! `?` over the whole name, case-insensitive).
//!
//! Path patterns follow the shell's convention that a wildcard does not match a leading
//! `.` (so `*` skips `.git` and editor backups such as `.users.yaml.swp`); name a hidden
//! file or directory literally to include it. A matching name that is not a regular file
//! (a symbolic link that points nowhere or into a loop, a FIFO, a socket, a device) is
//! not skipped but listed apart, so that the loader can say so: a silently skipped file
//! is a silently missing part of the directory. This module matches and walks
//! directories; it does not read files or decide what an unmatched pattern means (that
//! is `load`).

use super::names::fold_char;
use std::path::Path;

/// The most directory entries one pattern may visit (a pattern at the root of a huge
/// tree fails instead of hanging).
const MAX_VISITED: usize = 200_000;

/// A parsed `include:` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PathPattern {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: zero or more directories.
    AnyDirs,
    /// A name, possibly with `*` and `?`.
    Name(Vec<char>),
}

/// What a pattern matches in a directory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Expansion {
    /// Regular files and symbolic links to them, as sorted relative paths with `/`
    /// separators.
    pub files: Vec<String>,
    /// Matching names that are not regular files, sorted, each with what it is.
    pub not_files: Vec<(String, String)>,
}

impl Expansion {
    pub(super) fn of_files(files: Vec<String>) -> Expansion {
        Expansion {
            files,
            not_files: Vec::new(),
        }
    }
}

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PatternError {
    /// Absolute, or climbing out with `..`.
    Escapes,
    /// Nothing but separators.
    Empty,
}

impl PathPattern {
    pub(super) fn parse(text: &str) -> Result<PathPattern, PatternError> {
        let text = text.trim();
        let drive = text.len() >= 2
            && text.as_bytes()[1] == b':'
            && text.as_bytes()[0].is_ascii_alphabetic();
        if text.starts_with(['/', '\\']) || drive {
            return Err(PatternError::Escapes);
        }
        let mut segments = Vec::new();
        for part in text.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => return Err(PatternError::Escapes),
                "**" => {
                    if segments.last() != Some(&Segment::AnyDirs) {
                        segments.push(Segment::AnyDirs);
                    }
                }
                name => segments.push(Segment::Name(name.chars().collect())),
            }
        }
        if segments.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(PathPattern { segments })
    }

    /// Whether the relative path `path` (segments separated by `/`) matches.
    pub(super) fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match_segments(&self.segments, &parts)
    }

    /// The leading segments without wildcards: the directory every match is under.
    fn literal_prefix(&self) -> Vec<String> {
        let mut prefix = Vec::new();
        // The last segment names files, never a directory to start from.
        let dirs = self.segments.len().saturating_sub(1);
        for segment in &self.segments[..dirs] {
            match segment {
                Segment::Name(chars) if !chars.iter().any(|c| *c == '*' || *c == '?') => {
                    prefix.push(chars.iter().collect());
                }
                _ => break,
            }
        }
        prefix
    }

    /// How many directory levels below the literal prefix a match can be, `None` for any.
    fn depth_below_prefix(&self, prefix: usize) -> Option<usize> {
        if self.segments.contains(&Segment::AnyDirs) {
            return None;
        }
        Some(self.segments.len() - prefix - 1)
    }

    fn names_hidden(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Name(c) if c.first() == Some(&'.')))
    }

    /// The files under `dir` that match, as sorted relative paths with `/` separators,
    /// and the matching names that are not files. Symbolic links to files are listed (the
    /// loader checks where they point); links to directories are not followed.
    pub(super) fn expand_in(&self, dir: &Path) -> Result<Expansion, String> {
        let prefix = self.literal_prefix();
        let mut start = dir.to_path_buf();
        for part in &prefix {
            start.push(part);
        }
        let mut walk = Walk {
            pattern: self,
            max_depth: self.depth_below_prefix(prefix.len()),
            hidden: self.names_hidden(),
            visited: 0,
            found: Expansion::default(),
        };
        let rel = prefix.join("/");
        walk.dir(&start, &rel, 0)?;
        let mut found = walk.found;
        found.files.sort();
        found.files.dedup();
        found.not_files.sort();
        found.not_files.dedup();
        Ok(found)
    }
}

struct Walk<'p> {
    pattern: &'p PathPattern,
    max_depth: Option<usize>,
    hidden: bool,
    visited: usize,
    found: Expansion,
}

/// What a directory entry is, for the walk.
enum Kind {
    File,
    Dir,
    /// A symbolic link to a directory (not followed).
    DirLink,
    /// Anything else, with what it is.
    NotAFile(String),
}

fn kind_of(entry: &std::fs::DirEntry, kind: std::fs::FileType) -> Kind {
    if kind.is_file() {
        return Kind::File;
    }
    if kind.is_dir() {
        return Kind::Dir;
    }
    if kind.is_symlink() {
        return match std::fs::metadata(entry.path()) {
            Ok(target) if target.is_file() => Kind::File,
            Ok(target) if target.is_dir() => Kind::DirLink,
            Ok(target) => Kind::NotAFile(format!(
                "is a symbolic link to {}, not to a file",
                special(target.file_type())
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Kind::NotAFile("is a symbolic link that points to nothing".to_string())
            }
            Err(e) => Kind::NotAFile(format!("is a symbolic link that cannot be followed ({e})")),
        };
    }
    Kind::NotAFile(format!("is {}, not a file", special(kind)))
}

/// What a file type that is neither a file nor a directory is.
fn special(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "a special file"
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, rel: &str, depth: usize) -> Result<(), String> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            self.visited += 1;
            if self.visited > MAX_VISITED {
                return Err(format!(
                    "the pattern looks through more than {MAX_VISITED} directory entries"
                ));
            }
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') && !self.hidden {
                continue;
            }
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            match kind_of(&entry, kind) {
                Kind::File if self.pattern.matches(&path) => self.found.files.push(path),
                Kind::Dir if self.max_depth.is_none_or(|max| depth < max) => {
                    self.dir(&entry.path(), &path, depth + 1)?;
                }
                Kind::NotAFile(what) if self.pattern.matches(&path) => {
                    self.found.not_files.push((path, what));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn match_segments(pattern: &[Segment], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((Segment::AnyDirs, rest)) => {
            for skip in 0..=path.len() {
                if match_segments(rest, &path[skip..]) {
                    return true;
                }
                // `**` does not descend into hidden directories.
                if path.get(skip).is_some_and(|p| p.starts_with('.')) {
                    return false;
                }
            }
            false
        }
        Some((Segment::Name(name), rest)) => match path.split_first() {
            Some((first, others)) => {
                let chars: Vec<char> = first.chars().collect();
                let hidden_ok = chars.first() != Some(&'.') || name.first() == Some(&'.');
                hidden_ok && wildcard(name, &chars, false) && match_segments(rest, others)
            }
            None => false,
        },
    }
}

/// `*` (any run) and `?` (one character) against `text`; the rest literal.
fn wildcard(pattern: &[char], text: &[char], fold_case: bool) -> bool {
    let same = |p: char, t: char| p == t || (fold_case && fold_char(p).eq(fold_char(t)));
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len()
            && (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t])))
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Whether `name` matches the name pattern `pattern` (`*` any run of characters, `?` one
/// character, case-insensitive) — the matching that `policy.ignore` uses.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    wildcard(&pattern, &name, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        PathPattern::parse(pattern).is_ok_and(|p| p.matches(path))
    }

    #[test]
    fn star_and_question_mark_stay_within_a_segment() {
        assert!(matches("users/*.yaml", "users/eng.yaml"));
        assert!(!matches("users/*.yaml", "users/sub/eng.yaml"));
        assert!(!matches("users/*.yaml", "users/eng.yml"));
        assert!(matches("users/?.yaml", "users/a.yaml"));
        assert!(!matches("users/?.yaml", "users/ab.yaml"));
        assert!(matches("./users//*.yaml", "users/a.yaml"));
    }

    #[test]
    fn double_star_spans_directories() {
        assert!(matches("**/*.yaml", "a.yaml"));
        assert!(matches("**/*.yaml", "x/y/a.yaml"));
        assert!(matches("teams/**/users.yaml", "teams/users.yaml"));
        assert!(matches("teams/**/users.yaml", "teams/a/b/users.yaml"));
        assert!(!matches("teams/**/users.yaml", "other/users.yaml"));
    }

    #[test]
    fn wildcards_skip_hidden_names() {
        assert!(!matches("*.yaml", ".hidden.yaml"));
        assert!(matches(".hidden.yaml", ".hidden.yaml"));
        assert!(!matches("**/a.yaml", ".git/a.yaml"));
        assert!(matches(".config/*.yaml", ".config/a.yaml"));
    }

    #[test]
    fn patterns_may_not_leave_the_directory() {
        assert_eq!(PathPattern::parse("../x.yaml"), Err(PatternError::Escapes));
        assert_eq!(
            PathPattern::parse("a/../../x.yaml"),
            Err(PatternError::Escapes)
        );
        assert_eq!(
            PathPattern::parse("/etc/passwd"),
            Err(PatternError::Escapes)
        );
        assert_eq!(PathPattern::parse("C:\\x.yaml"), Err(PatternError::Escapes));
        assert_eq!(PathPattern::parse("./"), Err(PatternError::Empty));
    }

    #[test]
    fn name_patterns_are_case_insensitive() {
        assert!(name_matches(
            "*@contractors.example.com",
            "Bob@Contractors.example.com"
        ));
        assert!(name_matches("jira-*", "jira-admins"));
        assert!(name_matches("a?c", "abc"));
        assert!(!name_matches("a?c", "abbc"));
        assert!(name_matches("*", ""));
        assert!(!name_matches("x*", "y"));
        assert!(name_matches("*a*b*", "xxaxxbxx"));
    }

    #[test]
    fn expansion_walks_only_what_the_pattern_can_reach() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for path in [
            "users/b.yaml",
            "users/a.yaml",
            "users/deep/c.yaml",
            ".git/x.yaml",
            "groups/g.yaml",
        ] {
            let full = root.join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, "").expect("write");
        }
        let expand = |p: &str| {
            PathPattern::parse(p)
                .expect("pattern")
                .expand_in(root)
                .map(|e| e.files)
        };
        assert_eq!(
            expand("users/*.yaml"),
            Ok(vec!["users/a.yaml".into(), "users/b.yaml".into()])
        );
        assert_eq!(
            expand("**/*.yaml"),
            Ok(vec![
                "groups/g.yaml".into(),
                "users/a.yaml".into(),
                "users/b.yaml".into(),
                "users/deep/c.yaml".into()
            ])
        );
        assert_eq!(expand("missing/*.yaml"), Ok(vec![]));
    }
}
