//! The Atlassian organisation for `plan`, `apply` and `export`: its key from the
//! environment (the variable `target.atlassian.admin_token_env` names; never a file), a
//! client on the SCIM target's host, and the read of what a plan needs.

use super::report::{Failure, Message};
use super::settings::Output;
use crate::atlassian::{OrgClient, OrgSnapshot};
use crate::config::{Declared, DeclaredAtlassian};
use crate::live::Live;
use crate::plan::{self, Action, PlanContext, ResourceType};
use crate::scim::{ScimClient, Token};

/// A client of the organisation `target.atlassian` names.
pub(super) fn org_client(
    atlassian: &DeclaredAtlassian,
    client: &ScimClient,
    output: Output,
) -> Result<OrgClient, Failure> {
    let variable = &atlassian.admin_token_env;
    let key = std::env::var(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Message {
            code: "atlassian::no_key",
            text: format!(
                "target.atlassian is set, but the organisation API key is missing: {variable} is not set"
            ),
            help: format!(
                "export {variable} with an organisation API key (admin.atlassian.com > Settings > API keys; not the SCIM directory's key), or remove target.atlassian"
            ),
        })?;
    Ok(OrgClient::new(
        client.base_url(),
        &atlassian.org_id,
        Token::new(key.trim()),
        variable,
        output.allow_insecure_http,
    )?)
}

/// The organisation as a plan of `declared` against `live` needs it: the SCIM links of
/// the emails of the users it would create.
pub(super) async fn snapshot(
    atlassian: &DeclaredAtlassian,
    client: &ScimClient,
    declared: &Declared,
    live: &Live,
    context: &PlanContext,
    output: Output,
) -> Result<OrgSnapshot, Failure> {
    let org = org_client(atlassian, client, output)?;
    // Which users the plan creates decides which emails to look up.
    let mut without = context.clone();
    without.scope = None;
    without.atlassian = None;
    let first = plan::diff(declared, live, &without)?;
    let emails: Vec<String> = first
        .changes
        .iter()
        .filter(|c| c.resource == ResourceType::User && c.action == Action::Create)
        .filter_map(|c| declared.users.iter().find(|u| *u.user_name == *c.name))
        .filter_map(plan::primary_email)
        .collect();
    if output.verbose {
        note!(
            "Reading the Atlassian organisation {} (and the SCIM links of {} emails) …",
            atlassian.org_id,
            emails.len()
        );
    }
    Ok(org.read(&emails).await?)
}
