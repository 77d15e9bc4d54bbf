//! The end-to-end cycle that every server must pass: seed a drifted live state over HTTP,
//! run the built `scimform` binary's `plan` (assert the changes and the exit code),
//! `apply --auto-approve`, check the directory over HTTP, and `plan` again (no changes).
//! The token must not appear in any output.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

/// The environment variable the cycle's config names in `target.token_env`.
pub(crate) const TOKEN_ENV: &str = "SCIMFORM_E2E_TOKEN";

pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A finished run of the binary.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn finish(output: &Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Run `scimform ARGS` with `-C dir`, the token in `TOKEN_ENV` (when given), no colour,
/// and none of the developer's own scimform variables.
pub(crate) fn scimform(dir: &Path, token: Option<&str>, args: &[&str]) -> Run {
    scimform_with(dir, token, args, &[])
}

/// [`scimform`] with extra environment variables.
pub(crate) fn scimform_with(
    dir: &Path,
    token: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimform"));
    command
        .args(args)
        .arg("-C")
        .arg(dir)
        .env_remove("SCIMFORM_URL")
        .env_remove("SCIMFORM_TOKEN")
        .env_remove(TOKEN_ENV)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "250");
    if let Some(token) = token {
        command.env(TOKEN_ENV, token);
    }
    command.envs(env.iter().copied());
    finish(&command.output().expect("running the scimform binary"))
}

/// A plain HTTP client for seeding and checking.
pub(crate) struct Http {
    client: reqwest::Client,
    base_url: String,
    token: String,
}

impl Http {
    pub(crate) fn new(base_url: &str, token: &str) -> Http {
        Http {
            client: super::http_client(),
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST reaches the server");
        let status = response.status();
        let text = response.text().await.expect("POST body");
        assert!(status.is_success(), "POST {path} -> {status}: {text}");
        serde_json::from_str(&text).expect("POST answers JSON")
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET reaches the server");
        let status = response.status();
        let text = response.text().await.expect("GET body");
        assert!(status.is_success(), "GET {path} -> {status}: {text}");
        serde_json::from_str(&text).expect("GET answers JSON")
    }

    pub(crate) async fn create_user(&self, user_name: &str, display_name: &str) -> String {
        let body = json!({
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "displayName": display_name,
            "active": true,
            "emails": [{"value": user_name, "primary": true}],
        });
        id(&self.post("/Users", body).await)
    }

    pub(crate) async fn create_group(&self, name: &str, member_ids: &[&str]) -> String {
        let members: Vec<Value> = member_ids.iter().map(|m| json!({ "value": m })).collect();
        let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members });
        id(&self.post("/Groups", body).await)
    }

    /// All resources of a list endpoint (small directories: one page of up to 100).
    pub(crate) async fn list(&self, endpoint: &str) -> Vec<Value> {
        let page = self.get(&format!("{endpoint}?count=100")).await;
        page.as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Resources")))
            .and_then(|(_, v)| v.as_array())
            .cloned()
            .unwrap_or_default()
    }
}

pub(crate) fn id(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("resource has no id: {resource}"))
        .to_string()
}

/// Write `scimform.yaml` for the cycle into `dir`.
pub(crate) fn write_config(dir: &Path, base_url: &str) {
    write_config_for(dir, base_url, "generic");
}

/// Write `scimform.yaml` for the cycle into `dir`, for a provider profile.
pub(crate) fn write_config_for(dir: &Path, base_url: &str, profile: &str) {
    let config = format!(
        r"target:
  url: {base_url}
  profile: {profile}
  token_env: {TOKEN_ENV}
users:
  - userName: alice@e2e.test
    displayName: Alice Ng
    name: {{ givenName: Alice, familyName: Ng }}
    emails: [{{ value: alice@e2e.test, primary: true }}]
    active: true
  - userName: bob@e2e.test
    displayName: Bob Stone
    emails: [{{ value: bob@e2e.test, primary: true }}]
    active: true
  - userName: carol@e2e.test
    displayName: Carol Diaz
groups:
  - displayName: engineering
    members: [alice@e2e.test, bob@e2e.test]
  - displayName: oncall
    members: [carol@e2e.test]
"
    );
    std::fs::write(dir.join("scimform.yaml"), config).expect("writing scimform.yaml");
}

/// The whole cycle against a server at `base_url` that accepts `token`.
pub(crate) async fn full_cycle(base_url: &str, token: &str) {
    full_cycle_for(base_url, token, "generic").await;
}

