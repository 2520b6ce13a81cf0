//! Each endpoint: its parameters read with `roster-duo`'s typed reads, the application layer's answer
//! put in Duo's envelope.

use super::from_api;
use roster_api::adminapi::{AdminApiDoor, Listed, UserWrite};
use roster_duo::logs::{AdminLogV1Query, AdminLogV2Query, LogCursor, LogSort, ADMIN_LOG_V1_MAX};
use roster_duo::{envelope, DuoError, Endpoint, Page, Params, Route};
use roster_store::UserFilter;
use serde::Serialize;
use serde_json::Value;

/// The most ids or usernames one `*_list` parameter may name.
const MAX_LIST: usize = 100;

fn json<T: Serialize>(v: &T) -> Result<Value, DuoError> {
    serde_json::to_value(v).map_err(|_| super::internal())
}

/// What an endpoint answers: an envelope, or (lists) its JSON text already written.
pub(super) enum Answer {
    /// An envelope.
    Value(Value),
    /// A list's envelope as JSON text ([`envelope::ok_list_text`]).
    Text(String),
}

fn list<T: Serialize>(l: Listed<T>, page: &Page) -> Result<Answer, DuoError> {
    envelope::ok_list_text(&l.items, &page.metadata(l.total))
        .map(Answer::Text)
        .map_err(|_| super::internal())
}

fn page(route: &Route, params: &Params) -> Result<Page, DuoError> {
    match route.paging {
        Some(limits) => Page::from_params(params, limits),
        None => Ok(Page {
            limit: u32::MAX,
            offset: 0,
        }),
    }
}

fn id(ids: &[String], i: usize) -> Result<&str, DuoError> {
    ids.get(i)
        .map(String::as_str)
        .ok_or_else(|| DuoError::new(roster_duo::Code::NotFound))
}

fn some(params: &Params, name: &str) -> Result<Option<String>, DuoError> {
    Ok(params.str(name)?.map(str::to_string))
}

/// What a user write sets, from Duo's parameters.
fn user_write(params: &Params) -> Result<UserWrite, DuoError> {
    let mut w = UserWrite {
        username: some(params, "username")?,
        realname: some(params, "realname")?,
        firstname: some(params, "firstname")?,
        lastname: some(params, "lastname")?,
        email: some(params, "email")?,
        notes: some(params, "notes")?,
        status: params
            .one_of("status", &["active", "bypass", "disabled"])?
            .map(str::to_string),
        ..Default::default()
    };
    for slot in 1..=4 {
        if let Some(v) = params.str(&format!("alias{slot}"))? {
            w.alias_slots.push((slot, v.to_string()));
        }
    }
    if let Some(all) = params.str("aliases")? {
        // Duo's form: "alias1=a&alias2=b" (URL-encoded pairs), replacing every alias.
        let pairs = Params::from_query(all).map_err(|_| DuoError::invalid_param("aliases"))?;
        w.alias_slots = (1..=8).map(|i| (i, String::new())).collect();
        for name in pairs.names() {
            let slot = name
                .strip_prefix("alias")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=8).contains(n))
                .ok_or_else(|| DuoError::invalid_param("aliases"))?;
            let v = pairs
                .str(name)
                .map_err(|_| DuoError::invalid_param("aliases"))?;
            w.alias_slots[slot - 1].1 = v.unwrap_or_default().to_string();
        }
    }
    for (k, v) in params.with_prefix("custom_attributes.")? {
        w.custom.push((k.to_string(), v.to_string()));
    }
    Ok(w)
}

