//! The emulated endpoints: method and path pattern → [`Endpoint`], with each one's rate class,
//! required grant, accepted parameters and paging limits. [`route`] resolves a request: an unknown
//! path is 40401, a known path with another method 40501.

use crate::error::{Code, DuoError};
use crate::grant::Grant;
use crate::paging::PageLimits;
use crate::rate::RateClass;

/// An HTTP method the Admin API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method named `text` (case-insensitive), if the Admin API uses it.
    pub fn parse(text: &str) -> Option<Method> {
        [
            ("GET", Method::Get),
            ("POST", Method::Post),
            ("DELETE", Method::Delete),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
        .map(|(_, m)| m)
    }
}

/// Every emulated endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /admin/v1/users`: a page of users, or lookups by `username`, `email`, `username_list`,
    /// `user_id_list`.
    UsersList,
    /// `POST /admin/v1/users`.
    UserCreate,
    /// `GET /admin/v1/users/{user_id}`.
    UserGet,
    /// `POST /admin/v1/users/{user_id}`.
    UserUpdate,
    /// `DELETE /admin/v1/users/{user_id}`: permanent, skips the trash.
    UserDelete,
    /// `GET /admin/v1/users/{user_id}/groups`.
    UserGroupsList,
    /// `POST /admin/v1/users/{user_id}/groups` (`group_id`).
    UserGroupAdd,
    /// `DELETE /admin/v1/users/{user_id}/groups/{group_id}`.
    UserGroupRemove,
    /// `GET /admin/v1/groups`.
    GroupsList,
    /// `GET /admin/v1/groups/{group_id}` (deprecated by Duo; includes members).
    GroupGetV1,
    /// `POST /admin/v1/groups/{group_id}`: Duo's "Modify Group"; Roster sets its `status` (a group's
    /// name and description come from the directory that syncs it, and are refused by name).
    GroupUpdate,
    /// `GET /admin/v2/groups/{group_id}`.
    GroupGetV2,
    /// `GET /admin/v2/groups/{group_id}/users`.
    GroupUsersV2,
    /// `GET /admin/v1/admins`.
    AdminsList,
    /// `GET /admin/v1/admins/{admin_id}`.
    AdminGet,
    /// `POST /admin/v1/users/directorysync/{directory_key}/syncuser` (`username`).
    SyncUser,
    /// `POST /admin/v1/admins/directorysync/{directory_key}/syncadmin` (`email`).
    SyncAdmin,
    /// `GET /admin/v1/users/directorysync`: the user directory syncs.
    UserSyncsList,
    /// `GET /admin/v1/settings`.
    SettingsGet,
    /// `POST /admin/v1/settings`.
    SettingsUpdate,
    /// `GET /admin/v1/info/summary`.
    InfoSummary,
    /// `GET /admin/v1/logs/administrator` (see [`crate::logs::AdminLogV1Query`]).
    AdminLogV1,
    /// `GET /admin/v2/logs/administrator` (see [`crate::logs::AdminLogV2Query`]).
    AdminLogV2,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// Its method.
    pub method: Method,
    /// Its path; `{name}` matches one non-empty segment.
    pub pattern: &'static str,
    /// What its calls count against.
    pub class: RateClass,
    /// The API permission it needs.
    pub grant: Grant,
    /// The parameters it accepts (a name ending in `*` is a prefix); any other is 40002.
    pub params: &'static [&'static str],
    /// Its paging limits, for paged lists.
    pub paging: Option<PageLimits>,
}

/// The fields of a user that `POST /admin/v1/users[/{id}]` sets.
pub const USER_FIELDS: &[&str] = &[
    "username",
    "alias1",
    "alias2",
    "alias3",
    "alias4",
    "aliases",
    "realname",
    "email",
    "firstname",
    "lastname",
    "status",
    "notes",
    "custom_attributes.*",
];

