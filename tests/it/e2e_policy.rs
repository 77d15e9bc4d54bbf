//! Policies, guards and the actions they plan, end to end: the built binary against the
//! dev-server (and its provider emulations), the directory checked over HTTP.
//!
//! Exit codes: 0 no changes (or applied), 1 error, 2 changes (`--detailed-exitcode`),
//! 3 refused by a guard.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::cycle::{Http, TOKEN_ENV, scimform};
use crate::support::dev_server::DevServerProcess;

/// Copy `examples/acme` into `dir`, pointed at `base_url` with the token in `TOKEN_ENV`.
fn acme(dir: &Path, base_url: &str) {
    let root = crate::support::repo_root().join("examples/acme");
    for rel in [
        "scimform.yaml",
        "users/engineering.yaml",
        "users/operations.yaml",
        "users/product.yaml",
        "groups/engineering.yaml",
        "groups/operations.yaml",
        "groups/product.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(rel)).expect("example file");
        let text = text
            .replace(
                "url: https://scim.acme.test/scim/v2",
                &format!("url: {base_url}"),
            )
            .replace(
                "token_env: SCIMFORM_TOKEN",
                &format!("token_env: {TOKEN_ENV}"),
            );
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

fn find<'a>(resources: &'a [Value], key: &str, name: &str) -> &'a Value {
    resources
        .iter()
        .find(|r| r[key].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{name} is not in {resources:?}"))
}

fn member_ids(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_acme_example_refuses_what_its_comments_promise_and_force_applies_it() {
    let server = DevServerProcess::start();
    let token = server.token.as_str();
    let http = Http::new(&server.base_url, token);
    let dir = tempfile::tempdir().expect("temp dir");
    acme(dir.path(), &server.base_url);

    // From an empty directory: everything is created, nothing is refused.
    let first = scimform(dir.path(), Some(token), &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{first:?}");
    let empty = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(empty.code, 0, "no changes exits 0: {empty:?}");

    // Someone adds seven people to the protected, privileged sre-oncall by hand, and a
    // pull request deactivates the protected amara.okafor.
    let groups = http.list("/Groups").await;
    let oncall = find(&groups, "displayName", "sre-oncall")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut extra = Vec::new();
    for i in 0..7 {
        extra.push(
            http.create_user(&format!("extra{i}@acme.test"), &format!("Extra {i}"))
                .await,
        );
    }
    let mut members = member_ids(&http.get(&format!("/Groups/{oncall}")).await);
    members.extend(extra.iter().cloned());
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members",
                        "value": extra.iter().map(|id| json!({"value": id})).collect::<Vec<_>>()}]
    });
    let response = reqwest_patch(
        &server.base_url,
        token,
        &format!("/Groups/{oncall}"),
        &patch,
    )
    .await;
    assert!(response < 300, "PATCH answered {response}");
    let users_file = dir.path().join("users/engineering.yaml");
    let text = std::fs::read_to_string(&users_file).expect("read");
    std::fs::write(
        &users_file,
        text.replace(
            "    title: VP Engineering\n",
            "    title: VP Engineering\n    active: false\n",
        ),
    )
    .expect("write");

    let refused = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(refused.code, 3, "a tripped guard exits 3: {refused:?}");
    for expected in [
        "Refused: 4 safety guards tripped",
        "the plan destroys or deactivates 8",
        "policy.max_destroy.count allows 3",
        "the plan deactivates protected user `amara.okafor@acme.test`",
        "protected group `sre-oncall` would lose 7 members",
        "Plan: 0 to create, 0 to adopt, 1 to update, 0 to replace, 1 to deactivate, 0 to delete; 7 membership changes (7 removals).",
    ] {
        assert!(
            refused.stdout.contains(expected),
            "lacks `{expected}`: {refused:?}"
        );
    }
    assert!(refused.stderr.contains("--force"), "{refused:?}");
    // Without --detailed-exitcode a refusal is still 3.
    let plain = scimform(dir.path(), Some(token), &["plan"]);
    assert_eq!(plain.code, 3, "{plain:?}");

    // apply refuses too, and changes nothing.
    let apply = scimform(dir.path(), Some(token), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 3, "{apply:?}");
    let users = http.list("/Users").await;
    assert_eq!(
        find(&users, "userName", "amara.okafor@acme.test")["active"],
        json!(true)
    );
    assert_eq!(
        member_ids(&http.get(&format!("/Groups/{oncall}")).await).len(),
        10
    );

    // --force applies it.
    let forced = scimform(
        dir.path(),
        Some(token),
        &["apply", "--auto-approve", "--force"],
    );
    assert_eq!(forced.code, 0, "{forced:?}");
    let users = http.list("/Users").await;
    assert_eq!(
        find(&users, "userName", "amara.okafor@acme.test")["active"],
        json!(false)
    );
    assert_eq!(
        member_ids(&http.get(&format!("/Groups/{oncall}")).await).len(),
        3
    );
    let after = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(after.code, 0, "plan after apply is empty: {after:?}");

    // An error (a wrong token) exits 1.
    let wrong = scimform(
        dir.path(),
        Some("not-the-token"),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(wrong.code, 1, "{wrong:?}");
}

