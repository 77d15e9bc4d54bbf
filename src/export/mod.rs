//! Export: a complete `Live` snapshot written as configuration files that declare exactly
//! what the directory holds, so that `plan` against the same directory is empty.
//!
//! Only attributes the configuration format can express are written (the core user
//! attributes, the enterprise extension, members by name — `entry`). Output is
//! deterministic: users sorted by userName, groups by displayName, members by name, all
//! folded to lower case (`index`); the same directory gives byte-identical files.
//!
//! Names load back exactly as the directory has them: strings are quoted where YAML
//! would read them otherwise (whitespace at either end, `yes`, `null`, numbers — `yaml`),
//! and a member whose short form would be misread — a user whose userName starts with
//! `group:` — is written `{user: NAME}`. File names made from department names are
//! bounded, filesystem-safe slugs (with a short hash where the name had to be
//! shortened).
//!
//! No file is larger than the loader accepts ([`crate::config::max_file_bytes`]): a list
//! too long for its file is split by the first letters of the names (`layout`), and the
//! root file includes the pieces. A directory that fits is written exactly as before.
//!
//! Large directories stream (`pipeline`): entries are written one at a time, on a few
//! threads, into scratch files in the staging directory, and the files are assembled
//! from those; [`write_export`] puts them in place all at once or not at all (`write`).
//! [`export`] builds the same files in memory, reading neither the network nor the disk.

mod entry;
mod index;
mod layout;
mod leftovers;
mod pipeline;
mod sink;
mod unsynced;
mod write;
mod yaml;

pub use layout::summary;
pub use unsynced::unsynced_users;
pub use write::{WriteError, write_files};

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::live::Live;

/// How to lay out the exported files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Everything in `scimform.yaml` — or, when that would be over the size limit of one
    /// file, the target there and the users and groups in `users.yaml` and `groups.yaml`
    /// (each split into `users/*.yaml`, `groups/*.yaml` when too large itself).
    None,
    /// `users/<department>.yaml` per enterprise department (`users/unassigned.yaml` for
    /// users without one; see [`team_file_stem`]), `groups.yaml` for groups, and a root
    /// file that includes them; a department or the groups too large for one file in a
    /// directory of their own (`users/<department>/*.yaml`, `groups/*.yaml`).
    Team,
}

/// What the root file's `target:` says.
#[derive(Clone, Debug)]
pub struct ExportTarget {
    pub url: String,
    pub profile: String,
    pub token_env: String,
}

/// One file to write, by path relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: String,
    pub text: String,
}

/// The files, plus what could not be expressed (for the user to read).
#[derive(Debug)]
pub struct Export {
    pub files: Vec<ExportedFile>,
    /// Whether files were split to stay under the size limit of one file.
    pub chunked: bool,
    pub warnings: Vec<String>,
}

/// What [`write_export`] wrote.
#[derive(Debug)]
pub struct Exported {
    /// Paths relative to the output directory, the root file first.
    pub paths: Vec<String>,
    /// Whether files were split to stay under the size limit of one file.
    pub chunked: bool,
    pub warnings: Vec<String>,
}

/// The export of `live`, in memory, with no file over this run's limit
/// ([`crate::config::max_file_bytes`]).
pub fn export(live: &Live, target: &ExportTarget, split: Split) -> Export {
    export_within(live, target, split, crate::config::max_file_bytes())
}

/// The export of `live`, in memory, with no file over `limit` bytes (but one that holds a
/// single entry larger than that, which a warning names).
pub fn export_within(live: &Live, target: &ExportTarget, split: Split, limit: u64) -> Export {
    let memory = sink::Memory::default();
    let Ok(built) = pipeline::run(live, target, split, limit, &memory);
    Export {
        files: memory.into_files(&built.paths),
        chunked: built.chunked,
        warnings: built.warnings,
    }
}

/// Write the export of `live` into `out_dir` (made if need be), with no file over `limit`
/// bytes (this run's is [`crate::config::max_file_bytes`]): all of it, or — on any
/// error — nothing, leaving `out_dir` as it was. Existing files are replaced only with
/// `force`. Entries go to disk as they are written; the directory's text is never whole
/// in memory.
pub fn write_export(
    live: &Live,
    target: &ExportTarget,
    split: Split,
    limit: u64,
    out_dir: &Path,
    force: bool,
) -> Result<Exported, WriteError> {
    let staged = write::Staged::begin(out_dir, force)?;
    let built = pipeline::run(live, target, split, limit, &sink::Disk(&staged))?;
    staged.commit()?;
    let mut warnings = built.warnings;
    warnings.extend(
        leftovers::leftovers(out_dir, &built.patterns, &built.paths)
            .into_iter()
            .map(|(path, pattern)| {
                format!(
                    "{path} was not written by this export, but scimform.yaml includes it (`{pattern}`): remove it if an earlier export left it, or what it declares is declared twice"
                )
            }),
    );
    Ok(Exported {
        paths: built.paths,
        chunked: built.chunked,
        warnings,
    })
}

/// [`WriteError::Exists`] when `out_dir` holds a root file already (which every export
/// writes) and `force` is not set: worth knowing before reading a large directory.
pub fn check_out_dir(out_dir: &Path, force: bool) -> Result<(), WriteError> {
    if force {
        Ok(())
    } else {
        write::check_free(out_dir, std::iter::once(crate::config::ROOT_FILE))
    }
}

/// The file of users without a department.
pub(crate) const UNASSIGNED: &str = "unassigned";

/// The longest file stem a department gets, in bytes (file names may have 255).
const MAX_STEM: usize = 64;

