//! Adopting an Atlassian organisation whose people were created by SAML just-in-time
//! provisioning, end to end against the dev-server's Atlassian emulation (its SCIM
//! directory and the parts of the organisation API scimform reads): the plan shows whom
//! each create links and who is left outside, apply links them and fills the groups, the
//! organisation then reports them synced, and the next plan is empty. Also: a create whose
//! email is linked in another directory is refused, a stale link is warned about, the
//! unsynced accounts export as users that validate, and neither key ever shows.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::cycle::{Run, TOKEN_ENV, scimform_with};
use crate::support::dev_server::DevServerProcess;

const KEY_ENV: &str = "SCIMFORM_E2E_ATLASSIAN_KEY";
const ADMIN_KEY: &str = "org-admin-key-7f3e9a1c5d";

/// The organisation: 40 JIT accounts (not in the SCIM directory) and 10 already synced.
fn seed(dir: &Path, links: &Value) -> String {
    let mut accounts = Vec::new();
    for i in 0..40 {
        accounts.push(json!({
            "account_id": format!("5b10{i:020}"),
            "email": format!("jit{i:02}@acme.test"),
            "name": format!("Jit Person {i}"),
            "account_status": "active",
            "claim_status": "managed",
            "synced": false
        }));
    }
    for i in 0..10 {
        accounts.push(json!({
            "account_id": format!("5c20{i:020}"),
            "email": format!("synced{i:02}@acme.test"),
            "name": format!("Synced Person {i}"),
            "account_status": "active",
            "claim_status": "managed",
            "synced": true
        }));
    }
    let seed = json!({
        "org_id": "acme-org",
        "directory_id": "dev-directory",
        "verified_domains": ["acme.test"],
        "accounts": accounts,
        "links": links,
    });
    let path = dir.join("accounts.json");
    std::fs::write(&path, seed.to_string()).expect("write the seed");
    path.to_string_lossy().into_owned()
}

/// 30 of the JIT people, in four groups.
fn config(dir: &Path, base_url: &str, extra_users: &str) {
    let mut yaml = format!(
        "target:\n  url: {base_url}\n  profile: atlassian\n  token_env: {TOKEN_ENV}\n  atlassian:\n    org_id: acme-org\n    admin_token_env: {KEY_ENV}\nusers:\n"
    );
    for i in 0..30 {
        let _ = writeln!(
            yaml,
            "  - userName: jit{i:02}@acme.test\n    email: jit{i:02}@acme.test\n    displayName: Jit Person {i}"
        );
    }
    yaml.push_str(extra_users);
    yaml.push_str("groups:\n");
    for (g, name) in ["engineering", "design", "support", "finance"]
        .iter()
        .enumerate()
    {
        let members: Vec<String> = (0..30)
            .filter(|i| i % 4 == g)
            .map(|i| format!("jit{i:02}@acme.test"))
            .collect();
        let _ = writeln!(
            yaml,
            "  - displayName: {name}\n    members: [{}]",
            members.join(", ")
        );
    }
    std::fs::write(dir.join("scimform.yaml"), yaml).expect("write scimform.yaml");
}

fn run(dir: &Path, server: &DevServerProcess, args: &[&str]) -> Run {
    let run = scimform_with(dir, Some(&server.token), args, &[(KEY_ENV, ADMIN_KEY)]);
    for secret in [server.token.as_str(), ADMIN_KEY] {
        assert!(!run.all().contains(secret), "a key leaked: {run:?}");
    }
    run
}