async fn reqwest_patch(base_url: &str, token: &str, path: &str, body: &Value) -> u16 {
    crate::support::http_client()
        .patch(format!("{base_url}{path}"))
        .bearer_auth(token)
        .header("Content-Type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await
        .expect("PATCH reaches the server")
        .status()
        .as_u16()
}

fn config(dir: &Path, base_url: &str, profile: &str, body: &str) {
    let text = format!(
        "target:\n  url: {base_url}\n  profile: {profile}\n  token_env: {TOKEN_ENV}\n{body}"
    );
    std::fs::write(dir.join("scimform.yaml"), text).expect("write scimform.yaml");
}

#[tokio::test]
async fn accounts_found_by_email_or_external_id_are_adopted_not_created_again() {
    let server = DevServerProcess::start();
    let token = server.token.as_str();
    let http = Http::new(&server.base_url, token);
    let jane = http.create_user("jdoe", "J. Doe").await;
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "ext-7", "externalId": "HR-7", "emails": [{"value": "old@x.test"}]});
    let seven = crate::support::cycle::id(&http.post("/Users", body).await);
    // jdoe's primary email is its userName; make it the address the files know.
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "emails", "value": [{"value": "jane@x.test", "primary": true}]}]});
    assert!(reqwest_patch(&server.base_url, token, &format!("/Users/{jane}"), &patch).await < 300);
    let dir = tempfile::tempdir().expect("temp dir");
    config(
        dir.path(),
        &server.base_url,
        "generic",
        r"policy:
  match_users_by: [userName, email, externalId]
users:
  - userName: jane@x.test
    email: jane@x.test
    displayName: Jane Doe
  - userName: sam@x.test
    externalId: HR-7
",
    );
    let plan = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    for expected in [
        "# user jane@x.test will be adopted: the directory has this person as `jdoe` (matched by email `jane@x.test`)",
        "~ userName    = \"jdoe\" -> \"jane@x.test\"",
        "# user sam@x.test will be adopted: the directory has this person as `ext-7` (matched by externalId `HR-7`)",
        "Plan: 0 to create, 2 to adopt",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "lacks `{expected}`: {plan:?}"
        );
    }
    let apply = scimform(dir.path(), Some(token), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    let users = http.list("/Users").await;
    assert_eq!(users.len(), 2, "no second account: {users:?}");
    assert_eq!(find(&users, "userName", "jane@x.test")["id"], json!(jane));
    assert_eq!(find(&users, "userName", "sam@x.test")["id"], json!(seven));
    let again = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");

    // Two accounts with the declared email: an error naming both, nothing planned.
    http.create_user("jane.two", "Jane Two").await;
    let users = http.list("/Users").await;
    let two = find(&users, "userName", "jane.two")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "emails", "value": [{"value": "dup@x.test", "primary": true}]}]});
    assert!(reqwest_patch(&server.base_url, token, &format!("/Users/{two}"), &patch).await < 300);
    assert!(reqwest_patch(&server.base_url, token, &format!("/Users/{jane}"), &patch).await < 300);
    config(
        dir.path(),
        &server.base_url,
        "generic",
        "policy:\n  match_users_by: [userName, email]\nusers:\n  - userName: new@x.test\n    email: dup@x.test\n",
    );
    let ambiguous = scimform(dir.path(), Some(token), &["plan"]);
    assert_eq!(ambiguous.code, 1, "{ambiguous:?}");
    assert!(
        ambiguous.stdout.is_empty(),
        "nothing planned: {ambiguous:?}"
    );
    assert!(
        ambiguous
            .stderr
            .contains("matches 2 live users by email `dup@x.test`")
            && ambiguous.stderr.contains("jane.two")
            && ambiguous.stderr.contains("jane@x.test"),
        "{ambiguous:?}"
    );
}

