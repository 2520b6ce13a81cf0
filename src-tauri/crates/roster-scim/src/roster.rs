//! From a stored SCIM document to Roster's [`SourceUser`], which the attribute mapping and the planner
//! take from every directory alike. Pure: the application layer calls it after each change.
//!
//! The user's `external_id` is the SCIM `id` (Roster's stable key for the object; `externalId` is the
//! client's and may change), its `locator` is `userName`, and it is `disabled` when `active` is false.
//! Its attributes are the document flattened into (name, value) pairs; multi-valued names repeat:
//!
//! | name | value |
//! |---|---|
//! | `userName`, `displayName`, `nickName`, `title`, `userType`, `preferredLanguage`, `locale`, `timezone`, `profileUrl`, `externalId` | the attribute |
//! | `active` | `true` or `false` |
//! | `name.formatted`, `name.givenName`, `name.familyName`, `name.middleName`, `name.honorificPrefix`, `name.honorificSuffix` | the name's parts |
//! | `realName` | `displayName`, else `name.formatted` |
//! | `email` | the primary email, else the work email, else the first |
//! | `emails` | every email, the primary one first |
//! | `emails.primary` | the primary email |
//! | `emails.<type>` | the email of that type, e.g. `emails.work`, `emails.home`, `emails.other` (types in lower case) |
//! | `phoneNumbers`, `phoneNumbers.primary`, `phoneNumbers.<type>` | the same for phone numbers (`phoneNumbers.mobile`, `phoneNumbers.work`, …) |
//! | `ims`, `photos`, `entitlements`, `roles` (each with `.primary` and `.<type>`) | the same |
//! | `addresses.<part>` | a part (`formatted`, `streetAddress`, `locality`, `region`, `postalCode`, `country`) of the primary address, else the first |
//! | `addresses.<type>.<part>` | a part of the address of that type, e.g. `addresses.work.locality` |
//! | `enterprise.employeeNumber`, `enterprise.costCenter`, `enterprise.organization`, `enterprise.division`, `enterprise.department` | the Enterprise User extension's attributes |
//! | `enterprise.manager` | the manager's id (`manager.value`) |
//!
//! Empty values are left out. Certificates are not flattened.

use crate::schema::ENTERPRISE_USER_SCHEMA;
use roster_core::source::SourceUser;
use serde_json::Value;
use std::sync::Arc;

const SIMPLE: &[&str] = &[
    "userName",
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "profileUrl",
    "externalId",
];

const NAME_PARTS: &[&str] = &[
    "formatted",
    "givenName",
    "familyName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];

const LISTS: &[&str] = &[
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "entitlements",
    "roles",
];

const ADDRESS_PARTS: &[&str] = &[
    "formatted",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
];

const ENTERPRISE: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
];

struct Flat(Vec<(Arc<str>, String)>);

impl Flat {
    fn push(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            self.0.push((Arc::from(name), v.to_owned()));
        }
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&Value::Bool(true))
}

fn kind_of(v: &Value) -> Option<String> {
    text(v, "type")
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
}

/// The user as Roster's planner sees it (see the module documentation for the attribute names).
pub fn user_source(id: &str, doc: &Value) -> SourceUser {
    let mut flat = Flat(Vec::new());
    for name in SIMPLE {
        flat.push(name, text(doc, name));
    }
    if let Some(active) = doc.get("active").and_then(Value::as_bool) {
        flat.push("active", Some(if active { "true" } else { "false" }));
    }
    let name = doc.get("name").cloned().unwrap_or(Value::Null);
    for part in NAME_PARTS {
        flat.push(&format!("name.{part}"), text(&name, part));
    }
    let real = text(doc, "displayName")
        .filter(|s| !s.trim().is_empty())
        .or_else(|| text(&name, "formatted"));
    flat.push("realName", real);

    let empty = Vec::new();
    let list = |attr: &str| doc.get(attr).and_then(Value::as_array).unwrap_or(&empty);
    let emails = list("emails");
    let preferred = emails
        .iter()
        .find(|e| is_primary(e))
        .or_else(|| {
            emails
                .iter()
                .find(|e| kind_of(e).as_deref() == Some("work"))
        })
        .or_else(|| emails.first());
    flat.push("email", preferred.and_then(|e| text(e, "value")));
    for attr in LISTS {
        let items = list(attr);
        let ordered = items
            .iter()
            .filter(|e| is_primary(e))
            .chain(items.iter().filter(|e| !is_primary(e)));
        for item in ordered {
            flat.push(attr, text(item, "value"));
        }
        flat.push(
            &format!("{attr}.primary"),
            items
                .iter()
                .find(|e| is_primary(e))
                .and_then(|e| text(e, "value")),
        );
        for item in items {
            if let Some(t) = kind_of(item) {
                flat.push(&format!("{attr}.{t}"), text(item, "value"));
            }
        }
    }
    let addresses = list("addresses");
    if let Some(main) = addresses
        .iter()
        .find(|a| is_primary(a))
        .or(addresses.first())
    {
        for part in ADDRESS_PARTS {
            flat.push(&format!("addresses.{part}"), text(main, part));
        }
    }
    for a in addresses {
        if let Some(t) = kind_of(a) {
            for part in ADDRESS_PARTS {
                flat.push(&format!("addresses.{t}.{part}"), text(a, part));
            }
        }
    }
    if let Some(ent) = doc.get(ENTERPRISE_USER_SCHEMA) {
        for name in ENTERPRISE {
            flat.push(&format!("enterprise.{name}"), text(ent, name));
        }
        let manager = ent.get("manager").and_then(|m| text(m, "value"));
        flat.push("enterprise.manager", manager);
    }
    SourceUser {
        external_id: Arc::from(id),
        attributes: flat.0,
        disabled: doc.get("active") == Some(&Value::Bool(false)),
        locator: text(doc, "userName").map(str::to_owned),
    }
}

/// A group's name: its `displayName` (empty if the document has none, which a normalised one never
/// lacks).
pub fn group_name(doc: &Value) -> &str {
    text(doc, "displayName").unwrap_or("")
}

/// The attribute map a SCIM integration starts with: username from `userName`, the real name from
/// `displayName` (else the formatted name), first and last names, the primary (else work, else first)
/// email, and every phone number.
pub fn default_attributes() -> roster_core::AttributeMap {
    roster_core::AttributeMap {
        username: "userName".into(),
        aliases: Vec::new(),
        email: Some("email".into()),
        realname: Some("realName".into()),
        firstname: Some("name.givenName".into()),
        lastname: Some("name.familyName".into()),
        phones: vec!["phoneNumbers".into()],
        notes: None,
        custom: Default::default(),
    }
}
