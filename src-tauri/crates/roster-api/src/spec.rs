//! Directory spec files (`rosterctl directory add --spec FILE.json`, and the desktop app's "Add" forms)
//! and the typed connection settings they carry. Secrets in a spec go to the keychain, never further.
//!
//! A spec is plain data: parsing one never reads a file or the network. A CA certificate given as a file
//! path is read only when a front door that runs on the admin's own machine asks for it
//! ([`DirectorySpec::read_files`]); every error names the field it is about (`connection.transport`).

use crate::error::{ApiError, Result};
use crate::kinds::ConnectionKind;
use crate::names::check_name;
use roster_core::{AdminRole, AttributeMap, RoleMapping, SyncType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub(crate) mod cloud;
mod connection;
pub mod wire;
pub use connection::*;

/// What the README shows as the smallest spec, for error messages.
fn minimal() -> String {
    format!(
        "A minimal spec is {{\"name\": \"Demo\", \"type\": \"user\", \"connection\": {{\"kind\": \"{}\", \"seed\": 7, \"users\": 300}}}}; the README lists every field.",
        crate::kinds::ConnectionKind::Demo.as_str()
    )
}

/// When a new sync's scheduled runs begin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FirstRun {
    /// After the admin's first run (Preview, then Sync Now): nothing runs by itself before.
    #[default]
    Manual,
    /// One interval after the sync is added.
    AfterInterval,
    /// At once (the demo tenant a new install opens on).
    Now,
}

/// A directory sync to add.
#[derive(Debug, Clone)]
pub struct DirectorySpec {
    /// Display name.
    pub name: String,
    /// `user` or `admin`.
    pub sync_type: SyncType,
    /// A new connection, or the id of an existing one.
    pub connection: ConnectionRef,
    /// Selected groups (user syncs). Defaults depend on the connection kind.
    pub groups: Option<Vec<String>>,
    /// Attribute mapping; defaults depend on the connection kind.
    pub attributes: Option<AttributeMap>,
    /// Admin syncs: group id -> role name.
    pub roles: Option<BTreeMap<String, String>>,
    /// Schedule interval in minutes (default 30).
    pub interval_minutes: Option<u32>,
    /// Start with scheduled syncs paused.
    pub paused: bool,
    /// Safety threshold, percent (default 10).
    pub deletion_threshold_percent: Option<u8>,
    /// When scheduled runs begin (default: after the admin's first run).
    pub first_run: FirstRun,
}

/// The fields of a spec other than its connection, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    name: String,
    #[serde(rename = "type")]
    sync_type: SyncType,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    attributes: Option<AttributeMap>,
    #[serde(default)]
    roles: Option<BTreeMap<String, String>>,
    #[serde(default)]
    interval_minutes: Option<u32>,
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    deletion_threshold_percent: Option<u32>,
    #[serde(default)]
    first_run: FirstRun,
}

/// A connection given inline, or by id.
#[derive(Debug, Clone)]
pub enum ConnectionRef {
    /// An existing connection's id.
    Existing(String),
    /// A new connection.
    New(Box<ConnectionSpec>),
}

/// A spec error at `path` (a field path such as `connection.transport`; empty for the whole spec).
fn invalid(path: &str, what: impl std::fmt::Display) -> ApiError {
    if path.is_empty() {
        ApiError::validation(format!(
            "The directory spec is not valid: {what}. {}",
            minimal()
        ))
    } else {
        ApiError::validation(format!(
            "The directory spec is not valid at \"{path}\": {what}. {}",
            minimal()
        ))
    }
}

/// Deserializes `value`, found at `path`, naming the exact field of any error.
fn typed<T: serde::de::DeserializeOwned>(path: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let at = match (path.is_empty(), inner.as_str()) {
            (_, ".") => path.to_string(),
            (true, p) => p.to_string(),
            (false, p) => format!("{path}.{p}"),
        };
        invalid(&at, e.into_inner())
    })
}

/// Takes a text field out of a connection object.
fn text(o: &mut serde_json::Map<String, Value>, path: &str, field: &str) -> Result<Option<String>> {
    match o.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(&format!("{path}.{field}"), "it must be a string")),
    }
}

impl DirectorySpec {
    /// Reads the files the spec names (see [`ConnectionSpec::read_files`]).
    pub fn read_files(&mut self) -> Result<()> {
        match &mut self.connection {
            ConnectionRef::New(c) => c.read_files(),
            ConnectionRef::Existing(_) => Ok(()),
        }
    }
}

