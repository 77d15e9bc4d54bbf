//! The audit log of an apply: one JSON line per request — time, the change it was sent
//! for, method, path, status, attempt, duration, outcome — in `--audit-log FILE`, or by
//! default in a new file under `.scimform/audit/` in the configuration directory (with a
//! `.gitignore` there, so it is never committed by accident). Never a header, a body, the
//! token or an attribute value.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::json;

use super::report::Message;
use crate::scim::{RequestLog, RequestRecord};

/// An open audit log.
pub(super) struct AuditLog {
    pub(super) path: PathBuf,
    file: Mutex<BufWriter<File>>,
}

impl AuditLog {
    /// Open `explicit`, or a new file under `config_dir/.scimform/audit/`.
    pub(super) fn open(explicit: Option<&Path>, config_dir: &Path) -> Result<AuditLog, Message> {
        let path = if let Some(path) = explicit {
            path.to_path_buf()
        } else {
            let state = config_dir.join(".scimform");
            let dir = state.join("audit");
            std::fs::create_dir_all(&dir).map_err(|e| cannot(&dir, &e))?;
            let ignore = state.join(".gitignore");
            if !ignore.exists() {
                std::fs::write(&ignore, "# scimform's run records: not configuration.\n*\n")
                    .map_err(|e| cannot(&ignore, &e))?;
            }
            let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string()
                .replace(':', "");
            dir.join(format!("apply-{stamp}-{}.jsonl", std::process::id()))
        };
        let file = File::options()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| cannot(&path, &e))?;
        Ok(AuditLog {
            path,
            file: Mutex::new(BufWriter::new(file)),
        })
    }

    pub(super) fn flush(&self) {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = file.flush();
    }
}

fn cannot(path: &Path, error: &std::io::Error) -> Message {
    Message {
        code: "apply::audit_log",
        text: format!("cannot write the audit log {}: {error}", path.display()),
        help: "pass --audit-log FILE with a writable path".to_string(),
    }
}

impl RequestLog for AuditLog {
    fn record(&self, record: &RequestRecord) {
        let line = json!({
            "time": humantime::format_rfc3339_millis(record.time).to_string(),
            "change": record.change.as_deref(),
            "method": record.method,
            "path": record.path,
            "status": record.status,
            "attempt": record.attempt,
            "duration_ms": u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
            "outcome": record.outcome.word(),
        });
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Paths hold ids a server chose: they pass through the redaction too.
        let _ = writeln!(file, "{}", crate::secret::redact(&line.to_string()));
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.flush();
    }
}
