//! Changing a directory sync after it is added: its name, groups, attribute mapping, schedule, threshold,
//! role mapping and place in the order of precedence.

use super::configure_permission;
use crate::connections::kind_of;
use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use roster_core::{AttributeMap, SyncType};

/// Options a directory sync can change after it is added.
#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct DirectoryPatch {
    /// New name.
    pub name: Option<String>,
    /// New selected groups.
    pub groups: Option<Vec<String>>,
    /// New attribute mapping (the username attribute is fixed after the first sync).
    pub attributes: Option<AttributeMap>,
    /// New interval.
    pub interval_minutes: Option<u32>,
    /// New threshold.
    pub deletion_threshold_percent: Option<u32>,
    /// New place in the order of precedence among the syncs of its type (1 first).
    pub precedence: Option<usize>,
    /// An admin sync's new role mapping: directory group → role (never Owner).
    pub roles: Option<std::collections::BTreeMap<String, roster_core::AdminRole>>,
}

impl Session<'_> {
    /// Changes a directory sync's settings.
    pub fn update_directory(
        &self,
        key: &str,
        patch: DirectoryPatch,
    ) -> Result<json::DirectorySummary> {
        let t = self.tenant.clone();
        let mut d = t.store.directory(key)?;
        self.require(configure_permission(d.sync_type))?;
        if let Some(n) = patch.name {
            let n = crate::names::check_name("directory sync", &n)?;
            if t.store
                .directories()?
                .iter()
                .any(|o| o.key != d.key && o.name.eq_ignore_ascii_case(&n))
            {
                return Err(ApiError::conflict(format!(
                    "A directory sync named \"{n}\" already exists in this tenant. Choose another name."
                )));
            }
            d.name = n;
        }
        let kind = kind_of(&t.store.connection(&d.connection_id)?)?;
        if let Some(g) = patch.groups {
            if d.sync_type == SyncType::Admin {
                return Err(ApiError::validation("An admin sync maps groups to roles (\"roles\"); it does not select groups. Nothing was changed."));
            }
            if g.is_empty() {
                return Err(ApiError::validation("Select at least one group to sync."));
            }
            g.iter()
                .try_for_each(|x| crate::spec::check_group_id(kind, x))?;
            d.groups = g;
        }
        if let Some(r) = patch.roles {
            d.roles = crate::spec::patched_roles(d.sync_type, kind, r)?;
        }
        if let Some(a) = patch.attributes {
            a.validate().map_err(ApiError::validation)?;
            if d.last_full_sync.is_some()
                && !a.username.eq_ignore_ascii_case(&d.attributes.username)
            {
                return Err(ApiError::validation(format!(
                    "The username attribute is \"{}\" and cannot be changed after the first sync: usernames would no longer match. Create a new directory sync to use another username attribute.",
                    d.attributes.username
                )));
            }
            d.attributes = a;
        }
        if let Some(i) = patch.interval_minutes {
            if !(5..=1440).contains(&i) {
                return Err(ApiError::validation(
                    "The interval must be between 5 and 1440 minutes.",
                ));
            }
            d.interval_minutes = i;
            self.roster.set_schedule_interval(&t.id, key, i);
        }
        if let Some(p) = patch.deletion_threshold_percent {
            if p > 100 {
                return Err(ApiError::validation(
                    "The threshold is a percentage from 0 to 100.",
                ));
            }
            d.deletion_threshold_percent = p as u8;
        }
        let audit = self.operator_audit(
            "directory_update",
            &d.name,
            serde_json::json!({"directory_key": key, "groups": d.groups, "paused": d.paused,
                "interval_minutes": d.interval_minutes, "deletion_threshold_percent": d.deletion_threshold_percent,
                "precedence": patch.precedence}),
        );
        t.store.update_directory_config(&d, Some(&audit))?;
        if let Some(position) = patch.precedence {
            t.store.set_precedence(key, position)?;
        }
        self.summary_of(key)
    }
}
