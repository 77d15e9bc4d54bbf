//! Loading: the root file, then the files its `include:` patterns match (in sorted order,
//! read and parsed on all cores), each decoded into the file model; then validation of
//! the whole into a `Declared`.
//!
//! Loading never stops at the first problem it can recover from: a broken file does not
//! hide the mistakes of the others, and every problem found is returned together, sorted
//! by file (in load order) and position. It does no network I/O and never panics on any
//! input.

use std::path::Path;

use super::declared::{Declared, DeclaredTarget};
use super::decode::decode_file;
use super::diagnostic::{ConfigError, ConfigErrors};
use super::digest::{combine, file_digest};
use super::glob::{PathPattern, PatternError};
use super::kind::ConfigErrorKind;
use super::model::{ConfigFile, DefaultsSection, Located};
use super::origin::SourceFile;
use super::parallel;
use super::source::{DirSource, MemorySource, SingleSource, Source};
use super::validate::{self, PreparedUser};
use super::yaml;

/// The root file's name inside the config directory.
pub const ROOT_FILE: &str = "scimform.yaml";

/// Load and validate the configuration in `dir` (which holds `scimform.yaml`).
pub fn load_dir(dir: &Path) -> Result<Declared, ConfigErrors> {
    load(&DirSource::new(dir))
}

/// The configuration in `dir` with its root file read: the target is known (so the
/// directory can be read) while the rest loads, on another thread if the caller likes.
/// [`finish`](Self::finish) gives exactly what [`load_dir`] would.
pub struct PendingLoad {
    source: DirSource,
    begun: Begun,
}

impl PendingLoad {
    /// Read and parse the root file of the configuration in `dir`; an error only when it
    /// cannot be read at all (the other problems wait for [`finish`](Self::finish), so
    /// that they are reported together).
    pub fn begin(dir: &Path) -> Result<PendingLoad, ConfigErrors> {
        let source = DirSource::new(dir);
        let begun = begin(&source)?;
        Ok(PendingLoad { source, begun })
    }

    /// The declared target, when the root file has no error that the full load would
    /// report (so a run may connect before the rest is loaded); `None` otherwise.
    pub fn target(&self) -> Option<DeclaredTarget> {
        if self.begun.problems.iter().any(|p| !p.is_warning()) {
            return None;
        }
        let mut problems = Vec::new();
        let target = validate::target(
            &self.begun.root.file,
            self.begun.root.config.target.clone(),
            &mut problems,
        );
        problems
            .iter()
            .all(ConfigError::is_warning)
            .then_some(target)
    }

    /// Load the included files and validate the whole.
    pub fn finish(self) -> Result<Declared, ConfigErrors> {
        finish(&self.source, self.begun)
    }
}

/// Load and validate a configuration held in memory: `files` are `(path, text)` pairs,
/// paths relative to the config directory with `/` separators, one of them
/// `scimform.yaml`; include patterns match against these paths. `root` is what
/// diagnostics put before each path (the directory the files come from, e.g.
/// `examples/acme`; `""` for none).
pub fn load_files(root: &str, files: &[(&str, &str)]) -> Result<Declared, ConfigErrors> {
    load(&MemorySource::new(root, files))
}

/// Load and validate a single root file held in memory (tests, tools). `path` is what
/// diagnostics call the file; an `include:` in it matches nothing.
pub fn load_str(path: &str, text: &str) -> Result<Declared, ConfigErrors> {
    load(&SingleSource {
        display: path.to_string(),
        text: text.to_string(),
    })
}

/// One file, read, parsed, decoded and its users prepared.
pub(super) struct Loaded {
    pub file: SourceFile,
    /// The file's sections; its users are in `users`.
    pub config: ConfigFile,
    pub users: Vec<PreparedUser>,
    /// SHA-256 over the file's path inside the config directory and its text.
    pub digest: [u8; 32],
}

fn load(source: &dyn Source) -> Result<Declared, ConfigErrors> {
    let begun = begin(source)?;
    finish(source, begun)
}

/// The root file read, parsed and its users prepared.
struct Begun {
    root: Loaded,
    problems: Vec<ConfigError>,
    defaults: DefaultsSection,
}

fn begin(source: &dyn Source) -> Result<Begun, ConfigErrors> {
    let root = source.read(ROOT_FILE).map_err(ConfigErrors::one)?;
    let (mut root, mut problems) = parse(ROOT_FILE, root, true);
    let defaults = root.config.defaults.take().unwrap_or_default();
    root.users = validate::prepare_users(
        &root.file,
        std::mem::take(&mut root.config.users),
        &defaults,
        &mut problems,
    );
    Ok(Begun {
        root,
        problems,
        defaults,
    })
}

fn finish(source: &dyn Source, begun: Begun) -> Result<Declared, ConfigErrors> {
    let Begun {
        root,
        mut problems,
        defaults,
    } = begun;
    let patterns = root.config.include.clone().unwrap_or_default();
    let mut files = vec![root];

    let included = expand(source, &files[0].file, &patterns, &mut problems);
    let results = parallel::map(&included, |(rel, _)| read_and_parse(source, rel, &defaults));
    for (result, (_, pattern)) in results.into_iter().zip(&included) {
        match result {
            Ok((loaded, found)) => {
                problems.extend(found);
                files.push(loaded);
            }
            Err(error) => {
                let note = ConfigError::note(error.kind, "the file is included by this pattern")
                    .at_loc(&files[0].file, pattern.loc, "included here");
                problems.push(error.with_related(note));
            }
        }
    }

    let digest = combine(files.iter().map(|f| &f.digest));
    // The YAML trees and the decoded entries are freed: give their pages back before
    // validation builds the model.
    scimform_memory::release_free_memory();
    validate::validate(files, digest, problems)
}