#[tokio::test]
async fn a_group_rename_on_atlassian_replaces_it_with_its_members() {
    let server = DevServerProcess::start_with(&["--emulate", "atlassian"]);
    let token = server.token.as_str();
    let http = Http::new(&server.base_url, token);
    let a = http.create_user("a@x.test", "A").await;
    let b = http.create_user("b@x.test", "B").await;
    let old = http.create_group("infra", &[&a, &b]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    config(
        dir.path(),
        &server.base_url,
        "atlassian",
        r"users:
  - userName: a@x.test
  - userName: b@x.test
groups:
  - displayName: platform
    previously: [infra]
    members: [a@x.test, b@x.test]
",
    );
    let plan = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    // One replace among two users: over 10 % of the managed users.
    assert_eq!(plan.code, 3, "{plan:?}");
    for expected in [
        "-/+ group platform",
        "the atlassian provider cannot rename groups",
        "  member a@x.test",
        "  member b@x.test",
        "1 to replace",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "lacks `{expected}`: {plan:?}"
        );
    }
    let apply = scimform(
        dir.path(),
        Some(token),
        &["apply", "--auto-approve", "--force"],
    );
    assert_eq!(apply.code, 0, "{apply:?}");
    let groups = http.list("/Groups").await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    let platform = find(&groups, "displayName", "platform");
    assert_ne!(platform["id"], json!(old));
    let mut members = member_ids(
        &http
            .get(&format!("/Groups/{}", platform["id"].as_str().expect("id")))
            .await,
    );
    members.sort();
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(members, expected);
    let again = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

#[tokio::test]
async fn unmanaged_users_are_deleted_as_each_provider_deletes() {
    for (profile, gone) in [("generic", true), ("slack", false)] {
        let server = DevServerProcess::start_with(&["--emulate", profile]);
        let token = server.token.as_str();
        let http = Http::new(&server.base_url, token);
        http.create_user("keep@x.test", "Keep").await;
        http.create_user("leaver@x.test", "Leaver").await;
        let dir = tempfile::tempdir().expect("temp dir");
        config(
            dir.path(),
            &server.base_url,
            profile,
            r"policy:
  unmanaged_users: delete
  max_destroy: {count: 5, percent: 50}
users:
  - userName: keep@x.test
",
        );
        let plan = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 2, "{profile}: {plan:?}");
        let wording = if gone {
            "DELETE deletes the account for good"
        } else {
            "DELETE only deactivates the account"
        };
        assert!(plan.stdout.contains("- user leaver@x.test"), "{plan:?}");
        assert!(plan.stdout.contains(wording), "{profile}: {plan:?}");
        let apply = scimform(dir.path(), Some(token), &["apply", "--auto-approve"]);
        assert_eq!(apply.code, 0, "{profile}: {apply:?}");
        let users = http.list("/Users").await;
        let leaver = users
            .iter()
            .find(|u| u["userName"].as_str() == Some("leaver@x.test"));
        if gone {
            assert!(leaver.is_none(), "{users:?}");
        } else {
            assert_eq!(leaver.map(|u| u["active"].clone()), Some(json!(false)));
        }
        let again = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
        assert_eq!(again.code, 0, "{profile}: {again:?}");
    }
}
