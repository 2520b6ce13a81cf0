//! Duo's JSON objects, as the Admin API answers them (brief/domain.md §9.4; Duo's Admin API docs): built
//! from the store's records, serialised field for field as Duo's are, so scripts written for Duo read them
//! unchanged.

use roster_core::Timestamp;
use roster_store::{AdminRecord, AuditRecord, GroupRecord, UserRecord};
use serde::Serialize;
use std::collections::BTreeMap;

/// A user (`GET /admin/v1/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuoUser {
    /// Id (`DU…`).
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Aliases 1 to 4 (Duo's legacy fields).
    pub alias1: Option<String>,
    /// Alias 2.
    pub alias2: Option<String>,
    /// Alias 3.
    pub alias3: Option<String>,
    /// Alias 4.
    pub alias4: Option<String>,
    /// Every alias, `alias1` to `alias8`.
    pub aliases: BTreeMap<String, String>,
    /// Full name.
    pub realname: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Email.
    pub email: String,
    /// `active`, `bypass`, `disabled`, `locked out` or `pending deletion`.
    pub status: String,
    /// Notes.
    pub notes: String,
    /// Created (Unix seconds).
    pub created: i64,
    /// Last login (Roster signs nobody in).
    pub last_login: Option<i64>,
    /// When a directory sync last wrote the user.
    pub last_directory_sync: Option<i64>,
    /// Whether the user has an authentication device (Roster keeps none).
    pub is_enrolled: bool,
    /// Why the user is locked out.
    pub lockout_reason: Option<String>,
    /// Groups.
    pub groups: Vec<DuoGroup>,
    /// Phones.
    pub phones: Vec<DuoPhone>,
    /// Hardware tokens.
    pub tokens: Vec<serde_json::Value>,
    /// U2F tokens.
    pub u2ftokens: Vec<serde_json::Value>,
    /// WebAuthn credentials.
    pub webauthncredentials: Vec<serde_json::Value>,
    /// Desktop authenticators.
    pub desktop_authenticators: Vec<serde_json::Value>,
    /// Custom attributes by name.
    pub custom_attributes: BTreeMap<String, String>,
}

/// A phone as Duo's user object lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuoPhone {
    /// Id (`DP…`, stable for the user and number).
    pub phone_id: String,
    /// Number.
    pub number: String,
    /// Extension.
    pub extension: String,
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Platform.
    pub platform: String,
    /// Activated for Duo Mobile.
    pub activated: bool,
    /// Capabilities.
    pub capabilities: Vec<String>,
}

/// A group (`GET /admin/v1/groups`, and in a user's `groups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuoGroup {
    /// Id (`DG…`).
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// `Active`.
    pub status: String,
    /// Push allowed.
    pub push_enabled: bool,
    /// SMS allowed.
    pub sms_enabled: bool,
    /// Voice allowed.
    pub voice_enabled: bool,
    /// Passcodes allowed.
    pub mobile_otp_enabled: bool,
}

/// A group member (`GET /admin/v2/groups/{id}/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuoMember {
    /// Id.
    pub user_id: String,
    /// Username.
    pub username: String,
}

/// An administrator (`GET /admin/v1/admins`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuoAdmin {
    /// Id (`DE…`).
    pub admin_id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Role (`Owner`, `Administrator`, …).
    pub role: String,
    /// `Active`, `Disabled`, `Expired` or `Pending Activation`.
    pub status: String,
    /// Created (Unix seconds).
    pub created: i64,
    /// Last login.
    pub last_login: Option<i64>,
    /// When an admin directory sync last wrote it.
    pub last_directory_sync: Option<i64>,
    /// Whether it must change its password.
    pub password_change_required: bool,
    /// Whether it is limited to administrative units.
    pub restricted_by_admin_units: bool,
    /// Its administrative units.
    pub admin_units: Vec<String>,
    /// Its hardware token.
    pub hardtoken: Option<serde_json::Value>,
}

