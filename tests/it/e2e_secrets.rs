//! Secrets against hostile servers and hostile pull requests, end to end: the built
//! binary against wiremock servers (an "attacker" that echoes the token back in every way
//! it can, or that a pull request points the configuration at) and the dev-server.
//!
//! - a token that a server echoes, raw or encoded, is redacted in stdout and stderr;
//! - a `user:password@` in the target URL is refused, and the password never shown;
//! - `target.token_env` must name a `SCIMFORM_` variable, so that a pull request cannot
//!   send another CI secret anywhere;
//! - `SCIMFORM_URL` wins over `target.url`;
//! - under CI, a target URL that comes from the files is warned about, loudly.

use std::path::{Path, PathBuf};
use std::process::Command;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::cycle::{Run, TOKEN_ENV};
use crate::support::dev_server::DevServerProcess;

/// A token with the characters that encodings change (`+`, `/`, `=`).
const TOKEN: &str = "sfE2E.s3cr3t+T0ken/xyZ9==";

/// `scimform ARGS -C DIR` with exactly the scimform and CI variables given (the
/// developer's and the CI runner's own are removed), no colour.
struct Scimform {
    dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Scimform {
    fn new(dir: &Path, args: &[&str]) -> Scimform {
        Scimform {
            dir: dir.to_path_buf(),
            args: args.iter().map(ToString::to_string).collect(),
            env: Vec::new(),
        }
    }

    fn env(mut self, name: &str, value: &str) -> Scimform {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    fn run(&self) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_scimform"));
        command.args(&self.args).arg("-C").arg(&self.dir);
        for name in [
            "SCIMFORM_URL",
            "SCIMFORM_TOKEN",
            TOKEN_ENV,
            "CI",
            "GITHUB_ACTIONS",
            "SOME_OTHER_SECRET",
        ] {
            command.env_remove(name);
        }
        command.env("NO_COLOR", "1").env("COLUMNS", "250");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let output = command.output().expect("running the scimform binary");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// [`run`](Self::run) off the async runtime, so that a wiremock server on it answers.
    async fn run_async(self) -> Run {
        tokio::task::spawn_blocking(move || self.run())
            .await
            .expect("the scimform run finished")
    }
}

fn write(dir: &Path, yaml: &str) {
    std::fs::write(dir.join("scimform.yaml"), yaml).expect("writing scimform.yaml");
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The forms of `TOKEN` that must never reach the output: raw, percent-encoded,
/// JSON-escaped, its first 10 characters (a cut-off echo), and the middle of its base64
/// forms (alone and in `Bearer …`).
fn leaked_forms() -> Vec<String> {
    let bearer_b64 = base64(format!("Bearer {TOKEN}").as_bytes());
    let token_b64 = base64(TOKEN.as_bytes());
    vec![
        TOKEN.to_string(),
        percent_encoded(TOKEN),
        TOKEN.replace('/', "\\/"),
        TOKEN[..10].to_string(),
        // "Bearer " is 7 bytes: from the 12th character on, only the token decides.
        bearer_b64[12..bearer_b64.len() - 4].to_string(),
        token_b64[..token_b64.len() - 4].to_string(),
    ]
}

/// Every way a server may echo the token in an error answer.
fn echoing_answers() -> Vec<(&'static str, ResponseTemplate)> {
    let scim = |status: u16, body: serde_json::Value| {
        ResponseTemplate::new(status)
            .insert_header("Content-Type", "application/scim+json")
            .set_body_json(body)
    };
    let text = |status: u16, content_type: &str, body: String| {
        ResponseTemplate::new(status)
            .insert_header("Content-Type", content_type)
            .set_body_string(body)
    };
    let error = "urn:ietf:params:scim:api:messages:2.0:Error";
    vec![
        (
            "detail",
            scim(
                401,
                serde_json::json!({
                    "schemas": [error], "status": "401",
                    "detail": format!("invalid credentials: Authorization: Bearer {TOKEN}"),
                }),
            ),
        ),
        (
            "scimType",
            scim(
                400,
                serde_json::json!({
                    "schemas": [error], "status": 400,
                    "scimType": TOKEN, "detail": "bad request",
                }),
            ),
        ),
        (
            "html page",
            text(
                403,
                "text/html",
                format!(
                    "<html><body><h1>Error</h1><pre>Authorization: Bearer {TOKEN}</pre></body></html>"
                ),
            ),
        ),
        (
            "percent-encoded and base64 in html",
            text(
                422,
                "text/html",
                format!(
                    "<a href=\"/login?t={}\">retry</a><!-- {} -->",
                    percent_encoded(TOKEN),
                    base64(format!("Bearer {TOKEN}").as_bytes())
                ),
            ),
        ),
        (
            "JSON-escaped in a broken JSON body",
            text(
                400,
                "application/json",
                format!(
                    "{{\"detail\": \"header was \\\"Bearer {}\\\"",
                    TOKEN.replace('/', "\\/")
                ),
            ),
        ),
        (
            "straddling the excerpt's cut",
            text(
                418,
                "text/plain",
                format!("{}{TOKEN} tail", "x".repeat(190)),
            ),
        ),
    ]
}

#[tokio::test]
async fn a_token_that_the_server_echoes_never_reaches_the_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &format!("target:\n  profile: generic\n  token_env: {TOKEN_ENV}\n"),
    );
    let mut failures = Vec::new();
    for (case, answer) in echoing_answers() {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(answer).mount(&server).await;
        for args in [
            vec!["plan"],
            vec!["plan", "--format", "json"],
            vec!["-v", "apply"],
        ] {
            let run = Scimform::new(dir.path(), &args)
                .env("SCIMFORM_URL", &server.uri())
                .env(TOKEN_ENV, TOKEN)
                .run_async()
                .await;
            if run.code != 1 {
                failures.push(format!("{case}, {args:?}: exit {}", run.code));
            }
            for form in leaked_forms() {
                if run.all().contains(&form) {
                    failures.push(format!("{case}, {args:?}: `{form}` leaked: {run:?}"));
                }
            }
            if !run.stderr.contains("[redacted]") {
                failures.push(format!("{case}, {args:?}: no [redacted] in: {run:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_password_in_the_target_url_is_refused_and_never_shown() {
    use scimform::scim::{ClientSettings, ScimClient, Token};

    let password = "hunter2-pa55-9f3e";
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &format!("target:\n  profile: generic\n  token_env: {TOKEN_ENV}\n"),
    );
    for url in [
        format!("https://admin:{password}@scim.example.test/scim/v2"),
        format!(
            "https://admin:{}@scim.example.test/v2",
            percent_encoded(password)
        ),
        format!("https://{password}@scim.example.test/v2"),
        // Not a valid URL at all: the error must not echo it either.
        format!("https://admin:{password}@/v2"),
        format!("http://admin:{password}@scim.example.test:99999/v2"),
    ] {
        let run = Scimform::new(dir.path(), &["plan"])
            .env("SCIMFORM_URL", &url)
            .env(TOKEN_ENV, TOKEN)
            .run();
        assert_eq!(run.code, 1, "{url}: {run:?}");
        assert!(!run.all().contains(password), "{url}: {run:?}");
        assert!(!run.all().contains("hunter2"), "{url}: {run:?}");
        assert!(
            run.stderr.contains("user name or password"),
            "{url}: the refusal says why: {run:?}"
        );

        let settings = ClientSettings::new(&url, Token::new(TOKEN), TOKEN_ENV);
        let error = ScimClient::new(&settings).expect_err("a URL with a password is refused");
        let help = miette::Diagnostic::help(&error).map(|h| h.to_string());
        for shown in [error.to_string(), format!("{error:?}"), format!("{help:?}")] {
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
        }
    }
}

#[tokio::test]
async fn token_env_must_name_a_scimform_variable_so_a_pull_request_cannot_send_another_secret() {
    let attacker = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401))
        .mount(&attacker)
        .await;
    let other_secret = "ghs_another-ci-secret-0a1b2c3d";
    let dir = tempfile::tempdir().expect("temp dir");
    // What a hostile pull request would write.
    write(
        dir.path(),
        &format!(
            "target:\n  url: {}\n  token_env: SOME_OTHER_SECRET\n",
            attacker.uri()
        ),
    );
    for args in [
        vec!["plan"],
        vec!["apply", "--auto-approve"],
        vec!["export"],
    ] {
        let out_dir = dir.path().join("exported");
        let mut args = args.clone();
        let out_arg = out_dir.to_string_lossy().to_string();
        if args[0] == "export" {
            args.extend(["--out-dir", &out_arg]);
        }
        let run = Scimform::new(dir.path(), &args)
            .env("SOME_OTHER_SECRET", other_secret)
            .env("CI", "true")
            .run_async()
            .await;
        let requests = attacker.received_requests().await.unwrap_or_default();
        assert!(
            requests.is_empty(),
            "{args:?}: {} requests reached the attacker: {run:?}",
            requests.len()
        );
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("SCIMFORM_"),
            "{args:?}: the error names the rule: {run:?}"
        );
        assert!(
            run.stderr.contains("scimform.yaml:3:14"),
            "{args:?}: the error has file:line:col: {run:?}"
        );
        assert!(!run.all().contains(other_secret), "{args:?}: {run:?}");
    }
    // `validate` says the same, offline.
    let run = Scimform::new(dir.path(), &["validate"]).run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("SCIMFORM_"), "{run:?}");
}

#[tokio::test]
async fn scimform_url_wins_over_the_target_url_in_the_files() {
    let attacker = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&attacker)
        .await;
    let server = DevServerProcess::start();
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &format!(
            "target:\n  url: {}\n  token_env: {TOKEN_ENV}\nusers:\n  - userName: ada@e2e.test\n",
            attacker.uri()
        ),
    );
    for args in [vec!["plan"], vec!["apply", "--auto-approve"]] {
        let run = Scimform::new(dir.path(), &args)
            .env("SCIMFORM_URL", &server.base_url)
            .env(TOKEN_ENV, &server.token)
            .env("CI", "true")
            .run_async()
            .await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(
            !run.stderr.to_lowercase().contains("warning"),
            "{args:?}: SCIMFORM_URL set, nothing to warn about: {run:?}"
        );
    }
    let requests = attacker.received_requests().await.unwrap_or_default();
    assert!(
        requests.is_empty(),
        "{} requests went to target.url although SCIMFORM_URL is set",
        requests.len()
    );
    let plan = Scimform::new(dir.path(), &["plan"])
        .env("SCIMFORM_URL", &server.base_url)
        .env(TOKEN_ENV, &server.token)
        .run_async()
        .await;
    assert!(plan.stdout.contains("No changes."), "applied: {plan:?}");
}

