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
    let firstname = one(&map.firstname);
    let lastname = one(&map.lastname);
    // An entry without a display name (Okta profiles often have none; so do some LDAP entries) is named
    // by its first and last name, as Duo shows such users; only when the display name is mapped at all.
    let realname = one(&map.realname).or_else(|| {
        map.realname.as_ref()?;
        match (&firstname, &lastname) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(x), None) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        }
    });
    Ok(UserFields {
        username,
        aliases,
        realname,
        firstname,
        lastname,
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
    fn without_a_display_name_the_real_name_is_first_and_last_name() {
        // An Okta profile with no displayName, under Okta's default mapping.
        let map = AttributeMap {
            username: "login".into(),
            realname: Some("displayName".into()),
            firstname: Some("firstName".into()),
            lastname: Some("lastName".into()),
            ..AttributeMap::ldap_default()
        };
        let u = user(&[
            ("login", "ana@example.org"),
            ("firstName", "Ana"),
            ("lastName", "Lima"),
        ]);
        assert_eq!(
            map_user(&map, &u).unwrap().realname.as_deref(),
            Some("Ana Lima"),
            "a user without a display name is named by first and last name"
        );
        let only_first = user(&[("login", "x@example.org"), ("firstName", "Prince")]);
        assert_eq!(
            map_user(&map, &only_first).unwrap().realname.as_deref(),
            Some("Prince"),
            "one of the two is enough"
        );
        let with_display = user(&[
            ("login", "y@example.org"),
            ("displayName", "Dr. Ana Lima"),
            ("firstName", "Ana"),
            ("lastName", "Lima"),
        ]);
        assert_eq!(
            map_user(&map, &with_display).unwrap().realname.as_deref(),
            Some("Dr. Ana Lima"),
            "a display name, when there is one, wins"
        );
        let unmapped = AttributeMap {
            realname: None,
            ..map.clone()
        };
        assert_eq!(
            map_user(&unmapped, &u).unwrap().realname,
            None,
            "an admin who unmapped the real name gets none"
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
