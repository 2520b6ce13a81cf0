//! Domain types: what Roster stores about users, groups, administrators and directory syncs.
//! Names and status strings follow Duo's own words (brief/domain.md §7-§8).

use crate::clock::Timestamp;
use crate::ids::{AdminId, DirectoryKey, GroupId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A user's status, with Duo's API strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub enum UserStatus {
    /// Must complete two-factor authentication.
    #[serde(rename = "active")]
    Active,
    /// Skips two-factor authentication after primary authentication.
    #[serde(rename = "bypass")]
    Bypass,
    /// Denied. For synced users, driven by the source directory.
    #[serde(rename = "disabled")]
    Disabled,
    /// Set by the system after too many failed attempts; a sync never reads or applies it.
    #[serde(rename = "locked out")]
    LockedOut,
    /// In the trash; deleted for good when the retention runs out.
    #[serde(rename = "pending deletion")]
    PendingDeletion,
}

impl UserStatus {
    /// Duo's API string.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Bypass => "bypass",
            UserStatus::Disabled => "disabled",
            UserStatus::LockedOut => "locked out",
            UserStatus::PendingDeletion => "pending deletion",
        }
    }
    /// Parses Duo's API string.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(UserStatus::Active),
            "bypass" => Some(UserStatus::Bypass),
            "disabled" => Some(UserStatus::Disabled),
            "locked out" => Some(UserStatus::LockedOut),
            "pending deletion" => Some(UserStatus::PendingDeletion),
            _ => None,
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An administrator role. API strings are case-sensitive, as in Duo.
/// Declared from most to least privileged: the derived order is privilege order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
pub enum AdminRole {
    /// Everything. Never synced.
    Owner,
    /// Users, devices, settings, policies, apps, user sync.
    Administrator,
    /// Applications and SSO sources.
    #[serde(rename = "Application Manager")]
    ApplicationManager,
    /// Users, phones, tokens, bypass codes, user sync.
    #[serde(rename = "User Manager")]
    UserManager,
    /// Security events and logs.
    #[serde(rename = "Security Analyst")]
    SecurityAnalyst,
    /// View and update users and devices.
    #[serde(rename = "Help Desk")]
    HelpDesk,
    /// Billing and sub-accounts.
    Billing,
    /// Phishing simulations.
    #[serde(rename = "Phishing Manager")]
    PhishingManager,
    /// Read only.
    #[serde(rename = "Read-only")]
    ReadOnly,
}

impl AdminRole {
    /// Every role, most privileged first.
    pub const ALL: [AdminRole; 9] = [
        AdminRole::Owner,
        AdminRole::Administrator,
        AdminRole::ApplicationManager,
        AdminRole::UserManager,
        AdminRole::SecurityAnalyst,
        AdminRole::HelpDesk,
        AdminRole::Billing,
        AdminRole::PhishingManager,
        AdminRole::ReadOnly,
    ];
    /// Duo's API string.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Owner => "Owner",
            AdminRole::Administrator => "Administrator",
            AdminRole::ApplicationManager => "Application Manager",
            AdminRole::UserManager => "User Manager",
            AdminRole::SecurityAnalyst => "Security Analyst",
            AdminRole::HelpDesk => "Help Desk",
            AdminRole::Billing => "Billing",
            AdminRole::PhishingManager => "Phishing Manager",
            AdminRole::ReadOnly => "Read-only",
        }
    }
    /// Parses Duo's API string (exact, case-sensitive).
    pub fn parse(text: &str) -> Option<Self> {
        AdminRole::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// An administrator's status, with Duo's API strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub enum AdminStatus {
    /// Can sign in.
    Active,
    /// Cannot sign in.
    Disabled,
    /// Expired through inactivity.
    Expired,
    /// Invited, not yet activated.
    #[serde(rename = "Pending Activation")]
    PendingActivation,
}

