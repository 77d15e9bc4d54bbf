//! The catalogue of configuration problems: one `ConfigErrorKind` per kind of mistake,
//! each with a stable diagnostic code (`config::…`, used by `validate --format json` and
//! in documentation) and whether it is a warning by nature.
//!
//! Only names and codes live here; messages are written where the problem is found.

/// How serious a reported problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The configuration cannot be used.
    Error,
    /// The configuration can be used, but probably does not say what was meant
    /// (an error under `validate --strict`).
    Warning,
    /// Not a problem: a pointer to another place involved in one.
    Note,
}

impl Severity {
    /// The lowercase name used by machine-readable output.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// What is wrong. The kind decides the diagnostic code; the message says the specifics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigErrorKind {
    /// A file could not be read (missing, permissions).
    Unreadable,
    /// A file is not UTF-8.
    NotUtf8,
    /// A file is larger than the limit.
    TooLarge,
    /// YAML syntax, a second document, an unsupported tag, a non-string key.
    Yaml,
    /// Anchors and aliases that expand beyond the reader's limits, or nesting too deep.
    YamlLimit,
    /// A key that the format does not have.
    UnknownKey,
    /// A key given twice in one mapping.
    DuplicateKey,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type (a string where a list belongs, …).
    WrongType,
    /// A value of the right type that is not allowed (an unknown enum value, a number out
    /// of range, a URL that is not http(s), …).
    InvalidValue,
    /// Two keys that exclude each other (`email` and `emails`).
    ConflictingKeys,
    /// A root-file key in an included file.
    MisplacedKey,
    /// An include pattern that matches no file.
    IncludeNoMatch,
    /// An include pattern, or a file it matches, outside the config directory.
    IncludeEscapes,
    /// An include pattern matches something that is not a readable file: a symbolic link
    /// that points nowhere or into a loop, a FIFO, a socket, a device.
    IncludeNotAFile,
    /// A required name is empty.
    EmptyName,
    /// The same userName declared twice (case-insensitively).
    DuplicateUser,
    /// The same group displayName declared twice (case-insensitively).
    DuplicateGroup,
    /// One email address owned by two users (or one user's email another's userName).
    DuplicateEmail,
    /// Two users, or two groups, with the same externalId.
    DuplicateExternalId,
    /// A group member that names no declared user or group.
    UnknownMember,
    /// Groups that contain each other.
    GroupCycle,
    /// A `manager` that names no declared user.
    UnknownManager,
    /// Users that are (indirectly) their own manager.
    ManagerCycle,
    /// An email address that is not of the form local@domain.
    InvalidEmail,
    /// More than one email marked primary.
    TwoPrimaryEmails,
    /// More than one phone number marked primary.
    TwoPrimaryPhoneNumbers,
    /// A former name claimed by two entries.
    PreviouslyConflict,
    /// A declared user or group that `policy.ignore` says scimform never touches.
    IgnoredButDeclared,
    /// An authoritative member list shorter than the group's `min_members`.
    TooFewMembers,
    /// Warning: a protected user or group that no file declares.
    ProtectedNotDeclared,
    /// Warning: a group whose member list is explicitly empty.
    EmptyGroup,
    /// Warning: a `previously:` entry that can never take effect.
    UnusedPreviously,
    /// Warning: a member listed twice in one group.
    DuplicateMember,
    /// Warning: a userName or group name with whitespace at its start or end (names are
    /// compared exactly, so it is easily mistaken for the name without it).
    NameWhitespace,
    /// Warning: a userName that starts with `group:`, which members read as a group.
    GroupPrefixUserName,
    /// Warning: a member written `group:NAME` while a declared user has that very
    /// userName (the short form names the group; `{user: …}` names the user).
    AmbiguousMember,
    /// Warning: a name with control, bidirectional-formatting or invisible characters.
    DeceptiveName,
    /// Warning: a name with a word that mixes Latin, Cyrillic or Greek letters.
    MixedScriptName,
}

impl ConfigErrorKind {
    pub fn code(self) -> &'static str {
        use ConfigErrorKind as K;
        match self {
            K::Unreadable => "config::unreadable",
            K::NotUtf8 => "config::not_utf8",
            K::TooLarge => "config::too_large",
            K::Yaml => "config::yaml",
            K::YamlLimit => "config::yaml_limit",
            K::UnknownKey => "config::unknown_key",
            K::DuplicateKey => "config::duplicate_key",
            K::MissingKey => "config::missing_key",
            K::WrongType => "config::wrong_type",
            K::InvalidValue => "config::invalid_value",
            K::ConflictingKeys => "config::conflicting_keys",
            K::MisplacedKey => "config::misplaced_key",
            K::IncludeNoMatch => "config::include_no_match",
            K::IncludeEscapes => "config::include_escapes",
            K::IncludeNotAFile => "config::include_not_a_file",
            K::EmptyName => "config::empty_name",
            K::DuplicateUser => "config::duplicate_user",
            K::DuplicateGroup => "config::duplicate_group",
            K::DuplicateEmail => "config::duplicate_email",
            K::DuplicateExternalId => "config::duplicate_external_id",
            K::UnknownMember => "config::unknown_member",
            K::GroupCycle => "config::group_cycle",
            K::UnknownManager => "config::unknown_manager",
            K::ManagerCycle => "config::manager_cycle",
            K::InvalidEmail => "config::invalid_email",
            K::TwoPrimaryEmails => "config::two_primary_emails",
            K::TwoPrimaryPhoneNumbers => "config::two_primary_phone_numbers",
            K::PreviouslyConflict => "config::previously_conflict",
            K::IgnoredButDeclared => "config::ignored_but_declared",
            K::TooFewMembers => "config::too_few_members",
            K::ProtectedNotDeclared => "config::protected_not_declared",
            K::EmptyGroup => "config::empty_group",
            K::UnusedPreviously => "config::unused_previously",
            K::DuplicateMember => "config::duplicate_member",
            K::NameWhitespace => "config::name_whitespace",
            K::GroupPrefixUserName => "config::user_name_group_prefix",
            K::AmbiguousMember => "config::ambiguous_member",
            K::DeceptiveName => "config::deceptive_name",
            K::MixedScriptName => "config::mixed_script_name",
        }
    }

    /// The severity a problem of this kind is reported with (before `--strict`).
    pub fn severity(self) -> Severity {
        use ConfigErrorKind as K;
        match self {
            K::ProtectedNotDeclared
            | K::EmptyGroup
            | K::UnusedPreviously
            | K::DuplicateMember
            | K::NameWhitespace
            | K::GroupPrefixUserName
            | K::AmbiguousMember
            | K::DeceptiveName
            | K::MixedScriptName => Severity::Warning,
            _ => Severity::Error,
        }
    }
}
