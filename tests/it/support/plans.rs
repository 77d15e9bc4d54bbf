//! Plans for tests that need one without a server: the rich fixture with every kind of
//! change (the same as the renderer snapshots use).

use scimform::config::load_str;
use scimform::live::Live;
use scimform::plan::{Capabilities, Plan, PlanContext, diff};
use serde_json::json;

/// A plan on the atlassian profile with a create, an update, an adoption, a rename, a
/// replace, deactivations, a reactivation, a deletion, guard trips and a note.
pub(crate) fn rich_plan() -> Plan {
    let yaml = r"
policy:
  unmanaged_users: deactivate
  unmanaged_groups: delete
  match_users_by: [userName, email]
  protected_users: [root@acme.test]
  max_destroy: {count: 3}
users:
  - userName: new@acme.test
    displayName: New Person
    email: new@acme.test
    enterprise: {manager: boss@acme.test}
  - userName: boss@acme.test
    title: Engineering manager
  - userName: jit@acme.test
    email: jit@acme.test
  - userName: renamed@acme.test
    previously: [old.name@acme.test]
  - userName: back@acme.test
    active: true
groups:
  - displayName: platform
    previously: [infra]
    members: [boss@acme.test, new@acme.test]
  - displayName: admins
    privileged: true
    members: [boss@acme.test]
";
    let declared = load_str("scimform.yaml", yaml).expect("valid fixture");
    let live = Live::from_resources(
        vec![
            json!({"id": "u-boss", "userName": "boss@acme.test", "title": "Manager"}),
            json!({"id": "u-jit", "userName": "jit.user", "emails": [{"value": "jit@acme.test", "primary": true}]}),
            json!({"id": "u-old", "userName": "old.name@acme.test"}),
            json!({"id": "u-back", "userName": "back@acme.test", "active": false}),
            json!({"id": "u-root", "userName": "root@acme.test", "active": true}),
        ],
        vec![
            json!({"id": "g-infra", "displayName": "infra", "members": [{"value": "u-boss"}, {"value": "u-root"}]}),
            json!({"id": "g-admins", "displayName": "admins", "members": [{"value": "u-boss"}, {"value": "u-root"}]}),
            json!({"id": "g-old", "displayName": "old-team", "members": [{"value": "u-root"}]}),
        ],
    )
    .expect("valid live fixture");
    let profile = scimform::scim::Profile::builtin("atlassian").expect("atlassian");
    let mut context = PlanContext::for_url("https://api.atlassian.com/scim/directory/acme");
    context.target.profile.clone_from(&profile.name);
    context.target.capabilities = Capabilities::of(&profile);
    diff(&declared, &live, &context).expect("a plan")
}
