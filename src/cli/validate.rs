//! `scimform validate`: load and check the configuration offline and report every
//! problem at once — as annotated snippets (human, on stderr), as a stable JSON array, or
//! as GitHub workflow annotations (both on stdout).
//!
//! Exit 1 on any error; warnings alone exit 0 unless `--strict` makes them errors. This
//! file only chooses and formats the report; finding problems is `config`'s job.

use std::fmt::Write as _;
use std::io::Write;

use serde_json::{Value, json};

use super::args::{ValidateArgs, ValidateFormat};
use super::report::{self, Failure, exit};
use super::settings::Output;
use crate::config::{self, ConfigError, ConfigErrors, ConfigWarnings, Severity};
use crate::render::breakdown::count;

pub(super) fn run(args: &ValidateArgs, output: Output) -> Result<u8, Failure> {
    let (mut errors, mut warnings, counts) = match config::load_dir(&args.config.dir) {
        Ok(mut declared) => {
            let counts = Some((declared.users.len(), declared.groups.len()));
            let warnings = std::mem::take(&mut declared.warnings);
            super::leave_to_exit(declared);
            (Vec::new(), warnings, counts)
        }
        Err(problems) => (problems.errors, problems.warnings, None),
    };
    if args.strict {
        for mut warning in warnings.drain(..) {
            warning.severity = Severity::Error;
            errors.push(warning);
        }
        errors.sort_by_key(position);
    }
    let code = if errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    };
    match args.format {
        ValidateFormat::Json => print(&json_report(&errors, &warnings)),
        ValidateFormat::Github => print(&github_report(&errors, &warnings)),
        ValidateFormat::Human => {
            if !errors.is_empty() {
                return Err(ConfigErrors { errors, warnings }.into());
            }
            if !warnings.is_empty() {
                let warning_count = warnings.len();
                let failure = Failure {
                    diagnostic: Box::new(ConfigWarnings(warnings)),
                    code: exit::OK,
                };
                report::report(&failure, output.stderr.color);
                if let (false, Some((users, groups))) = (output.quiet, counts) {
                    print(&format!(
                        "The configuration is valid: {}, {}. {} (see above).\n",
                        count(users, "user"),
                        count(groups, "group"),
                        count(warning_count, "warning")
                    ));
                }
            } else if let (false, Some((users, groups))) = (output.quiet, counts) {
                print(&format!(
                    "The configuration is valid: {}, {}.\n",
                    count(users, "user"),
                    count(groups, "group")
                ));
            }
        }
    }
    Ok(code)
}

/// Where a problem is, for ordering: file, then offset (problems without a place first).
fn position(error: &ConfigError) -> (String, usize) {
    error
        .origin
        .as_ref()
        .map(|o| (o.file.path.to_string(), o.offset))
        .unwrap_or_default()
}

fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Every problem, then its notes, in order.
fn flatten<'a>(errors: &'a [ConfigError], warnings: &'a [ConfigError]) -> Vec<&'a ConfigError> {
    let mut all = Vec::new();
    for problem in errors.iter().chain(warnings) {
        all.push(problem);
        all.extend(problem.related.iter());
    }
    all
}

/// A JSON array of `{severity, code, message, file, line, column, help}` (file, line and
/// column `null` for a problem without a place); notes follow the problem they belong to.
pub(super) fn json_report(errors: &[ConfigError], warnings: &[ConfigError]) -> String {
    let items: Vec<Value> = flatten(errors, warnings)
        .into_iter()
        .map(|problem| {
            let origin = problem.origin.as_ref();
            json!({
                "severity": problem.severity.name(),
                "code": problem.kind.code(),
                "message": problem.message,
                "file": origin.map(|o| o.file.path.to_string()),
                "line": origin.map(|o| o.line),
                "column": origin.map(|o| o.column),
                "help": (!problem.help.is_empty()).then(|| problem.help.clone()),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_default();
    text.push('\n');
    text
}

/// GitHub workflow commands: `::error file=F,line=L,col=C,title=CODE::MESSAGE` (and
/// `::warning`, `::notice` for notes), one per line, the help after the message.
pub(super) fn github_report(errors: &[ConfigError], warnings: &[ConfigError]) -> String {
    let mut out = String::new();
    for problem in flatten(errors, warnings) {
        let command = match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut properties = Vec::new();
        if let Some(origin) = &problem.origin {
            properties.push(format!("file={}", escape_property(&origin.file.path)));
            properties.push(format!("line={}", origin.line));
            properties.push(format!("col={}", origin.column));
        }
        properties.push(format!("title={}", escape_property(problem.kind.code())));
        let mut message = problem.message.clone();
        if !problem.help.is_empty() {
            message.push_str("\nhelp: ");
            message.push_str(&problem.help);
        }
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&message)
        );
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_values_are_escaped() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("config::yaml,x"), "config%3A%3Ayaml%2Cx");
    }
}