/// The whole cycle with the configuration naming `profile`.
pub(crate) async fn full_cycle_for(base_url: &str, token: &str, profile: &str) {
    let http = Http::new(base_url, token);
    // The drifted directory: alice's displayName is stale, bob is missing, mallory (not
    // declared) is in engineering, oncall does not exist.
    let alice = http.create_user("alice@e2e.test", "Alice").await;
    http.create_user("carol@e2e.test", "Carol Diaz").await;
    let mallory = http.create_user("mallory@e2e.test", "Mallory").await;
    http.create_group("engineering", &[&alice, &mallory]).await;

    let dir = tempfile::tempdir().expect("temp dir");
    write_config_for(dir.path(), base_url, profile);

    let plan = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "plan with changes exits 2: {plan:?}");
    for expected in [
        "+ user bob@e2e.test",
        "~ user alice@e2e.test",
        r#"~ displayName     = "Alice" -> "Alice Ng""#,
        "+ name.givenName  = \"Alice\"",
        "~ group engineering",
        "+ member bob@e2e.test  (created by this plan)",
        "- member mallory@e2e.test",
        "+ group oncall",
        "+ member carol@e2e.test",
        "Not managed: 1 user and 0 groups",
        "Plan: 2 to create, 0 to adopt, 2 to update, 0 to replace, 0 to deactivate, 0 to delete; 3 membership changes (1 removal).",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "plan lacks `{expected}`: {plan:?}"
        );
    }

    let apply = scimform(dir.path(), Some(token), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "apply succeeds: {apply:?}");
    assert!(
        apply.stdout.contains("Apply complete! 4 changes applied."),
        "{apply:?}"
    );

    // The directory itself, read back over HTTP.
    let users = http.list("/Users").await;
    let id_of = |name: &str| {
        users
            .iter()
            .find(|u| u["userName"].as_str() == Some(name))
            .map_or_else(|| panic!("{name} is in the directory"), id)
    };
    let groups = http.list("/Groups").await;
    // Members as GET /Groups/{id} shows them; `None` where the server never shows them
    // (emulated AWS / Entra), where the empty re-plan below is the check.
    let mut members_of = std::collections::HashMap::new();
    for name in ["engineering", "oncall"] {
        let group = groups
            .iter()
            .find(|g| g["displayName"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("group {name} exists"));
        let full = http.get(&format!("/Groups/{}", id(group))).await;
        let members = full
            .get("members")
            .and_then(Value::as_array)
            .map(|members| {
                let mut ids: Vec<String> = members
                    .iter()
                    .filter_map(|m| m["value"].as_str().map(str::to_string))
                    .collect();
                ids.sort();
                ids
            });
        members_of.insert(name, members);
    }
    let mut engineering = vec![id_of("alice@e2e.test"), id_of("bob@e2e.test")];
    engineering.sort();
    if let Some(Some(members)) = members_of.get("engineering") {
        assert_eq!(members, &engineering);
    }
    if let Some(Some(members)) = members_of.get("oncall") {
        assert_eq!(members, &vec![id_of("carol@e2e.test")]);
    }
    let alice_now = users
        .iter()
        .find(|u| u["userName"] == "alice@e2e.test")
        .expect("alice");
    assert_eq!(alice_now["displayName"], "Alice Ng");
    assert_eq!(alice_now["name"]["familyName"], "Ng");

    let again = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "plan after apply is empty: {again:?}");
    assert!(
        again
            .stdout
            .contains("No changes. The directory matches the configuration."),
        "{again:?}"
    );

    for run in [&plan, &apply, &again] {
        assert!(!run.all().contains(token), "the token leaked: {run:?}");
    }
}

/// Run `scimform ARGS` with the target given only by the environment (`SCIMFORM_URL`,
/// `SCIMFORM_TOKEN`), as `export` on a fresh machine would be.
pub(crate) fn scimform_with_target(base_url: &str, token: &str, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimform"));
    command
        .args(args)
        .env("SCIMFORM_URL", base_url)
        .env("SCIMFORM_TOKEN", token)
        .env_remove(TOKEN_ENV)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "250");
    finish(&command.output().expect("running the scimform binary"))
}

/// Seed a small directory, export it (in `split` layout), and check that the export
/// validates and that a plan of it against the same directory is empty.
pub(crate) async fn export_round_trip(base_url: &str, token: &str, split: &str) {
    let http = Http::new(base_url, token);
    let rich = json!({
        "schemas": [USER_SCHEMA],
        "userName": "dana@rt.test",
        "displayName": "Dana Scully",
        "name": {"givenName": "Dana", "familyName": "Scully"},
        "title": "Special Agent",
        "emails": [{"value": "dana@rt.test", "type": "work", "primary": true}],
        "active": true,
    });
    let dana = id(&http.post("/Users", rich).await);
    let fox = http.create_user("fox@rt.test", "Fox Mulder").await;
    let inactive = json!({
        "schemas": [USER_SCHEMA], "userName": "walter@rt.test", "active": false
    });
    http.post("/Users", inactive).await;
    http.create_group("x-files", &[&dana, &fox]).await;
    http.create_group("empty-group", &[]).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("exported");
    let out_arg = out.to_string_lossy().to_string();
    let export = scimform_with_target(
        base_url,
        token,
        &[
            "export",
            "-C",
            &out_arg,
            "--out-dir",
            &out_arg,
            "--split",
            split,
        ],
    );
    assert_eq!(export.code, 0, "export succeeds: {export:?}");
    assert!(
        export.stdout.contains("Exported 3 users and 2 groups"),
        "{export:?}"
    );
    let root = std::fs::read_to_string(out.join("scimform.yaml")).expect("scimform.yaml written");
    assert!(
        root.contains(base_url),
        "the export names its target:\n{root}"
    );

    let validate = scimform_with_target(base_url, token, &["validate", "-C", &out_arg]);
    assert_eq!(validate.code, 0, "the export validates: {validate:?}");

    let plan = scimform_with_target(
        base_url,
        token,
        &["plan", "--detailed-exitcode", "-C", &out_arg],
    );
    assert_eq!(
        plan.code, 0,
        "a plan of the export is empty: {plan:?}\n{root}"
    );
    assert!(plan.stdout.contains("No changes."), "{plan:?}");

    // A second export into the same place refuses to overwrite.
    let again = scimform_with_target(
        base_url,
        token,
        &[
            "export",
            "-C",
            &out_arg,
            "--out-dir",
            &out_arg,
            "--split",
            split,
        ],
    );
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("nothing was written"), "{again:?}");
    for run in [&export, &validate, &plan, &again] {
        assert!(!run.all().contains(token), "the token leaked: {run:?}");
    }
}
