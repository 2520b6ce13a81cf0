//! Pure attribute mapping: a [`SourceUser`] through an [`AttributeMap`] becomes [`UserFields`].

use crate::model::{AttributeMap, UserFields, MAX_ALIASES};
use crate::source::SourceUser;

/// Why a source user cannot be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingError {
    /// The username attribute is missing or empty.
    NoUsername {
        /// The attribute that was expected.
        attribute: String,
    },
}

impl MappingError {
    /// Plain-English message with what to do.
    pub fn message(&self) -> String {
        match self {
            MappingError::NoUsername { attribute } => format!(
                "Skipped: the entry has no value for the username attribute \"{attribute}\". Fill it in the source directory, or choose a username attribute every user has."
            ),
        }
    }
}

fn trimmed(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Maps one source user. Values are trimmed; duplicate aliases and aliases equal to the username are dropped.
pub fn map_user(map: &AttributeMap, user: &SourceUser) -> Result<UserFields, MappingError> {
    let username = trimmed(user.first(&map.username)).ok_or_else(|| MappingError::NoUsername {
        attribute: map.username.clone(),
    })?;
    let mut aliases: Vec<String> = Vec::new();
    for attr in &map.aliases {
        for v in user.all(attr) {
            let v = v.trim();
            let dup = v.eq_ignore_ascii_case(&username)
                || aliases.iter().any(|a| a.eq_ignore_ascii_case(v));
            if !dup && aliases.len() < MAX_ALIASES {
                aliases.push(v.to_owned());
            }
        }
    }
    let one = |attr: &Option<String>| attr.as_deref().and_then(|a| trimmed(user.first(a)));
    let mut phones = Vec::new();
    for attr in &map.phones {
        for v in user.all(attr) {
            let v = v.trim().to_owned();
            if !phones.contains(&v) {
                phones.push(v);
            }
        }
    }
    let custom = map
        .custom
        .iter()
        .filter_map(|(duo, src)| trimmed(user.first(src)).map(|v| (duo.clone(), v)))
        .collect();
    Ok(UserFields {
        username,
        aliases,
        realname: one(&map.realname),
        firstname: one(&map.firstname),
        lastname: one(&map.lastname),
        email: one(&map.email),
        phones,
        notes: one(&map.notes),
        custom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(attrs: &[(&str, &str)]) -> SourceUser {
        SourceUser {
            external_id: "x".into(),
            attributes: attrs
                .iter()
                .map(|(a, b)| ((*a).into(), b.to_string()))
                .collect(),
            disabled: false,
            locator: None,
        }
    }

    #[test]
    fn maps_case_insensitively_and_trims() {
        let mut map = AttributeMap::ldap_default();
        map.aliases = vec!["mail".into(), "uid".into()];
        map.custom
            .insert("department".into(), "departmentNumber".into());
        let u = user(&[
            ("UID", " zoë "),
            ("mail", "zoe@example.org"),
            ("mobile", "+1 555 0100"),
            ("telephoneNumber", "+1 555 0199"),
            ("departmentnumber", "R&D"),
        ]);
        let f = map_user(&map, &u).unwrap();
        assert_eq!(
            f.username, "zoë",
            "usernames are trimmed and attribute names match case-insensitively"
        );
        assert_eq!(
            f.aliases,
            vec!["zoe@example.org"],
            "an alias equal to the username is dropped"
        );
        assert_eq!(
            f.phones,
            vec!["+1 555 0199", "+1 555 0100"],
            "phones keep the mapping's attribute order"
        );
        assert_eq!(f.custom.get("department").map(String::as_str), Some("R&D"));
        assert_eq!(
            f.realname, None,
            "an unmapped or absent attribute gives no value"
        );
    }

    #[test]
    fn missing_username_is_an_error_that_names_the_attribute() {
        let err = map_user(
            &AttributeMap::ldap_default(),
            &user(&[("uid", "  "), ("mail", "a@b")]),
        )
        .unwrap_err();
        assert!(
            err.message().contains("\"uid\""),
            "the message must name the missing attribute: {}",
            err.message()
        );
    }

    #[test]
    fn at_most_eight_aliases() {
        let mut map = AttributeMap::ldap_default();
        map.aliases = vec!["alias".into()];
        let attrs: Vec<(std::sync::Arc<str>, String)> =
            (0..12).map(|i| ("alias".into(), format!("a{i}"))).collect();
        let mut u = user(&[("uid", "u")]);
        u.attributes.extend(attrs);
        assert_eq!(
            map_user(&map, &u).unwrap().aliases.len(),
            8,
            "Duo allows at most 8 aliases"
        );
    }
}
