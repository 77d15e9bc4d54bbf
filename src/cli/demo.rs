//! `scimform demo`: the whole cycle in one process, against a built-in dev-server on a
//! free loopback port — seed a directory that has drifted from `examples/acme`, plan,
//! apply, plan again and show that nothing is left to do.
//!
//! The example configuration is compiled into the binary, so the demo works from any
//! directory. Seeding goes over HTTP like any other client; the token is generated per
//! run and never printed. The demo uses the same plan/apply code as the real commands.

use std::fmt::Write as _;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

use serde_json::{Value, json};

use super::apply_run::{execute, report_outcome};
use super::args::OutcomeFormat;
use super::dev_server::start_failure;
use super::plan::{context_for, print_plan};
use super::report::{Failure, Message, exit};
use super::settings::Output;
use crate::apply::ApplyOptions;
use crate::render::Style;
use crate::scim::{
    ClientSettings, GROUP_SCHEMA, ResourceKind, ScimClient, Token, USER_SCHEMA, string_attribute,
};
use crate::{config, live, plan};
use scimform_devserver::{DevServer, DevServerOptions};

/// The example the demo plans against, as shipped in the repository: its directory and
/// every file in it, compiled in (a test checks the list against the files on disk).
pub(super) const EXAMPLE_PATH: &str = "examples/acme";
pub(super) const EXAMPLE_FILES: &[(&str, &str)] = &[
    (
        "scimform.yaml",
        include_str!("../../examples/acme/scimform.yaml"),
    ),
    (
        "groups/engineering.yaml",
        include_str!("../../examples/acme/groups/engineering.yaml"),
    ),
    (
        "groups/operations.yaml",
        include_str!("../../examples/acme/groups/operations.yaml"),
    ),
    (
        "groups/product.yaml",
        include_str!("../../examples/acme/groups/product.yaml"),
    ),
    (
        "users/engineering.yaml",
        include_str!("../../examples/acme/users/engineering.yaml"),
    ),
    (
        "users/operations.yaml",
        include_str!("../../examples/acme/users/operations.yaml"),
    ),
    (
        "users/product.yaml",
        include_str!("../../examples/acme/users/product.yaml"),
    ),
];

pub(super) async fn run(output: Output) -> Result<u8, Failure> {
    let token = demo_token();
    let server = DevServer::start(DevServerOptions::new(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        token.clone(),
    ))
    .await
    .map_err(|error| start_failure(&error))?;
    let result = cycle(&server, token, output).await;
    server.shutdown().await;
    result
}

async fn cycle(server: &DevServer, token: String, output: Output) -> Result<u8, Failure> {
    let style = output.stdout;
    let client = ScimClient::new(&ClientSettings::new(
        &server.base_url(),
        Token::new(token),
        "the demo's generated token",
    ))?;
    let declared = config::load_files(EXAMPLE_PATH, EXAMPLE_FILES)?;

    heading(
        style,
        &format!(
            "1/4  A dev-server is running at {}. Seeding it with a directory that has drifted from {EXAMPLE_PATH}:",
            server.base_url()
        ),
    );
    say(
        "     4 people are missing, 3 have stale attributes, a contractor who left is still in engineering.",
    );
    seed(&client).await?;

    heading(style, "2/4  scimform plan");
    let live = live::read(&client).await?;
    let first = plan::diff(&declared, &live, &context_for(&client, None))?;
    print_plan(&first, output);

    heading(style, "3/4  scimform apply --auto-approve");
    let options = ApplyOptions::for_client(&client);
    let report = execute(&first, &client, options, output, OutcomeFormat::Human).await;
    report_outcome(&first, &report, output, OutcomeFormat::Human)?;

    heading(style, "4/4  scimform plan, again");
    let live = live::read(&client).await?;
    let second = plan::diff(&declared, &live, &context_for(&client, None))?;
    print_plan(&second, output);
    if second.has_changes() {
        return Err(Message {
            code: "demo::not_converged",
            text: "the directory still differs from the configuration after apply".to_string(),
            help: "this is a bug in scimform: please report it with the output above".to_string(),
        }
        .into());
    }
    say("\nThe directory now matches examples/acme. Point scimform at your own directory with");
    say("target.url in scimform.yaml and the token in SCIMFORM_TOKEN: see README.md.");
    Ok(exit::OK)
}

