//! The plan file: a `Plan` as a versioned JSON document (`plan --out`, `show`,
//! `apply PLAN_FILE`), and its JSON Schema (`schemas/plan.schema.json`).
//!
//! Writing is deterministic (fields in declaration order, two-space indentation, a
//! trailing newline), so the same plan is the same bytes. Reading is strict: the
//! `format_version` is checked before anything else, so a file from another version of
//! scimform is refused with a clear error instead of being misread; unknown fields are
//! errors; the summary must agree with the changes. The file holds no secret: the token
//! never reaches a `Plan`.

use std::fmt;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::model::{PLAN_FORMAT_VERSION, Plan, Summary};

/// Plan files larger than this are refused rather than read.
pub const MAX_PLAN_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// Why a plan file cannot be used.
#[derive(Debug)]
pub struct PlanFileError {
    pub path: PathBuf,
    pub kind: PlanFileErrorKind,
}

#[derive(Debug)]
pub enum PlanFileErrorKind {
    Read(std::io::Error),
    Write(std::io::Error),
    TooLarge(u64),
    NotJson(String),
    NotAPlan,
    OlderFormat(u64),
    NewerFormat(u64),
    Invalid(String),
    Inconsistent { stated: Summary, counted: Summary },
}

impl fmt::Display for PlanFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            PlanFileErrorKind::Read(e) => write!(f, "cannot read the plan file {path}: {e}"),
            PlanFileErrorKind::Write(e) => write!(f, "cannot write the plan file {path}: {e}"),
            PlanFileErrorKind::TooLarge(size) => write!(
                f,
                "the plan file {path} is {size} bytes, more than the {MAX_PLAN_FILE_BYTES} a plan file may have"
            ),
            PlanFileErrorKind::NotJson(e) => write!(f, "{path} is not JSON: {e}"),
            PlanFileErrorKind::NotAPlan => {
                write!(
                    f,
                    "{path} is not a scimform plan file (it has no format_version)"
                )
            }
            PlanFileErrorKind::OlderFormat(version) => write!(
                f,
                "the plan file {path} has format version {version}, older than the version {PLAN_FORMAT_VERSION} this scimform reads"
            ),
            PlanFileErrorKind::NewerFormat(version) => write!(
                f,
                "the plan file {path} has format version {version}, newer than the version {PLAN_FORMAT_VERSION} this scimform reads"
            ),
            PlanFileErrorKind::Invalid(e) => write!(f, "the plan file {path} is not valid: {e}"),
            PlanFileErrorKind::Inconsistent { .. } => write!(
                f,
                "the plan file {path} is inconsistent: its summary does not count its changes (was it edited?)"
            ),
        }
    }
}

impl std::error::Error for PlanFileError {}

impl Diagnostic for PlanFileError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self.kind {
            PlanFileErrorKind::Read(_) | PlanFileErrorKind::Write(_) => "plan_file::io",
            PlanFileErrorKind::TooLarge(_) => "plan_file::too_large",
            PlanFileErrorKind::NotJson(_) | PlanFileErrorKind::NotAPlan => "plan_file::not_a_plan",
            PlanFileErrorKind::OlderFormat(_) | PlanFileErrorKind::NewerFormat(_) => {
                "plan_file::version"
            }
            PlanFileErrorKind::Invalid(_) | PlanFileErrorKind::Inconsistent { .. } => {
                "plan_file::invalid"
            }
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self.kind {
            PlanFileErrorKind::Read(_) | PlanFileErrorKind::Write(_) => {
                "check the path and its permissions"
            }
            PlanFileErrorKind::TooLarge(_)
            | PlanFileErrorKind::NotJson(_)
            | PlanFileErrorKind::NotAPlan
            | PlanFileErrorKind::Invalid(_)
            | PlanFileErrorKind::Inconsistent { .. } => {
                "a plan file is what `scimform plan --out FILE` writes; make a new one"
            }
            PlanFileErrorKind::OlderFormat(_) => {
                "plan again with this version of scimform (`scimform plan --out FILE`), review it, and apply that"
            }
            PlanFileErrorKind::NewerFormat(_) => {
                "use the scimform version that wrote the plan, or plan again with this one"
            }
        }))
    }
}

