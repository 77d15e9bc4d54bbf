//! The `Plan`: everything `apply` will do, as plain data that `diff` computes, renderers
//! read, a plan file holds and `apply` executes. It is the contract between review and
//! apply, so every decision is in it: each change with the reason it is planned and the
//! fingerprint of the live state it was computed from, the guards and whether they
//! tripped, the live objects left alone, and notes for the reviewer.
//!
//! No logic that decides what changes lives here; only the shape, the summary counts
//! and small accessors. The change itself is in `change`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::change::{Action, Change, ResourceType};
use crate::scim::profile::DeleteSemantics;

/// Version of the plan's file format. A plan file of any other version is refused.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Everything `apply` will do, in the order it will do it, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The plan file format; see [`PLAN_FORMAT_VERSION`].
    pub format_version: u32,
    /// The scimform version that computed the plan.
    pub scimform_version: String,
    /// When the plan was computed (RFC 3339, UTC; `SOURCE_DATE_EPOCH` fixes it).
    pub created_at: String,
    /// The git commit of the configuration directory, when it is in a repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// The directory the plan was computed against.
    pub target: PlanTarget,
    /// `sha256:…` over the configuration files the plan was computed from.
    pub config_digest: String,
    /// Present when the plan was limited with `--target`/`--exclude`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// What the policy lets apply do on its own.
    pub policy: PlanPolicy,
    /// Counts of the changes (derived from `changes`; a file whose counts disagree with
    /// its changes is refused).
    pub summary: Summary,
    /// The safety guards, evaluated on this plan.
    pub guards: Guards,
    /// The changes, in the order apply runs them.
    pub changes: Vec<Change>,
    /// Live users and groups that no file declares and that the plan leaves alone.
    pub unmanaged: Unmanaged,
    /// What a reviewer should know that is not a change.
    pub notes: Vec<Note>,
    /// The Atlassian organisation, when `target.atlassian` gives access to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlassian: Option<AtlassianReport>,
}

/// What the plan saw of the Atlassian organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AtlassianReport {
    pub org_id: String,
    /// The SCIM directory the target is.
    pub directory_id: String,
    pub verified_domains: Vec<String>,
    /// Active managed accounts in verified domains that are not in this SCIM directory
    /// and that no file declares (accounts created by SAML just-in-time provisioning,
    /// for instance), sorted by email.
    pub unsynced: Vec<UnsyncedAccount>,
    /// Whether the SCIM links of every user the plan creates were looked up.
    pub links_checked: bool,
}

/// A managed account outside the SCIM directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsyncedAccount {
    pub account_id: String,
    pub email: String,
    pub name: String,
}

/// The directory a plan is for, and what its provider can do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanTarget {
    /// The SCIM base URL.
    pub url: String,
    /// The provider profile the plan was computed with.
    pub profile: String,
    pub capabilities: Capabilities,
}

/// What the provider can do, as far as it changes *what* a plan does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Whether a group's displayName can be changed in place; where it cannot, a rename
    /// is a replace (the group is created under its new name and the old one deleted).
    pub group_rename: bool,
    /// What `DELETE /Users/{id}` does at this provider.
    pub user_delete: DeleteSemantics,
}

impl Capabilities {
    /// The capabilities a provider profile describes.
    pub fn of(profile: &crate::scim::Profile) -> Capabilities {
        Capabilities {
            group_rename: profile.group_rename,
            user_delete: profile.delete_user,
        }
    }
}

/// The parts of `policy:` that apply needs when the server surprises it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPolicy {
    /// `match_users_by` adopts existing accounts (email or externalId): a user create
    /// answered 409 (the userName exists) adopts that account instead of failing.
    pub adopt_existing: bool,
}

/// A plan limited to some objects (`--target`, `--exclude`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Only these objects (and what they need), as `user:NAME` / `group:NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Never these objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
}

/// How many changes of each kind a plan has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub create: usize,
    /// User creates that link an existing Atlassian account.
    pub link: usize,
    pub adopt: usize,
    /// Attribute and membership updates, renames and reactivations.
    pub update: usize,
    pub replace: usize,
    pub deactivate: usize,
    pub delete: usize,
    /// Members added to groups (created groups' members included).
    pub member_adds: usize,
    /// Members removed from groups (deleted groups' members included).
    pub member_removals: usize,
    /// Changes that count against `max_destroy`.
    pub destructive: usize,
}