/// The CI warning: names the host, says a pull request can change it, says what to do.
fn warns(run: &Run) -> bool {
    let stderr = run.stderr.to_lowercase();
    stderr.contains("warning")
        && stderr.contains("127.0.0.1")
        && stderr.contains("a pull request can change")
        && stderr.contains("scimform_url")
}

#[test]
fn under_ci_a_target_url_from_the_files_is_warned_about() {
    let server = DevServerProcess::start();
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &format!(
            "target:\n  url: {}\n  token_env: {TOKEN_ENV}\n",
            server.base_url
        ),
    );
    let out_dir = dir.path().join("exported");
    let out_arg = out_dir.to_string_lossy().to_string();
    let commands: [&[&str]; 3] = [
        &["plan"],
        &["apply", "--auto-approve"],
        &["export", "--force", "--out-dir", &out_arg],
    ];
    for args in commands {
        let run = |ci: Option<&str>| {
            let mut command = Scimform::new(dir.path(), args).env(TOKEN_ENV, &server.token);
            if let Some(ci) = ci {
                command = command.env("CI", ci);
            }
            command.run()
        };
        for ci in ["true", "1", "yes"] {
            let loud = run(Some(ci));
            assert_eq!(loud.code, 0, "{args:?} CI={ci}: {loud:?}");
            assert!(warns(&loud), "{args:?} CI={ci}: no warning: {loud:?}");
            assert!(!loud.all().contains(&server.token), "{loud:?}");
        }
        for ci in [None, Some(""), Some("false"), Some("0")] {
            let quiet = run(ci);
            assert_eq!(quiet.code, 0, "{args:?} CI={ci:?}: {quiet:?}");
            assert!(!warns(&quiet), "{args:?} CI={ci:?}: warned: {quiet:?}");
        }
        // SCIMFORM_URL set by the CI job: nothing to warn about.
        let set = Scimform::new(dir.path(), args)
            .env(TOKEN_ENV, &server.token)
            .env("SCIMFORM_URL", &server.base_url)
            .env("CI", "true")
            .run();
        assert_eq!(set.code, 0, "{args:?}: {set:?}");
        assert!(
            !warns(&set),
            "{args:?}: warned with SCIMFORM_URL set: {set:?}"
        );
    }
}