/// Parses a spec file's text; errors say which field is wrong and what to fix. A UTF-8 byte order mark
/// (Windows editors write one) is accepted.
pub fn parse(text: &str) -> Result<DirectorySpec> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value =
        serde_json::from_str(text).map_err(|e| invalid("", format!("it is not JSON ({e})")))?;
    let Value::Object(mut o) = value else {
        return Err(invalid("", "it must be a JSON object"));
    };
    let connection = o.remove("connection");
    let f: Fields = typed("", Value::Object(o))?;
    let connection = match connection {
        None => return Err(invalid("connection", "it is missing")),
        Some(Value::String(id)) => {
            if id.trim().is_empty() {
                return Err(invalid("connection", "give a connection id (\"conn-…\")"));
            }
            ConnectionRef::Existing(id.trim().to_string())
        }
        Some(v) => ConnectionRef::New(Box::new(parse_connection(v, "connection")?)),
    };
    check_name("directory sync", &f.name).map_err(|e| invalid("name", e.message))?;
    if let Some(a) = &f.attributes {
        a.validate().map_err(ApiError::validation)?;
    }
    let threshold = match f.deletion_threshold_percent {
        Some(t) if t > 100 => {
            return Err(ApiError::validation(
                "\"deletion_threshold_percent\" is a percentage from 0 to 100.",
            ))
        }
        Some(t) => Some(t as u8),
        None => None,
    };
    if let Some(i) = f.interval_minutes {
        if !(5..=1440).contains(&i) {
            return Err(ApiError::validation(
                "\"interval_minutes\" must be between 5 and 1440 (24 hours).",
            ));
        }
    }
    if let ConnectionRef::New(c) = &connection {
        c.validate()?;
        // Cloud connections open a browser to sign in: everything the sync needs is checked first.
        if c.is_cloud() && !cloud_demo(c) {
            match f.sync_type {
                SyncType::User if f.groups.is_none() => {
                    return Err(ApiError::validation(
                        "Give the groups to sync (\"groups\": [\"All Staff\", …], by name or id) before signing in.",
                    ))
                }
                SyncType::Admin if f.roles.is_none() => {
                    return Err(ApiError::validation(
                        "Map groups to administrator roles (\"roles\": {\"IT Admins\": \"Administrator\"}) before signing in.",
                    ))
                }
                _ => {}
            }
        }
    }
    if f.sync_type == SyncType::User && f.roles.is_some() {
        return Err(ApiError::validation(
            "\"roles\" is for admin syncs (\"type\": \"admin\"); user syncs select \"groups\".",
        ));
    }
    if let Some(g) = &f.groups {
        if g.is_empty() {
            return Err(ApiError::validation(
                "Select at least one group to sync (\"groups\").",
            ));
        }
    }
    if let Some(r) = &f.roles {
        parse_roles(r)?;
    }
    Ok(DirectorySpec {
        name: f.name.trim().to_string(),
        sync_type: f.sync_type,
        connection,
        groups: f.groups,
        attributes: f.attributes,
        roles: f.roles,
        interval_minutes: f.interval_minutes,
        paused: f.paused,
        deletion_threshold_percent: threshold,
        first_run: f.first_run,
    })
}

fn cloud_demo(c: &ConnectionSpec) -> bool {
    match c {
        ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => c.demo,
        _ => false,
    }
}

/// Parses the role mapping of an admin sync. Owner is refused: Owners are never synced.
pub fn parse_roles(roles: &BTreeMap<String, String>) -> Result<Vec<RoleMapping>> {
    let mut out = Vec::new();
    for (group, role) in roles {
        let r = AdminRole::parse(role).ok_or_else(|| {
            let names: Vec<&str> = AdminRole::ALL.iter().skip(1).map(|r| r.as_str()).collect();
            ApiError::validation(format!(
                "\"{role}\" is not an administrator role. Use one of: {}.",
                names.join(", ")
            ))
        })?;
        if r == AdminRole::Owner {
            return Err(ApiError::validation(format!(
                "The group \"{group}\" is mapped to Owner, but Owners are never synced. Map it to Administrator or a lesser role, and manage Owners by hand."
            )));
        }
        out.push(RoleMapping {
            group: group.clone(),
            role: r,
        });
    }
    Ok(out)
}

/// The role mapping an edit gives a sync (`DirectoryPatch::roles`), checked as when a sync is added: admin
/// syncs only, at least one group, never Owner, and a cloud directory's groups by id.
pub(crate) fn patched_roles(
    sync_type: SyncType,
    kind: ConnectionKind,
    roles: BTreeMap<String, AdminRole>,
) -> Result<Vec<RoleMapping>> {
    if sync_type != SyncType::Admin {
        return Err(ApiError::validation(
            "Only admin syncs map groups to roles; a user sync selects groups. Nothing was changed.",
        ));
    }
    if roles.is_empty() {
        return Err(ApiError::validation(
            "Map at least one group to an administrator role. Nothing was changed.",
        ));
    }
    let mut out = Vec::with_capacity(roles.len());
    for (group, role) in roles {
        if role == AdminRole::Owner {
            return Err(ApiError::validation(format!(
                "The group \"{group}\" is mapped to Owner, but Owners are never synced. Map it to Administrator or a lesser role, and manage Owners by hand. Nothing was changed."
            )));
        }
        check_group_id(kind, &group)?;
        out.push(RoleMapping { group, role });
    }
    Ok(out)
}

/// A cloud directory's groups are stored by id (the pickers find them by name); a name stored instead
/// would match nothing.
pub(crate) fn check_group_id(kind: ConnectionKind, group: &str) -> Result<()> {
    if kind.vendor().is_some() && !kind.is_group_id(group) {
        return Err(ApiError::validation(format!(
            "\"{group}\" is not a {} group id. Choose the group in the group picker, which finds groups by name. Nothing was changed.",
            kind.info().name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