impl AdminStatus {
    /// Duo's API string.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminStatus::Active => "Active",
            AdminStatus::Disabled => "Disabled",
            AdminStatus::Expired => "Expired",
            AdminStatus::PendingActivation => "Pending Activation",
        }
    }
    /// Parses Duo's API string.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Active" => Some(AdminStatus::Active),
            "Disabled" => Some(AdminStatus::Disabled),
            "Expired" => Some(AdminStatus::Expired),
            "Pending Activation" => Some(AdminStatus::PendingActivation),
            _ => None,
        }
    }
}

/// The user fields a sync can manage. Which of them it does manage is decided by its [`AttributeMap`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFields {
    /// The unique username (compared case-insensitively).
    pub username: String,
    /// Up to 8 username aliases.
    pub aliases: Vec<String>,
    /// Display name.
    pub realname: Option<String>,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone numbers, in mapping order.
    pub phones: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Custom attributes by Duo attribute name.
    pub custom: CustomAttributes,
}

/// Custom attribute values by name, kept sorted in one small vector: a user has a handful of them, and a
/// map per user would cost hundreds of bytes each at 100,000 users. Serialises as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomAttributes(Vec<(String, String)>);

impl CustomAttributes {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }
    /// Sets `name`.
    pub fn insert(&mut self, name: String, value: String) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }
    /// Removes `name`.
    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.0.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            self.0.remove(i);
        }
    }
    /// Names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for CustomAttributes {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut c = CustomAttributes::default();
        for (k, v) in iter {
            c.insert(k, v);
        }
        c
    }
}

impl Serialize for CustomAttributes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for CustomAttributes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = BTreeMap::<String, String>::deserialize(d)?;
        Ok(CustomAttributes(m.into_iter().collect()))
    }
}

/// A user as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Fields.
    pub fields: UserFields,
    /// Status.
    pub status: UserStatus,
    /// The directory sync that manages this user, if any.
    pub managed_by: Option<DirectoryKey>,
    /// The user's stable id in the source directory (objectGUID, entryUUID, Graph id…).
    pub external_id: Option<String>,
    /// When a sync last wrote this user.
    pub last_directory_sync: Option<Timestamp>,
    /// When the user entered the trash.
    pub trashed_at: Option<Timestamp>,
    /// The groups of the managing sync this user belongs to, sorted. (Memberships in groups of other syncs
    /// or in manual groups are not part of a sync's snapshot and are never touched by it.)
    pub groups: Vec<GroupId>,
}

/// A group as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Id.
    pub id: GroupId,
    /// Unique name (compared case-insensitively).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The directory sync that manages this group, if any.
    pub managed_by: Option<DirectoryKey>,
    /// The group's stable id in the source directory.
    pub external_id: Option<String>,
}

/// An administrator as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    /// Id.
    pub id: AdminId,
    /// Full name.
    pub name: String,
    /// Email: the key of an admin, compared case-insensitively.
    pub email: String,
    /// Phone.
    pub phone: Option<String>,
    /// Role.
    pub role: AdminRole,
    /// Status.
    pub status: AdminStatus,
    /// The admin sync that manages this admin, if any.
    pub managed_by: Option<DirectoryKey>,
    /// Stable id in the source directory.
    pub external_id: Option<String>,
    /// When a sync last wrote this admin.
    pub last_directory_sync: Option<Timestamp>,
    /// When the admin left every mapped group (and was disabled for it); removed after the retention.
    pub left_at: Option<Timestamp>,
}

/// What a directory sync imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum SyncType {
    /// Users and groups.
    User,
    /// Administrators, with roles from role-mapped groups.
    Admin,
}

impl SyncType {
    /// `user` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncType::User => "user",
            SyncType::Admin => "admin",
        }
    }
}

