//! Loading: read `scimform.yaml` from the config directory, parse it with spans, and turn
//! every syntax or type error into a located `ConfigError`.
//!
//! Loading never stops at the first problem it can recover from: parse errors and the
//! validator's findings are collected and returned together. It does no network I/O and
//! never panics on any input.

use std::path::Path;
use std::sync::Arc;

use super::declared::Declared;
use super::diagnostic::{ConfigError, ConfigErrorKind, ConfigErrors, Origin, SourceFile};
use super::model::ConfigFile;
use super::validate;

/// The root file's name inside the config directory.
pub const ROOT_FILE: &str = "scimform.yaml";

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Load and validate the configuration in `dir`.
pub fn load_dir(dir: &Path) -> Result<Declared, ConfigErrors> {
    let path = dir.join(ROOT_FILE);
    let display = if dir == Path::new(".") {
        ROOT_FILE.to_string()
    } else {
        path.display().to_string()
    };
    let file = read_source(&path, &display).map_err(|e| ConfigErrors { errors: vec![e] })?;
    load_source(file)
}

/// Load and validate a configuration from text already in memory (the demo's embedded
/// example, tests). `path` is what diagnostics call the file.
pub fn load_str(path: &str, text: &str) -> Result<Declared, ConfigErrors> {
    load_source(SourceFile {
        path: Arc::from(path),
        text: Arc::from(text),
    })
}

fn load_source(file: SourceFile) -> Result<Declared, ConfigErrors> {
    let parsed = parse(&file).map_err(|e| ConfigErrors { errors: vec![e] })?;
    let digest = digest([&file]);
    validate::validate(parsed, &file, digest)
}

fn read_source(path: &Path, display: &str) -> Result<SourceFile, ConfigError> {
    let unreadable = |what: String, help: &str| {
        ConfigError::new(ConfigErrorKind::Unreadable, what).help(help.to_string())
    };
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => unreadable(
            format!("no configuration file at {display}"),
            "create scimform.yaml there, or point at the directory that holds it with `-C DIR`",
        ),
        _ => unreadable(
            format!("cannot read {display}: {e}"),
            "check the file's permissions",
        ),
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(unreadable(
            format!(
                "{display} is {} bytes, over the limit of {MAX_FILE_BYTES} bytes",
                meta.len()
            ),
            "split the configuration into smaller files",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        unreadable(
            format!("cannot read {display}: {e}"),
            "check the file's permissions",
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        unreadable(
            format!(
                "{display} is not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "save the file as UTF-8",
        )
    })?;
    Ok(SourceFile {
        path: Arc::from(display),
        text: Arc::from(text),
    })
}

fn parse(file: &SourceFile) -> Result<ConfigFile, ConfigError> {
    let options = serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
    };
    if file.text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    serde_saphyr::from_str_with_options::<ConfigFile>(&file.text, options)
        .map_err(|e| yaml_error(file, &e))
}

/// A serde-saphyr error as a located diagnostic.
fn yaml_error(file: &SourceFile, error: &serde_saphyr::Error) -> ConfigError {
    let message = yaml_message(error);
    let help = yaml_help(&message);
    let base = ConfigError::new(ConfigErrorKind::Yaml, message).help(help);
    match error.location() {
        Some(loc) if loc.line() > 0 => {
            let origin = Origin::at(file, loc.line(), loc.column().max(1));
            base.at(&origin, "here")
        }
        _ => base,
    }
}

/// The parser's message without its own location suffix (the diagnostic shows the
/// location with the snippet).
fn yaml_message(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("").trim();
    let trimmed = match first.rfind(" at line ") {
        Some(at) => &first[..at],
        None => first,
    };
    // The parser's advice to its own caller is not the user's business.
    let trimmed = match trimmed.find(", set DuplicateKeyPolicy") {
        Some(at) => &trimmed[..at],
        None => trimmed,
    };
    let trimmed = trimmed.trim_end_matches(['.', ',', ' ']);
    if trimmed.is_empty() {
        "invalid YAML".to_string()
    } else {
        trimmed.to_string()
    }
}

fn yaml_help(message: &str) -> String {
    if message.contains("unknown field") {
        "remove the key or correct its spelling; `scimform schema config` lists every key"
            .to_string()
    } else if message.contains("duplicate") {
        "each key may appear once in a mapping: remove or merge the repeated key".to_string()
    } else if message.contains("missing field") {
        "add the required key".to_string()
    } else if message.contains("invalid boolean") {
        "write `true` or `false`".to_string()
    } else if message.contains("invalid type") {
        "change the value to the expected type".to_string()
    } else {
        "correct the YAML at the marked position".to_string()
    }
}

/// A stable digest of the configuration's files (FNV-1a, 64 bit, over path and bytes).
fn digest<'a>(files: impl IntoIterator<Item = &'a SourceFile>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in files {
        feed(file.path.as_bytes());
        feed(&[0]);
        feed(file.text.as_bytes());
        feed(&[0]);
    }
    format!("{hash:016x}")
}