impl Plan {
    /// The plan file's text: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A plan from a plan file's text (`path` names it in errors).
    pub fn from_json(path: &Path, text: &str) -> Result<Plan, PlanFileError> {
        let error = |kind| PlanFileError {
            path: path.to_path_buf(),
            kind,
        };
        let value: Value = serde_json::from_str(text)
            .map_err(|e| error(PlanFileErrorKind::NotJson(e.to_string())))?;
        let version = value
            .as_object()
            .and_then(|o| o.get("format_version"))
            .and_then(Value::as_u64)
            .ok_or_else(|| error(PlanFileErrorKind::NotAPlan))?;
        match version.cmp(&u64::from(PLAN_FORMAT_VERSION)) {
            std::cmp::Ordering::Less => return Err(error(PlanFileErrorKind::OlderFormat(version))),
            std::cmp::Ordering::Greater => {
                return Err(error(PlanFileErrorKind::NewerFormat(version)));
            }
            std::cmp::Ordering::Equal => {}
        }
        let plan: Plan = serde_json::from_value(value)
            .map_err(|e| error(PlanFileErrorKind::Invalid(e.to_string())))?;
        let counted = Summary::of(&plan.changes);
        if counted != plan.summary {
            return Err(error(PlanFileErrorKind::Inconsistent {
                stated: plan.summary,
                counted,
            }));
        }
        Ok(plan)
    }

    /// Read a plan file.
    pub fn read(path: &Path) -> Result<Plan, PlanFileError> {
        let error = |kind| PlanFileError {
            path: path.to_path_buf(),
            kind,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| error(PlanFileErrorKind::Read(e)))?
            .len();
        if size > MAX_PLAN_FILE_BYTES {
            return Err(error(PlanFileErrorKind::TooLarge(size)));
        }
        let text = std::fs::read_to_string(path).map_err(|e| error(PlanFileErrorKind::Read(e)))?;
        Plan::from_json(path, &text)
    }

    /// Write the plan file (through a temporary file in the same directory, renamed into
    /// place, so a reader never sees half a plan).
    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let error = |e| PlanFileError {
            path: path.to_path_buf(),
            kind: PlanFileErrorKind::Write(e),
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.file_name().map_or_else(
            || "plan.json".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        // The token never reaches a plan, but a value a server sent might hold it.
        let text = self.to_json();
        std::fs::write(&temporary, crate::secret::redact(&text).as_bytes()).map_err(error)?;
        std::fs::rename(&temporary, path).map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            error(e)
        })
    }
}

/// The JSON Schema (draft-07) of the plan file, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Plan>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use crate::live::Live;
    use crate::plan::{PlanContext, diff};

    fn sample() -> Plan {
        let declared = load_str(
            "scimform.yaml",
            "users:\n  - userName: a@x.test\ngroups:\n  - displayName: g\n    members: [a@x.test]\n",
        )
        .expect("valid");
        diff(
            &declared,
            &Live::default(),
            &PlanContext::for_url("http://t"),
        )
        .expect("plan")
    }

    #[test]
    fn a_plan_round_trips_through_its_file_text() {
        let plan = sample();
        let text = plan.to_json();
        assert!(text.ends_with('\n'));
        assert_eq!(
            Plan::from_json(Path::new("p.json"), &text).expect("reads"),
            plan
        );
        assert_eq!(text, sample().to_json(), "byte for byte");
    }

    #[test]
    fn other_versions_and_other_documents_are_refused() {
        let mut value: Value = serde_json::from_str(&sample().to_json()).expect("json");
        value["format_version"] = Value::from(0);
        let older = Plan::from_json(Path::new("p.json"), &value.to_string()).expect_err("older");
        assert!(
            matches!(older.kind, PlanFileErrorKind::OlderFormat(0)),
            "{older}"
        );
        assert!(
            older.to_string().contains("older than the version 1"),
            "{older}"
        );
        value["format_version"] = Value::from(99);
        let newer = Plan::from_json(Path::new("p.json"), &value.to_string()).expect_err("newer");
        assert!(matches!(newer.kind, PlanFileErrorKind::NewerFormat(99)));
        let other =
            Plan::from_json(Path::new("p.json"), "{\"users\": []}").expect_err("no version");
        assert!(matches!(other.kind, PlanFileErrorKind::NotAPlan));
        let not_json = Plan::from_json(Path::new("p.json"), "users:\n").expect_err("yaml");
        assert!(matches!(not_json.kind, PlanFileErrorKind::NotJson(_)));
    }

    #[test]
    fn edited_or_unknown_content_is_refused() {
        let mut value: Value = serde_json::from_str(&sample().to_json()).expect("json");
        value["summary"]["create"] = Value::from(0);
        let edited = Plan::from_json(Path::new("p.json"), &value.to_string()).expect_err("edited");
        assert!(matches!(
            edited.kind,
            PlanFileErrorKind::Inconsistent { .. }
        ));
        let mut value: Value = serde_json::from_str(&sample().to_json()).expect("json");
        value["changes"][0]["surprise"] = Value::from(1);
        let unknown =
            Plan::from_json(Path::new("p.json"), &value.to_string()).expect_err("unknown");
        assert!(unknown.to_string().contains("surprise"), "{unknown}");
    }
}