/// Which source attribute feeds which Roster field. Attribute names are compared case-insensitively.
/// Front doors write it (in specs), so what has a default may be left out (`optional_fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct AttributeMap {
    /// The username attribute. Required; fixed after the first sync.
    pub username: String,
    /// Username alias attributes, at most 8.
    #[serde(default)]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub aliases: Vec<String>,
    /// Email attribute.
    #[serde(default)]
    pub email: Option<String>,
    /// Display name attribute.
    #[serde(default)]
    pub realname: Option<String>,
    /// First name attribute.
    #[serde(default)]
    pub firstname: Option<String>,
    /// Last name attribute.
    #[serde(default)]
    pub lastname: Option<String>,
    /// Phone attributes, in order.
    #[serde(default)]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub phones: Vec<String>,
    /// Notes attribute.
    #[serde(default)]
    pub notes: Option<String>,
    /// Custom attributes: Duo attribute name -> source attribute.
    #[serde(default)]
    #[ts(as = "Option<BTreeMap<String, String>>", optional)]
    pub custom: BTreeMap<String, String>,
}

/// The most aliases a user may have (Duo's limit).
pub const MAX_ALIASES: usize = 8;

impl AttributeMap {
    /// The mapping used by LDAP-shaped sources (OpenLDAP and the demo directory).
    pub fn ldap_default() -> Self {
        AttributeMap {
            username: "uid".into(),
            aliases: Vec::new(),
            email: Some("mail".into()),
            realname: Some("displayName".into()),
            firstname: Some("givenName".into()),
            lastname: Some("sn".into()),
            phones: vec!["telephoneNumber".into(), "mobile".into()],
            notes: None,
            custom: BTreeMap::new(),
        }
    }

    /// The mapping used for Active Directory (username = sAMAccountName, as Duo's AD sync suggests).
    pub fn active_directory_default() -> Self {
        AttributeMap {
            username: "sAMAccountName".into(),
            ..AttributeMap::ldap_default()
        }
    }

    /// Checks the mapping; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.username.trim().is_empty() {
            return Err("The username attribute is empty. Name the source attribute that holds each user's username, for example \"uid\" or \"sAMAccountName\".".into());
        }
        if self.aliases.len() > MAX_ALIASES {
            return Err(format!(
                "{} username alias attributes were given; at most {MAX_ALIASES} are allowed. Remove some aliases.",
                self.aliases.len()
            ));
        }
        for name in self.custom.keys() {
            let ok = !name.is_empty()
                && name.len() <= 256
                && name.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '.' || c == '_'
                });
            if !ok {
                return Err(format!("The custom attribute name \"{name}\" is not allowed. Use up to 256 letters, digits, spaces, '-', '_' or '.'."));
            }
        }
        Ok(())
    }
}

/// A directory group whose members become administrators with a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// The group's id in the source (a DN for LDAP).
    pub group: String,
    /// The role its members get. Never Owner.
    pub role: AdminRole,
}

/// What the planner needs to know about a directory sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    /// The sync's key.
    pub key: DirectoryKey,
    /// The sync's display name (used in change reasons).
    pub name: String,
    /// User or admin sync.
    pub sync_type: SyncType,
    /// Attribute mapping.
    pub attributes: AttributeMap,
    /// Admin syncs: group -> role.
    pub roles: Vec<RoleMapping>,
    /// A run that would move more than this share (percent) of the sync's users to the trash is held.
    pub deletion_threshold_percent: u8,
    /// Days a user stays in the trash (and a departed admin stays disabled) before removal.
    pub retention_days: u32,
    /// The tenant's other syncs of the same type, with whether each takes precedence over this one.
    pub others: Others,
}

/// Another directory sync, as the planner sees it when two syncs find the same user, group or admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSync {
    /// Its display name, for reports.
    pub name: String,
    /// Whether it comes before this sync in the tenant's order of precedence: what it manages, this sync
    /// leaves to it (and reports as a conflict) instead of taking it over.
    pub takes_precedence: bool,
}

/// The tenant's other syncs, by key. A key that is not here (a sync deleted since) ranks below every
/// sync, as an object nobody manages does.
pub type Others = std::collections::BTreeMap<crate::DirectoryKey, OtherSync>;

/// The default trash retention, in days (Duo's default).
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
/// The default safety threshold, in percent of a sync's users.
pub const DEFAULT_DELETION_THRESHOLD_PERCENT: u8 = 10;
/// The default schedule interval, in minutes.
pub const DEFAULT_INTERVAL_MINUTES: u32 = 30;