/// Endpoints answered on a blocking thread.
pub(super) fn blocking(
    door: &AdminApiDoor<'_>,
    route: &Route,
    ids: &[String],
    params: &Params,
    host: &str,
) -> Result<Answer, DuoError> {
    let p = page(route, params)?;
    let (offset, limit) = (p.offset, u64::from(p.limit));
    let ok = |v: Value| Ok(Answer::Value(envelope::ok(v)));
    match route.endpoint {
        Endpoint::UsersList => {
            let filter = if let Some(u) = params.str("username")? {
                UserFilter::Username(u.to_string())
            } else if let Some(e) = params.str("email")? {
                UserFilter::Email(e.to_string())
            } else if let Some(l) = params.json_str_list("username_list", MAX_LIST)? {
                UserFilter::Usernames(l)
            } else if let Some(l) = params.json_str_list("user_id_list", MAX_LIST)? {
                UserFilter::Ids(l)
            } else {
                UserFilter::All
            };
            list(door.users(&filter, offset, limit).map_err(from_api)?, &p)
        }
        Endpoint::UserCreate => ok(json(
            &door.create_user(&user_write(params)?).map_err(from_api)?,
        )?),
        Endpoint::UserGet => ok(json(&door.user(id(ids, 0)?).map_err(from_api)?)?),
        Endpoint::UserUpdate => ok(json(
            &door
                .update_user(id(ids, 0)?, &user_write(params)?)
                .map_err(from_api)?,
        )?),
        Endpoint::UserDelete => {
            door.delete_user(id(ids, 0)?).map_err(from_api)?;
            ok(Value::String(String::new()))
        }
        Endpoint::UserGroupsList => list(
            door.user_groups(id(ids, 0)?, offset, limit)
                .map_err(from_api)?,
            &p,
        ),
        Endpoint::UserGroupAdd => {
            let g = params.required_non_empty("group_id")?;
            door.set_user_group(id(ids, 0)?, g, true)
                .map_err(from_api)?;
            ok(Value::String(String::new()))
        }
        Endpoint::UserGroupRemove => {
            door.set_user_group(id(ids, 0)?, id(ids, 1)?, false)
                .map_err(from_api)?;
            ok(Value::String(String::new()))
        }
        Endpoint::GroupsList => {
            let only = params.json_str_list("group_id_list", MAX_LIST)?;
            list(
                door.groups(only.as_deref(), offset, limit)
                    .map_err(from_api)?,
                &p,
            )
        }
        Endpoint::GroupGetV1 | Endpoint::GroupGetV2 => {
            ok(json(&door.group(id(ids, 0)?).map_err(from_api)?)?)
        }
        Endpoint::GroupUpdate => {
            if let Some(other) = params.names().find(|n| *n != "status") {
                return Err(DuoError::with_detail(
                    roster_duo::Code::InvalidParameters,
                    format!("{other}: Roster sets only a group's status; its name and description come from the directory sync that manages it, so change them in the directory"),
                ));
            }
            let status = params.required_non_empty("status")?;
            ok(json(
                &door
                    .set_group_status(id(ids, 0)?, status)
                    .map_err(from_api)?,
            )?)
        }
        Endpoint::GroupUsersV2 => list(
            door.group_users(id(ids, 0)?, offset, limit)
                .map_err(from_api)?,
            &p,
        ),
        Endpoint::AdminsList => list(door.admins(offset, limit).map_err(from_api)?, &p),
        Endpoint::AdminGet => ok(json(&door.admin(id(ids, 0)?).map_err(from_api)?)?),
        Endpoint::UserSyncsList => ok(json(&door.user_syncs().map_err(from_api)?)?),
        Endpoint::SettingsGet => ok(json(&door.settings().map_err(from_api)?)?),
        Endpoint::SettingsUpdate => {
            if let Some(other) = params.names().find(|n| *n != "pending_deletion_days") {
                return Err(DuoError::with_detail(
                    roster_duo::Code::InvalidParameters,
                    format!("{other}: Roster keeps only pending_deletion_days of Duo's settings"),
                ));
            }
            match params.int("pending_deletion_days", 1..=365)? {
                Some(days) => {
                    let days = u32::try_from(days)
                        .map_err(|_| DuoError::invalid_param("pending_deletion_days"))?;
                    ok(json(
                        &door.set_pending_deletion_days(days).map_err(from_api)?,
                    )?)
                }
                None => ok(json(&door.settings().map_err(from_api)?)?),
            }
        }
        Endpoint::InfoSummary => ok(json(&door.info_summary().map_err(from_api)?)?),
        Endpoint::AdminLogV1 => {
            let q = AdminLogV1Query::from_params(params)?;
            let l = door
                .administrator_log(q.mintime_secs, i64::MAX, 0, ADMIN_LOG_V1_MAX as u64, host)
                .map_err(from_api)?;
            ok(json(&l.items)?)
        }
        Endpoint::AdminLogV2 => admin_log_v2(door, params, host).map(Answer::Value),
        Endpoint::SyncUser | Endpoint::SyncAdmin => Err(DuoError::new(roster_duo::Code::Internal)),
    }
}

/// The v2 administrator log: a page in time order after the cursor.
fn admin_log_v2(door: &AdminApiDoor<'_>, params: &Params, host: &str) -> Result<Value, DuoError> {
    let q = AdminLogV2Query::from_params(params)?;
    let after = q.after.as_ref().map(|c| {
        (
            c.timestamp_ms.div_euclid(1000),
            c.id.parse::<i64>().unwrap_or(0),
        )
    });
    let (rows, total) = door
        .administrator_log_keyset(
            q.mintime_ms.div_euclid(1000),
            q.maxtime_ms.div_euclid(1000),
            after,
            q.sort == LogSort::Descending,
            u64::from(q.limit),
            host,
        )
        .map_err(from_api)?;
    let next = if rows.len() as u64 >= u64::from(q.limit) {
        rows.last().map(|(seq, e)| LogCursor {
            timestamp_ms: e.timestamp * 1000,
            id: seq.to_string(),
        })
    } else {
        None
    };
    let items = rows
        .iter()
        .map(|(_, e)| json(e))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(envelope::ok(roster_duo::logs::admin_log_v2_response(
        items,
        next.as_ref(),
        total,
    )))
}

/// `syncuser` and `syncadmin`.
pub(super) async fn sync(
    door: &AdminApiDoor<'_>,
    endpoint: Endpoint,
    ids: &[String],
    params: &Params,
) -> Result<Value, DuoError> {
    let key = id(ids, 0)?;
    let answer = if endpoint == Endpoint::SyncUser {
        let username = params.required_non_empty("username")?;
        door.sync_user(key, username).await
    } else {
        let email = params.required_non_empty("email")?;
        door.sync_admin(key, email).await
    }
    .map_err(from_api)?;
    Ok(envelope::ok(json(&answer)?))
}