fn heading(style: Style, text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "\n{}", style.bold(&format!("==> {text}")));
}

fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// A per-run token: not secret in any real sense (the server lives on loopback for the
/// length of the demo), but unguessable by other local processes and never printed.
fn demo_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().fold(String::with_capacity(48), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// A user as the seeded directory has it.
fn user(
    user_name: &str,
    display: &str,
    given: &str,
    family: &str,
    title: &str,
    active: bool,
) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "displayName": display,
        "name": { "givenName": given, "familyName": family },
        "title": title,
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": active,
    })
}

/// Create the drifted directory over HTTP.
async fn seed(client: &ScimClient) -> Result<(), Failure> {
    let users = [
        user(
            "amara.okafor@acme.test",
            "Amara Okafor",
            "Amara",
            "Okafor",
            "VP Engineering",
            true,
        ),
        // A stale display name.
        user(
            "ben.carter@acme.test",
            "Benjamin Carter",
            "Ben",
            "Carter",
            "Backend Engineer",
            true,
        ),
        user(
            "chen.wei@acme.test",
            "Chen Wei",
            "Wei",
            "Chen",
            "Site Reliability Engineer",
            true,
        ),
        user(
            "diana.reyes@acme.test",
            "Diana Reyes",
            "Diana",
            "Reyes",
            "Product Designer",
            true,
        ),
        user(
            "greta.lindqvist@acme.test",
            "Greta Lindqvist",
            "Greta",
            "Lindqvist",
            "Head of Design",
            true,
        ),
        // A stale title.
        user(
            "hiro.tanaka@acme.test",
            "Hiro Tanaka",
            "Hiro",
            "Tanaka",
            "Data Analyst",
            true,
        ),
        user(
            "isla.mackenzie@acme.test",
            "Isla MacKenzie",
            "Isla",
            "MacKenzie",
            "People Partner",
            true,
        ),
        // Deactivated by mistake.
        user(
            "jonas.weber@acme.test",
            "Jonas Weber",
            "Jonas",
            "Weber",
            "Finance Lead",
            false,
        ),
        // Not in the configuration: left alone as a user, but removed from engineering.
        user(
            "temp.contractor@acme.test",
            "Temp Contractor",
            "Temp",
            "Contractor",
            "Contractor",
            true,
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for body in &users {
        let created = client
            .create(ResourceKind::User, body)
            .await?
            .body
            .unwrap_or_default();
        let user_name = body["userName"].as_str().unwrap_or_default().to_string();
        let id = string_attribute(&created, "id")
            .unwrap_or_default()
            .to_string();
        ids.insert(user_name, id);
    }
    let groups: [(&str, &[&str]); 3] = [
        (
            "engineering",
            &[
                "amara.okafor@acme.test",
                "ben.carter@acme.test",
                "chen.wei@acme.test",
                "temp.contractor@acme.test",
            ],
        ),
        (
            "design",
            &["diana.reyes@acme.test", "greta.lindqvist@acme.test"],
        ),
        (
            "finance-and-people",
            &["isla.mackenzie@acme.test", "jonas.weber@acme.test"],
        ),
    ];
    for (name, members) in groups {
        let members: Vec<Value> = members
            .iter()
            .filter_map(|m| ids.get(*m))
            .map(|id| json!({ "value": id }))
            .collect();
        let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members });
        client.create(ResourceKind::Group, &body).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compiled-in example is exactly the files of examples/acme, and it loads.
    #[test]
    fn the_embedded_example_is_the_example_on_disk() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE_PATH);
        let mut on_disk = Vec::new();
        let mut pending = vec![dir.clone()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(&next).expect("reading examples/acme") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path.strip_prefix(&dir).expect("inside the example");
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    let text = std::fs::read_to_string(&path).expect("reading an example file");
                    on_disk.push((rel, text));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<(String, String)> = EXAMPLE_FILES
            .iter()
            .map(|(path, text)| (path.to_string(), text.to_string()))
            .collect();
        embedded.sort();
        assert_eq!(
            embedded, on_disk,
            "update EXAMPLE_FILES to match examples/acme"
        );
        let declared = config::load_files(EXAMPLE_PATH, EXAMPLE_FILES).expect("the example loads");
        assert_eq!((declared.users.len(), declared.groups.len()), (12, 4));
    }
}