impl Summary {
    /// The counts of `changes`.
    pub fn of(changes: &[Change]) -> Summary {
        let mut summary = Summary::default();
        for change in changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Link => summary.link += 1,
                Action::Adopt => summary.adopt += 1,
                Action::Update | Action::Rename | Action::Reactivate => summary.update += 1,
                Action::Replace => summary.replace += 1,
                Action::Deactivate => summary.deactivate += 1,
                Action::Delete => summary.delete += 1,
            }
            summary.member_adds += change.members.add.len();
            summary.member_removals += change.members.remove.len();
            if change.destructive {
                summary.destructive += 1;
            }
        }
        summary
    }
}

/// The safety guards of a plan: the destroy budget and every guard that tripped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guards {
    pub max_destroy: DestroyBudget,
    /// Every guard the plan trips; a plan with any is refused without `--force`.
    pub trips: Vec<GuardTrip>,
}

/// `policy.max_destroy` and what the plan spends of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DestroyBudget {
    /// At most this many destructive changes.
    pub count: u32,
    /// At most this percentage of the managed users.
    pub percent: f64,
    /// Live users the plan manages (the base of `percent`).
    pub managed_users: usize,
    /// The plan's destructive changes: deactivations, deletions, replacements and member
    /// removals from privileged groups (each removed member counts).
    pub destructive: usize,
}

/// One guard that a plan trips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardTrip {
    pub guard: GuardKind,
    /// The change it is about (its address), when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What the guard found, in a sentence.
    pub message: String,
}

/// The safety guards.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GuardKind {
    /// More destructive changes than `max_destroy.count`.
    MaxDestroyCount,
    /// More destructive changes than `max_destroy.percent` of the managed users.
    MaxDestroyPercent,
    /// A protected user would be deactivated, deleted, renamed or removed from a group.
    ProtectedUser,
    /// A protected group would be deleted, replaced, renamed or lose members.
    ProtectedGroup,
    /// A privileged group would be left without members.
    PrivilegedEmptied,
    /// A group the plan creates or changes would end with fewer members than its
    /// `min_members`.
    MinMembers,
}

impl GuardKind {
    /// What to do about a trip of this guard.
    pub fn help(self) -> &'static str {
        match self {
            GuardKind::MaxDestroyCount | GuardKind::MaxDestroyPercent => {
                "check that the directory was read as expected and that the files declare everyone they should; if the changes are intended, raise policy.max_destroy or run with --force"
            }
            GuardKind::ProtectedUser => {
                "protected users (policy.protected_users) change only with --force; if this is intended, run with --force"
            }
            GuardKind::ProtectedGroup => {
                "protected groups (policy.protected_groups) change only with --force; if this is intended, run with --force"
            }
            GuardKind::PrivilegedEmptied => {
                "a privileged group with no members usually means a mistake in the files; declare its members, or run with --force"
            }
            GuardKind::MinMembers => {
                "add members to the group, lower its min_members, or run with --force"
            }
        }
    }
}

/// Live objects that no file declares and that the plan leaves as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unmanaged {
    /// Users left alone (`unmanaged_users: ignore`), sorted by name.
    pub users: Vec<UnmanagedObject>,
    /// Groups left alone (`unmanaged_groups: ignore`), sorted by name.
    pub groups: Vec<UnmanagedObject>,
    /// Users whose userName matches `policy.ignore.users`: never read into the plan.
    pub ignored_users: usize,
    /// Groups whose displayName matches `policy.ignore.groups`.
    pub ignored_groups: usize,
}

/// A live object the plan leaves alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmanagedObject {
    pub name: String,
    pub id: String,
}

/// Something a reviewer should know that is not a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub kind: NoteKind,
    /// What it is about: an address (`group engineering`) or a name.
    pub subject: String,
    pub message: String,
}

/// The kinds of notes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Several live objects share one name; the one with the smallest id is matched.
    DuplicateLiveName,
    /// A `previously:` name and the current name both exist; the current one is matched.
    FormerNameAlsoExists,
    /// A member id that matches no live user or group (removed where members are declared).
    DanglingMember,
    /// A member that `policy.ignore` covers is kept in a group whose members are declared.
    IgnoredMemberKept,
    /// A group that is replaced is a member of groups the files do not declare; it leaves them.
    ReplacedGroupLeavesParents,
    /// What DELETE means at this provider.
    DeleteSemantics,
    /// A `--target`/`--exclude` that matches no change.
    ScopeMatchesNothing,
    /// A SCIM record for this email is linked to no account: creating it will fail (409).
    StaleAtlassianLink,
    /// On Atlassian, what creating users does to existing accounts.
    AtlassianLinking,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Whether a guard tripped (apply refuses the plan without `--force`).
    pub fn refused(&self) -> bool {
        !self.guards.trips.is_empty()
    }

    /// The changes of one resource type.
    pub fn changes_of(&self, resource: ResourceType) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.resource == resource)
    }
}