/// The file stem of a department's users, `users/<stem>.yaml`: its [`slug`] where that
/// is short and says something (`Platform Eng` → `platform-eng`); otherwise the slug cut
/// to a bounded length, or `department` where nothing of the name is left, then `-` and
/// eight hex digits of the SHA-256 of the whole name, so that different departments
/// stay apart. Always ASCII letters, digits and `-`, at most [`MAX_STEM`] bytes, never
/// a name Windows reserves (`con`, `nul`, `com1`, …).
pub fn team_file_stem(department: &str) -> String {
    let slug = slug(department);
    let reserved = {
        let base = slug.as_str();
        ["con", "prn", "aux", "nul"].contains(&base)
            || ((base.starts_with("com") || base.starts_with("lpt"))
                && base.len() == 4
                && base.as_bytes()[3].is_ascii_digit())
    };
    if !slug.is_empty() && slug.len() <= MAX_STEM && !reserved {
        return slug;
    }
    let digest = Sha256::digest(department.as_bytes());
    let mut hash = String::with_capacity(8);
    for byte in &digest[..4] {
        let _ = write!(hash, "{byte:02x}");
    }
    // ASCII, so any cut is on a character boundary.
    let cut = &slug[..slug.len().min(MAX_STEM - hash.len() - 1)];
    let base = match cut.trim_end_matches('-') {
        "" => "department",
        base => base,
    };
    format!("{base}-{hash}")
}

/// A file-name-safe lower-case slug.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ENTERPRISE_USER;
    use serde_json::json;

    fn live() -> Live {
        Live::from_resources(
            vec![
                json!({"id": "u1", "userName": "b@x.test", "displayName": "B", "active": "true",
                       ENTERPRISE_USER: {"department": "Platform Eng", "manager": {"value": "u2"}}}),
                json!({"id": "u2", "userName": "a@x.test", "name": {"givenName": "A"},
                       "emails": [{"value": "a@x.test", "primary": true}]}),
            ],
            vec![json!({"id": "g1", "displayName": "eng", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "gone"}]})],
        )
        .expect("live")
    }

    fn target() -> ExportTarget {
        ExportTarget {
            url: "https://scim.x.test/v2".into(),
            profile: "generic".into(),
            token_env: "SCIMFORM_TOKEN".into(),
        }
    }

    #[test]
    fn one_file_sorted_with_managers_by_name() {
        let export = export(&live(), &target(), Split::None);
        assert_eq!(export.files.len(), 1);
        let text = &export.files[0].text;
        let a = text.find("userName: a@x.test").expect("a");
        let b = text.find("userName: b@x.test").expect("b");
        assert!(a < b, "users sorted:\n{text}");
        assert!(text.contains("manager: a@x.test"), "{text}");
        assert!(text.contains("active: true"), "{text}");
        assert_eq!(export.warnings.len(), 1, "{:?}", export.warnings);
        assert!(export.warnings[0].contains("`gone`"));
    }

    #[test]
    fn team_split_by_department() {
        let export = export(&live(), &target(), Split::Team);
        let paths: Vec<&str> = export.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "scimform.yaml",
                "users/platform-eng.yaml",
                "users/unassigned.yaml",
                "groups.yaml"
            ]
        );
    }

    #[test]
    fn department_file_names_are_bounded_and_safe() {
        assert_eq!(team_file_stem("Platform Eng"), "platform-eng");
        let long = "Research and Development ".repeat(12);
        let stem = team_file_stem(&long);
        assert!(stem.len() <= MAX_STEM, "{stem}");
        assert!(stem.starts_with("research-and-development-"), "{stem}");
        assert_ne!(stem, team_file_stem(&format!("{long}x")));
        let odd = team_file_stem("日本語");
        assert!(odd.starts_with("department-") && odd.len() == "department-".len() + 8);
        assert!(team_file_stem("CON").starts_with("con-"));
        assert_eq!(team_file_stem("COM10"), "com10");
        for name in ["../../etc/passwd", "a/b\\c", "\u{202E}x", "..", " "] {
            let stem = team_file_stem(name);
            assert!(
                !stem.is_empty()
                    && stem
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name:?} -> {stem:?}"
            );
        }
    }

    #[test]
    fn export_is_deterministic() {
        assert_eq!(
            export(&live(), &target(), Split::None).files,
            export(&live(), &target(), Split::None).files
        );
    }

    #[test]
    fn an_entry_too_large_for_any_file_has_one_of_its_own_and_a_warning() {
        let members: Vec<serde_json::Value> =
            (0..40).map(|i| json!({"value": format!("u{i}")})).collect();
        let users: Vec<serde_json::Value> = (0..40)
            .map(|i| json!({"id": format!("u{i}"), "userName": format!("member{i:02}@x.test")}))
            .collect();
        let live = Live::from_resources(
            users,
            vec![
                json!({"id": "g1", "displayName": "all", "members": members}),
                json!({"id": "g2", "displayName": "few", "members": [{"value": "u1"}]}),
            ],
        )
        .expect("live");
        let export = export_within(&live, &target(), Split::Team, 600);
        let big: Vec<&ExportedFile> = export.files.iter().filter(|f| f.text.len() > 600).collect();
        assert_eq!(big.len(), 1, "{:?}", export.files);
        assert!(big[0].text.starts_with("groups:\n- displayName: all\n"));
        assert!(
            export.warnings.iter().any(|w| w.starts_with(&format!(
                "{} is {} bytes, over the limit of 600 bytes for one configuration file, because group `all` (with 40 members)",
                big[0].path,
                big[0].text.len()
            ))),
            "{:?}",
            export.warnings
        );
    }
}
