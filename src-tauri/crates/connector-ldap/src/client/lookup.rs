//! The I/O of an individual lookup (see [`crate::map::member_of`]): the DNs of the groups that name given
//! members, and single groups read by DN.

use super::{operation_error, search_each};
use crate::map::Entry;
use crate::settings::Settings;
use ldap3::{Ldap, LdapError, Scope};
use roster_core::source::ConnectorError;
use std::time::Duration;

/// The DNs of the entries under the base DN matching `filter` (no attributes are read).
pub async fn dns(
    ldap: &mut Ldap,
    s: &Settings,
    filter: &str,
) -> Result<Vec<String>, ConnectorError> {
    let mut out = Vec::new();
    search_each(ldap, s, filter, &["1.1".to_string()], |e| out.push(e.dn)).await?;
    Ok(out)
}

/// Reads one entry by DN (base scope) with `filter`; `None` when there is no such entry, it does not
/// match, or the DN is not one the server can name (a selected group that is gone, or was mistyped, is
/// missing, as a full sync reports it, not a failure).
pub async fn read(
    ldap: &mut Ldap,
    s: &Settings,
    dn: &str,
    filter: &str,
    attrs: &[String],
) -> Result<Option<Entry>, ConnectorError> {
    let what = format!("Reading {dn}");
    let res = ldap
        .with_timeout(Duration::from_secs(s.search_timeout_secs))
        .search(dn, Scope::Base, filter, attrs.to_vec())
        .await
        .map_err(|e| operation_error(&what, e))?;
    match res.success() {
        Ok((rs, _)) => rs
            .into_iter()
            .find(|r| !r.is_ref())
            .map(super::to_entry)
            .transpose(),
        // No such object, an invalid DN, or a referral elsewhere.
        Err(LdapError::LdapResult { result }) if matches!(result.rc, 32 | 34 | 10) => Ok(None),
        Err(e) => Err(operation_error(&what, e)),
    }
}