/// A token that a server writes into a *value* (a displayName, a title) is redacted in
/// every file scimform writes too: the saved plan, the exported YAML and the audit log.
#[tokio::test]
async fn a_token_in_a_server_value_never_reaches_a_written_file() {
    use wiremock::matchers::{method, path};

    let server = MockServer::start().await;
    let user = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1",
        "userName": "alice@x.test",
        "displayName": TOKEN,
        "title": format!("echo {TOKEN} echo"),
        "active": true,
    });
    let list = |resources: serde_json::Value| {
        let total = resources.as_array().map_or(0, Vec::len);
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": total,
            "itemsPerPage": total,
            "startIndex": 1,
            "Resources": resources,
        }))
    };
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(serde_json::json!([user])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(list(serde_json::json!([])))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &format!(
            "target:\n  profile: generic\n  token_env: {TOKEN_ENV}\nusers:\n  - userName: alice@x.test\n    displayName: Alice\n    title: Engineer\n"
        ),
    );
    let plan_file = dir.path().join("plan.json");
    let out_dir = dir.path().join("exported");
    let runs = [
        vec![
            "plan".to_string(),
            "--out".to_string(),
            plan_file.display().to_string(),
        ],
        vec![
            "export".to_string(),
            "--out-dir".to_string(),
            out_dir.display().to_string(),
        ],
        vec!["apply".to_string(), "--auto-approve".to_string()],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = Scimform::new(dir.path(), &args)
            .env("SCIMFORM_URL", &server.uri())
            .env(TOKEN_ENV, TOKEN)
            .run_async()
            .await;
        for form in leaked_forms() {
            assert!(
                !run.all().contains(&form),
                "{args:?}: `{form}` leaked: {run:?}"
            );
        }
    }
    let mut written = Vec::new();
    let mut pending = vec![dir.path().to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("reading a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                written.push(path);
            }
        }
    }
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    assert!(names.iter().any(|n| n.ends_with("plan.json")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("exported")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("audit")), "{names:?}");
    for file in written {
        let text = std::fs::read_to_string(&file).expect("reading a written file");
        for form in leaked_forms() {
            assert!(
                !text.contains(&form),
                "{}: `{form}` leaked:\n{text}",
                file.display()
            );
        }
    }
}