/// One entry of the administrator log (`GET /admin/v1/logs/administrator`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuoLogEntry {
    /// Unix seconds.
    pub timestamp: i64,
    /// ISO 8601.
    pub isotimestamp: String,
    /// `administrator`.
    pub eventtype: String,
    /// The API hostname.
    pub host: String,
    /// Who: an operator's email, `Directory sync: NAME`, `API: NAME`.
    pub username: String,
    /// What (`user_create`, …).
    pub action: String,
    /// To what.
    pub object: String,
    /// What changed, as a JSON string (Duo's form).
    pub description: String,
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

pub(crate) fn group(r: &GroupRecord) -> DuoGroup {
    let g = &r.group;
    DuoGroup {
        group_id: g.id.0.to_string(),
        name: g.name.clone(),
        desc: text(&g.description),
        status: r.status.admin_api().into(),
        push_enabled: true,
        sms_enabled: true,
        voice_enabled: true,
        mobile_otp_enabled: true,
    }
}

pub(crate) fn group_record(g: &GroupRecord) -> DuoGroup {
    group(g)
}

fn phone_id(user: &str, number: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{user}\0{number}").as_bytes());
    let body: String = h
        .iter()
        .take(18)
        .map(|b| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[usize::from(*b) % 36]))
        .collect();
    format!("DP{body}")
}

pub(crate) fn user(r: &UserRecord) -> DuoUser {
    let u = &r.user;
    let f = &u.fields;
    let alias = |i: usize| f.aliases.get(i).cloned();
    DuoUser {
        user_id: u.id.0.clone(),
        username: f.username.clone(),
        alias1: alias(0),
        alias2: alias(1),
        alias3: alias(2),
        alias4: alias(3),
        aliases: f
            .aliases
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("alias{}", i + 1), a.clone()))
            .collect(),
        realname: text(&f.realname),
        firstname: text(&f.firstname),
        lastname: text(&f.lastname),
        email: text(&f.email),
        status: u.status.as_str().into(),
        notes: text(&f.notes),
        created: r.created_at.0,
        last_login: None,
        last_directory_sync: u.last_directory_sync.map(|t| t.0),
        is_enrolled: false,
        lockout_reason: None,
        groups: r.groups.iter().map(group).collect(),
        phones: f
            .phones
            .iter()
            .map(|n| DuoPhone {
                phone_id: phone_id(&u.id.0, n),
                number: n.clone(),
                extension: String::new(),
                name: String::new(),
                kind: "Unknown".into(),
                platform: "Unknown".into(),
                activated: false,
                capabilities: Vec::new(),
            })
            .collect(),
        tokens: Vec::new(),
        u2ftokens: Vec::new(),
        webauthncredentials: Vec::new(),
        desktop_authenticators: Vec::new(),
        custom_attributes: f
            .custom
            .keys()
            .filter_map(|k| f.custom.get(k).map(|v| (k.clone(), v.clone())))
            .collect(),
    }
}

pub(crate) fn admin(r: &AdminRecord) -> DuoAdmin {
    let a = &r.admin;
    DuoAdmin {
        admin_id: a.id.0.clone(),
        name: a.name.clone(),
        email: a.email.clone(),
        phone: text(&a.phone),
        role: a.role.as_str().into(),
        status: a.status.as_str().into(),
        created: r.created_at.0,
        last_login: None,
        last_directory_sync: a.last_directory_sync.map(|t| t.0),
        password_change_required: false,
        restricted_by_admin_units: false,
        admin_units: Vec::new(),
        hardtoken: None,
    }
}

pub(crate) fn log_entry(r: &AuditRecord, host: &str) -> DuoLogEntry {
    let e = &r.entry;
    let who = match e.actor_kind {
        roster_store::ActorKind::Operator => e.actor.clone(),
        roster_store::ActorKind::Sync => format!("Directory sync: {}", e.actor),
        roster_store::ActorKind::Api => format!("API: {}", e.actor),
    };
    DuoLogEntry {
        timestamp: e.at.0,
        isotimestamp: Timestamp(e.at.0).to_rfc3339(),
        eventtype: "administrator".into(),
        host: host.into(),
        username: who,
        action: e.action.clone(),
        object: e.object.clone(),
        description: e.description.to_string(),
    }
}