/// The settings `POST /admin/v1/settings` accepts (duo_client's `update_settings`).
pub const SETTINGS_FIELDS: &[&str] = &[
    "caller_id",
    "email_activity_notification_enabled",
    "enrollment_universal_prompt_enabled",
    "fraud_email",
    "fraud_email_enabled",
    "helpdesk_bypass",
    "helpdesk_bypass_expiration",
    "helpdesk_can_send_enroll_email",
    "helpdesk_message",
    "inactive_user_expiration",
    "keypress_confirm",
    "keypress_fraud",
    "lockout_expire_duration",
    "lockout_threshold",
    "log_retention_days",
    "minimum_password_length",
    "name",
    "password_requires_lower_alpha",
    "password_requires_numeric",
    "password_requires_special",
    "password_requires_upper_alpha",
    "pending_deletion_days",
    "push_activity_notification_enabled",
    "security_checkup_enabled",
    "sms_batch",
    "sms_expiration",
    "sms_message",
    "sms_refresh",
    "telephony_warning_min",
    "timezone",
    "unenrolled_user_lockout_threshold",
    "user_managers_can_put_users_in_bypass",
    "user_telephony_cost_max",
];

const PAGE: &[&str] = &["limit", "offset"];

const fn row(
    endpoint: Endpoint,
    method: Method,
    pattern: &'static str,
    class: RateClass,
    grant: Grant,
    params: &'static [&'static str],
    paging: Option<PageLimits>,
) -> Route {
    Route {
        endpoint,
        method,
        pattern,
        class,
        grant,
        params,
        paging,
    }
}

/// The fields of a group that Duo's `POST /admin/v1/groups/{id}` takes (its factor restrictions were
/// retired by Duo). Roster accepts the names so that it can say why it sets only `status`.
pub const GROUP_FIELDS: &[&str] = &[
    "name",
    "desc",
    "status",
    "push_enabled",
    "sms_enabled",
    "voice_enabled",
    "mobile_otp_enabled",
    "u2f_enabled",
];

use Endpoint as E;
use Grant as G;
use Method as M;
use RateClass as R;

/// Every route. A path appears once per method.
#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    row(E::UsersList, M::Get, "/admin/v1/users", R::GetPage, G::ReadResource,
        &["limit", "offset", "username", "email", "username_list", "user_id_list"],
        Some(PageLimits::USERS)),
    row(E::UserCreate, M::Post, "/admin/v1/users", R::ModifyObject, G::WriteResource, USER_FIELDS, None),
    row(E::UserGet, M::Get, "/admin/v1/users/{user_id}", R::GetObject, G::ReadResource, &[], None),
    row(E::UserUpdate, M::Post, "/admin/v1/users/{user_id}", R::ModifyObject, G::WriteResource,
        USER_FIELDS, None),
    row(E::UserDelete, M::Delete, "/admin/v1/users/{user_id}", R::ModifyObject, G::WriteResource, &[],
        None),
    row(E::UserGroupsList, M::Get, "/admin/v1/users/{user_id}/groups", R::GetPage, G::ReadResource,
        PAGE, Some(PageLimits::USER_GROUPS)),
    row(E::UserGroupAdd, M::Post, "/admin/v1/users/{user_id}/groups", R::ModifyObject,
        G::WriteResource, &["group_id"], None),
    row(E::UserGroupRemove, M::Delete, "/admin/v1/users/{user_id}/groups/{group_id}",
        R::ModifyObject, G::WriteResource, &[], None),
    row(E::GroupsList, M::Get, "/admin/v1/groups", R::GetPage, G::ReadResource,
        &["limit", "offset", "group_id_list"], Some(PageLimits::GROUPS)),
    row(E::GroupGetV1, M::Get, "/admin/v1/groups/{group_id}", R::GetObject, G::ReadResource, &[], None),
    row(E::GroupUpdate, M::Post, "/admin/v1/groups/{group_id}", R::ModifyObject, G::WriteResource,
        GROUP_FIELDS, None),
    row(E::GroupGetV2, M::Get, "/admin/v2/groups/{group_id}", R::GetObject, G::ReadResource, &[], None),
    row(E::GroupUsersV2, M::Get, "/admin/v2/groups/{group_id}/users", R::GetPage, G::ReadResource,
        PAGE, Some(PageLimits::GROUP_USERS)),
    row(E::AdminsList, M::Get, "/admin/v1/admins", R::GetPage, G::Admins, PAGE,
        Some(PageLimits::ADMINS)),
    row(E::AdminGet, M::Get, "/admin/v1/admins/{admin_id}", R::GetObject, G::Admins, &[], None),
    row(E::SyncUser, M::Post, "/admin/v1/users/directorysync/{directory_key}/syncuser",
        R::ModifyObject, G::WriteResource, &["username"], None),
    row(E::SyncAdmin, M::Post, "/admin/v1/admins/directorysync/{directory_key}/syncadmin",
        R::ModifyObject, G::Admins, &["email"], None),
    row(E::UserSyncsList, M::Get, "/admin/v1/users/directorysync", R::GetAll, G::ReadResource, &[],
        None),
    row(E::SettingsGet, M::Get, "/admin/v1/settings", R::GetObject, G::Settings, &[], None),
    row(E::SettingsUpdate, M::Post, "/admin/v1/settings", R::ModifyObject, G::Settings,
        SETTINGS_FIELDS, None),
    row(E::InfoSummary, M::Get, "/admin/v1/info/summary", R::GetObject, G::Info, &[], None),
    row(E::AdminLogV1, M::Get, "/admin/v1/logs/administrator", R::Logs, G::ReadLog, &["mintime"],
        None),
    row(E::AdminLogV2, M::Get, "/admin/v2/logs/administrator", R::Logs, G::ReadLog,
        &["mintime", "maxtime", "limit", "sort", "next_offset"], Some(PageLimits::LOGS)),
];