async fn org_search(server: &DevServerProcess, body: Value) -> Value {
    let origin = server
        .base_url
        .split("/scim/")
        .next()
        .unwrap_or_default()
        .to_string();
    let response = crate::support::http_client()
        .post(format!(
            "{origin}/admin/v2/orgs/acme-org/directories/-/users/search"
        ))
        .bearer_auth(ADMIN_KEY)
        .json(&body)
        .send()
        .await
        .expect("the org API answers");
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn a_jit_organisation_is_linked_not_duplicated_and_the_rest_is_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let accounts = seed(dir.path(), &json!([]));
    let server = DevServerProcess::start_with(&[
        "--emulate",
        "atlassian",
        "--atlassian-accounts",
        &accounts,
        "--atlassian-admin-token",
        ADMIN_KEY,
    ]);
    assert!(
        server.base_url.ends_with("/scim/directory/dev-directory"),
        "{}",
        server.base_url
    );
    config(dir.path(), &server.base_url, "");

    let plan_file = dir.path().join("plan.json");
    let plan = run(
        dir.path(),
        &server,
        &[
            "plan",
            "--detailed-exitcode",
            "--out",
            &plan_file.to_string_lossy(),
        ],
    );
    assert_eq!(plan.code, 2, "{plan:?}");
    assert_eq!(
        plan.stdout
            .matches("will be linked to an existing Atlassian account")
            .count(),
        30,
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("+ user jit00@acme.test → existing Atlassian account 5b1000000000000000000000 (Jit Person 0, active)"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 4 to create, 30 to link, 0 to adopt"),
        "the four groups are created, every person is linked: {plan:?}"
    );
    assert!(
        !plan.stdout.contains("user jit00@acme.test will be created"),
        "no plain create of a person: {plan:?}"
    );
    assert!(
        plan.stdout.contains("Atlassian: 10 managed accounts in verified domains (acme.test) are outside the SCIM directory and not declared:"),
        "{plan:?}"
    );
    for i in 30..40 {
        assert!(
            plan.stdout
                .contains(&format!("jit{i:02}@acme.test  (Jit Person {i}")),
            "{plan:?}"
        );
    }
    assert!(
        !plan.stdout.contains("synced00@acme.test  ("),
        "synced accounts are in the directory"
    );
    let markdown = run(dir.path(), &server, &["plan", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("| create | link | adopt |"),
        "{markdown:?}"
    );
    assert!(
        markdown.stdout.contains("→ existing Atlassian account"),
        "{markdown:?}"
    );
    assert_eq!(
        markdown
            .stdout
            .matches("<summary>Atlassian: 10 managed accounts in verified domains outside the SCIM directory, not declared</summary>")
            .count(),
        1,
        "the accounts outside the directory are listed once: {markdown:?}"
    );
    let file = std::fs::read_to_string(&plan_file).expect("plan file");
    assert!(!file.contains(ADMIN_KEY) && !file.contains(&server.token));
    let document: Value = serde_json::from_str(&file).expect("JSON");
    assert_eq!(document["summary"]["link"], json!(30));
    assert_eq!(
        document["atlassian"]["unsynced"].as_array().map(Vec::len),
        Some(10)
    );

    let apply = run(
        dir.path(),
        &server,
        &["apply", &plan_file.to_string_lossy(), "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(
        apply.stdout.matches("; linked to account 5b10").count(),
        30,
        "{apply:?}"
    );

    // The organisation now reports the 30 as synced.
    let found = org_search(&server, json!({"claimStatus": "managed", "limit": 100})).await;
    let synced: Vec<&str> = found["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["managementSource"] == "synced")
        .filter_map(|a| a["email"].as_str())
        .collect();
    assert_eq!(
        synced.len(),
        40,
        "30 linked and 10 synced before: {synced:?}"
    );

    let again = run(dir.path(), &server, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "the next plan is empty: {again:?}");
    assert!(
        again.stdout.contains("Atlassian: 10 managed accounts"),
        "{again:?}"
    );

    // The accounts left outside, as users to declare; they validate.
    let out = dir.path().join("unsynced");
    let export = run(
        dir.path(),
        &server,
        &[
            "export",
            "--atlassian-unsynced",
            "--out-dir",
            &out.to_string_lossy(),
        ],
    );
    assert_eq!(export.code, 0, "{export:?}");
    let validate = run(&out, &server, &["validate"]);
    assert_eq!(validate.code, 0, "{validate:?}");
    let written = std::fs::read_to_string(out.join("users/atlassian-unsynced.yaml"))
        .expect("the exported users");
    for i in 30..40 {
        assert!(
            written.contains(&format!("jit{i:02}@acme.test")),
            "{written}"
        );
    }
    assert!(
        !written.contains("jit00@acme.test"),
        "linked ones are not in it"
    );
}

#[tokio::test]
async fn a_link_in_another_directory_is_refused_and_a_stale_link_is_warned_about() {
    let dir = tempfile::tempdir().expect("temp dir");
    let links = json!([
        {"account_id": format!("5b10{:020}", 3), "directory_id": "other-directory", "scim_user_id": "ext-3"},
        {"account_id": null, "email": "stale@acme.test", "directory_id": "dev-directory", "scim_user_id": "stale-1"}
    ]);
    let accounts = seed(dir.path(), &links);
    let server = DevServerProcess::start_with(&[
        "--emulate",
        "atlassian",
        "--atlassian-accounts",
        &accounts,
        "--atlassian-admin-token",
        ADMIN_KEY,
    ]);
    config(dir.path(), &server.base_url, "");
    let refused = run(dir.path(), &server, &["plan"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.is_empty(), "nothing planned: {refused:?}");
    assert!(
        refused.stderr.contains("user `jit03@acme.test`")
            && refused
                .stderr
                .contains("linked to a SCIM record in another directory")
            && refused.stderr.contains("other-directory"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("help:"), "{refused:?}");

    // Without jit03, a user whose email has a stale record: warned about.
    let text = std::fs::read_to_string(dir.path().join("scimform.yaml")).expect("config");
    let text = text
        .replace("  - userName: jit03@acme.test\n    email: jit03@acme.test\n    displayName: Jit Person 3\n", "  - userName: stale@acme.test\n    email: stale@acme.test\n")
        .replace("jit03@acme.test, ", "");
    std::fs::write(dir.path().join("scimform.yaml"), text).expect("write");
    let warned = run(dir.path(), &server, &["plan"]);
    assert_eq!(warned.code, 0, "{warned:?}");
    assert!(
        warned.stdout.contains("`stale@acme.test` has a SCIM record linked to no account (a stale record): creating `stale@acme.test` will fail with 409"),
        "{warned:?}"
    );
}

#[tokio::test]
async fn without_organisation_access_every_create_says_it_may_link() {
    let server = DevServerProcess::start_with(&["--emulate", "atlassian"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "target:\n  url: {}\n  profile: atlassian\n  token_env: {TOKEN_ENV}\npolicy:\n  unmanaged_users: delete\n  max_destroy: {{count: 5, percent: 100}}\nusers:\n  - userName: a@acme.test\n    email: a@acme.test\n",
        server.base_url
    );
    std::fs::write(dir.path().join("scimform.yaml"), text).expect("write");
    crate::support::cycle::Http::new(&server.base_url, &server.token)
        .create_user("leaver@acme.test", "Leaver")
        .await;
    let plan = run(dir.path(), &server, &["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "if an Atlassian account already has this email, it is linked to the new SCIM user"
        ),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("removes the account from the SCIM directory and deactivates it")
            && plan.stdout.contains("`active: false` keeps it"),
        "DELETE on atlassian is explained, with the alternative: {plan:?}"
    );
}

#[tokio::test]
async fn the_organisation_key_is_redacted_when_a_server_echoes_it() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let empty = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []});
    Mock::given(method("GET"))
        .and(path_regex("^/scim/directory/d1/(Users|Groups)$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(empty))
        .mount(&server)
        .await;
    Mock::given(path_regex("^/admin/.*"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "key": "forbidden",
            "errorDetail": format!("Error: key {ADMIN_KEY} may not read organisation acme-org")
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("temp dir");
    config(
        dir.path(),
        &format!("{}/scim/directory/d1", server.uri()),
        "",
    );
    let scim_token = "scim-directory-key-19ab27cd";
    let run = scimform_with(
        dir.path(),
        Some(scim_token),
        &["plan"],
        &[(KEY_ENV, ADMIN_KEY)],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        !run.all().contains(ADMIN_KEY),
        "the organisation key leaked: {run:?}"
    );
    assert!(
        !run.all().contains(scim_token),
        "the SCIM key leaked: {run:?}"
    );
    assert!(run.stderr.contains("[redacted]"), "{run:?}");
    assert!(run.stderr.contains("atlassian::org"), "{run:?}");
}