fn read_and_parse(
    source: &dyn Source,
    rel: &str,
    defaults: &DefaultsSection,
) -> Result<(Loaded, Vec<ConfigError>), ConfigError> {
    let file = source.read(rel)?;
    let (mut loaded, mut problems) = parse(rel, file, false);
    let users = std::mem::take(&mut loaded.config.users);
    loaded.users = validate::prepare_users(&loaded.file, users, defaults, &mut problems);
    Ok((loaded, problems))
}

/// Parse and decode one file; the problems found in it. `rel` is its path inside the
/// config directory.
fn parse(rel: &str, file: SourceFile, root: bool) -> (Loaded, Vec<ConfigError>) {
    let (config, problems) = match yaml::read(&file) {
        Ok(tree) => decode_file(&file, tree.as_ref(), root),
        Err(error) => (ConfigFile::default(), vec![error]),
    };
    let digest = file_digest(rel, &file.text);
    let loaded = Loaded {
        file,
        config,
        users: Vec::new(),
        digest,
    };
    (loaded, problems)
}

/// The files the include patterns match, in pattern order then sorted, without repeats
/// and without the root file; problems for patterns that match nothing or leave the
/// directory.
fn expand(
    source: &dyn Source,
    root: &SourceFile,
    patterns: &[Located<String>],
    problems: &mut Vec<ConfigError>,
) -> Vec<(String, Located<String>)> {
    let mut files: Vec<(String, Located<String>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    seen.insert(ROOT_FILE.to_string());
    for pattern in patterns {
        let text = pattern.value.trim();
        let parsed = match PathPattern::parse(text) {
            Ok(parsed) => parsed,
            Err(PatternError::Escapes) => {
                problems.push(
                    ConfigError::new(
                        ConfigErrorKind::IncludeEscapes,
                        format!(
                            "the include pattern `{text}` reaches outside the config directory"
                        ),
                    )
                    .at_loc(root, pattern.loc, "outside the config directory")
                    .help(
                        "include patterns are relative to the directory of scimform.yaml and \
                         stay inside it: no leading `/`, no `..`",
                    ),
                );
                continue;
            }
            Err(PatternError::Empty) => {
                problems.push(
                    ConfigError::new(
                        ConfigErrorKind::InvalidValue,
                        format!("the include pattern `{text}` names no file"),
                    )
                    .at_loc(root, pattern.loc, "no file name")
                    .help("write a pattern such as `users/*.yaml`"),
                );
                continue;
            }
        };
        let matched = match source.expand(&parsed) {
            Ok(matched) => matched,
            Err(why) => {
                problems.push(
                    ConfigError::new(
                        ConfigErrorKind::InvalidValue,
                        format!("the include pattern `{text}` cannot be expanded: {why}"),
                    )
                    .at_loc(root, pattern.loc, "too broad")
                    .help("name the directories that hold the files, e.g. `users/*.yaml`"),
                );
                continue;
            }
        };
        for (rel, what) in &matched.not_files {
            problems.push(
                ConfigError::new(
                    ConfigErrorKind::IncludeNotAFile,
                    format!("{} (matched by `{text}`) {what}", source.display(rel)),
                )
                .at_loc(root, pattern.loc, "matches something that is not a file")
                .help(
                    "an included file must be a regular file (or a link to one): replace it \
                     with the file it should be, remove it, or narrow the pattern",
                ),
            );
        }
        let not_files = !matched.not_files.is_empty();
        let matched: Vec<String> = matched
            .files
            .into_iter()
            .filter(|f| f != ROOT_FILE)
            .collect();
        if matched.is_empty() {
            if !not_files {
                problems.push(no_match(source, root, pattern, text));
            }
            continue;
        }
        for rel in matched {
            if !source.inside(&rel) {
                problems.push(
                    ConfigError::new(
                        ConfigErrorKind::IncludeEscapes,
                        format!(
                            "{} (matched by `{text}`) is a link to a file outside the config \
                             directory",
                            source.display(&rel)
                        ),
                    )
                    .at_loc(
                        root,
                        pattern.loc,
                        "matches a link that leaves the directory",
                    )
                    .help("copy the file into the config directory instead of linking to it"),
                );
                continue;
            }
            if seen.insert(rel.clone()) {
                files.push((rel, pattern.clone()));
            }
        }
    }
    files
}

fn no_match(
    source: &dyn Source,
    root: &SourceFile,
    pattern: &Located<String>,
    text: &str,
) -> ConfigError {
    // A common slip: .yml for .yaml or the other way round.
    let other = if let Some(stem) = text.strip_suffix(".yaml") {
        Some(format!("{stem}.yml"))
    } else {
        text.strip_suffix(".yml").map(|stem| format!("{stem}.yaml"))
    };
    let other_matches = other.as_ref().filter(|o| {
        PathPattern::parse(o).is_ok_and(|p| source.expand(&p).is_ok_and(|m| !m.files.is_empty()))
    });
    let help = match other_matches {
        Some(other) => format!("did you mean `{other}`? It matches files"),
        None => format!(
            "patterns are relative to {} (`*` matches within one directory, `**` across \
             directories); remove the pattern if the files are gone",
            match source.display("") {
                dir if dir.is_empty() => "the config directory".to_string(),
                dir => format!("`{}`", dir.trim_end_matches('/')),
            }
        ),
    };
    ConfigError::new(
        ConfigErrorKind::IncludeNoMatch,
        format!("the include pattern `{text}` matches no file"),
    )
    .at_loc(root, pattern.loc, "matches nothing")
    .help(help)
}