/// A request resolved to its route, with the path's `{…}` segments in order (still percent-encoded
/// as sent; Duo's ids are letters and digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'p> {
    /// The route.
    pub route: &'static Route,
    /// The values of the pattern's `{…}` segments, in order.
    pub path_params: Vec<&'p str>,
}

impl<'p> Matched<'p> {
    /// The endpoint.
    pub fn endpoint(&self) -> Endpoint {
        self.route.endpoint
    }

    /// The first path parameter (the user, group or admin id, or the directory key).
    pub fn id(&self) -> Option<&'p str> {
        self.path_params.first().copied()
    }
}

/// Resolves `method` and `path` (without the query string): 40401 when no route has the path, 40501
/// when routes have it but not with this method. A trailing `/` is not the same path. Where a literal
/// segment and a `{…}` both fit, the literal wins: `/admin/v1/users/directorysync` is the sync list
/// (so `POST` there is 40501), never the user "directorysync".
pub fn route<'p>(method: &str, path: &'p str) -> Result<Matched<'p>, DuoError> {
    let matches: Vec<(&'static Route, Vec<&'p str>)> = ROUTES
        .iter()
        .filter_map(|r| match_pattern(r.pattern, path).map(|values| (r, values)))
        .collect();
    let Some(best) = matches
        .iter()
        .map(|(r, _)| literal_positions(r.pattern))
        .max()
    else {
        return Err(DuoError::new(Code::NotFound));
    };
    let method = Method::parse(method);
    matches
        .into_iter()
        .filter(|(r, _)| literal_positions(r.pattern) == best)
        .find(|(r, _)| Some(r.method) == method)
        .map(|(route, path_params)| Matched { route, path_params })
        .ok_or_else(|| DuoError::new(Code::MethodNotAllowed))
}

/// Which segments of `pattern` are literal; compared lexicographically, the more specific pattern of
/// two that fit the same path is the greater.
fn literal_positions(pattern: &str) -> Vec<bool> {
    pattern.split('/').map(|s| !s.starts_with('{')).collect()
}

/// The `{…}` segments of `path` when it has `pattern`'s shape.
fn match_pattern<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut wanted = pattern.split('/');
    let mut given = path.split('/');
    let mut values = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(values),
            (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => values.push(g),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests;
