//! Pure conversion of LDAP entries into Roster's source types. No I/O: everything here is tested on
//! recorded entries (`tests/fixtures`).

use crate::settings::{Flavor, Settings};
use base64::Engine;
use roster_core::source::{SourceBatch, SourceGroup, SourceUser};
use std::collections::HashMap;

pub mod member_of;

/// Maps keyed by DNs and member values, looked up about a million times in a large read: foldhash is
/// several times faster than SipHash here, and nothing depends on their iteration order.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::Arc;

/// An entry as the server returned it: text values, and values that are not UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Distinguished name.
    pub dn: String,
    /// Text attributes.
    pub attrs: Vec<(String, Vec<String>)>,
    /// Binary attributes (objectGUID, objectSid, photos…), base64 in recorded fixtures.
    #[serde(with = "b64")]
    pub bin_attrs: Vec<(String, Vec<Vec<u8>>)>,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    type Bin = Vec<(String, Vec<Vec<u8>>)>;
    pub fn serialize<S: Serializer>(v: &Bin, s: S) -> Result<S::Ok, S::Error> {
        let e: Vec<(String, Vec<String>)> = v
            .iter()
            .map(|(k, vs)| {
                (
                    k.clone(),
                    vs.iter()
                        .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
                        .collect(),
                )
            })
            .collect();
        e.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bin, D::Error> {
        let e: Vec<(String, Vec<String>)> = Vec::deserialize(d)?;
        e.into_iter()
            .map(|(k, vs)| {
                let bs = vs
                    .iter()
                    .map(|v| {
                        base64::engine::general_purpose::STANDARD
                            .decode(v)
                            .map_err(serde::de::Error::custom)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((k, bs))
            })
            .collect()
    }
}

impl Entry {
    /// The text values of `name` (case-insensitive).
    pub fn values(&self, name: &str) -> &[String] {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
    /// The first text value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.values(name).first().map(String::as_str)
    }
    /// The binary values of `name`.
    pub fn bin(&self, name: &str) -> &[Vec<u8>] {
        self.bin_attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
}

/// A DN in a form that compares equal for every spelling of the same entry's name (see [`crate::dn`]):
/// the key of users and groups by DN, and the external id of a user without entryUUID or objectGUID.
pub fn normalize_dn(dn: &str) -> String {
    crate::dn::canonical(dn)
}

/// A member value without the optional unique identifier that a uniqueMember value (nameAndOptionalUID,
/// RFC 4517) may end with: `cn=x,dc=example#'0101'B` is `cn=x,dc=example`. A '#' elsewhere is part of the
/// DN (`cn=C# Devs`, `cn=\#1`), so only a `#'…'B` bit string at the very end is cut.
fn without_unique_id(mut m: String) -> String {
    if let Some(body) = m.strip_suffix("'B") {
        if let Some(at) = body.rfind("#'") {
            let bits = body.get(at + 2..).unwrap_or_default();
            if bits.bytes().all(|b| b == b'0' || b == b'1') {
                m.truncate(at);
            }
        }
    }
    m
}

/// Active Directory's objectGUID (16 bytes, mixed endian) in its usual text form.
pub fn guid_string(b: &[u8]) -> Option<String> {
    if b.len() != 16 {
        return None;
    }
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

/// A Windows SID (objectSid) in its `S-1-5-21-…` form.
pub fn sid_string(b: &[u8]) -> Option<String> {
    if b.len() < 8 {
        return None;
    }
    let count = usize::from(b[1]);
    if b.len() != 8 + 4 * count {
        return None;
    }
    let authority = b[2..8]
        .iter()
        .fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    let mut s = format!("S-{}-{authority}", b[0]);
    for i in 0..count {
        let o = 8 + 4 * i;
        let sub = u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        s.push_str(&format!("-{sub}"));
    }
    Some(s)
}

/// The range of a ranged attribute name (`member;range=0-1499` -> (0, Some(1499)); `…=1500-*` -> (1500, None)).
pub fn parse_range(attr: &str) -> Option<(String, u64, Option<u64>)> {
    let (base, range) = attr
        .split_once(";range=")
        .or_else(|| attr.split_once(";Range="))?;
    let (lo, hi) = range.split_once('-')?;
    let lo = lo.parse().ok()?;
    let hi = if hi == "*" {
        None
    } else {
        Some(hi.parse().ok()?)
    };
    Some((base.to_string(), lo, hi))
}

/// What the connector reads for each flavor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Filter for users.
    pub user_filter: String,
    /// Filter for groups.
    pub group_filter: String,
    /// Member attribute of groups.
    pub member_attribute: String,
    /// Attribute holding the stable id.
    pub id_attribute: &'static str,
    /// Attribute that grows with every change of an entry (AD `uSNChanged`, OpenLDAP `entryCSN`).
    pub change_attribute: &'static str,
}

/// Compares two change marks: numbers for AD's USNs, text for OpenLDAP's CSNs (which sort as text).
pub fn mark_newer(a: &str, than: &str) -> bool {
    match (a.parse::<u64>(), than.parse::<u64>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => a > than,
    }
}

/// A cursor: the server that answered and the highest change mark it showed.
pub fn cursor(server: &str, mark: &str) -> String {
    format!("{server}\n{mark}")
}

/// The server and mark of a cursor.
pub fn parse_cursor(c: &str) -> Option<(&str, &str)> {
    c.split_once('\n')
}

impl Schema {
    /// The schema for these settings.
    pub fn of(flavor: Flavor, s: &Settings) -> Schema {
        match flavor {
            Flavor::ActiveDirectory => Schema {
                user_filter: "(&(objectCategory=person)(objectClass=user))".into(),
                group_filter: "(objectClass=group)".into(),
                member_attribute: "member".into(),
                id_attribute: "objectGUID",
                change_attribute: "uSNChanged",
            },
            Flavor::Openldap => Schema {
                user_filter: format!("(objectClass={})", s.user_object_class.as_deref().unwrap_or("inetOrgPerson")),
                group_filter: match &s.group_object_class {
                    Some(c) => format!("(objectClass={c})"),
                    None => "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))".into(),
                },
                member_attribute: s.member_attribute.clone().unwrap_or_else(|| "member".into()),
                id_attribute: "entryUUID",
                change_attribute: "entryCSN",
            },
        }
    }

    /// Attributes to request for users, given those the mapping needs.
    pub fn user_attributes(&self, flavor: Flavor, s: &Settings, wanted: &[String]) -> Vec<String> {
        let mut v: Vec<String> = wanted.to_vec();
        v.push(self.id_attribute.into());
        v.push(self.change_attribute.into());
        v.push("uid".into());
        match flavor {
            Flavor::ActiveDirectory => v.extend([
                "userAccountControl".to_string(),
                "sAMAccountName".to_string(),
            ]),
            Flavor::Openldap => {
                v.push("pwdAccountLockedTime".into());
                if let Some(d) = &s.disabled_when {
                    v.push(d.attribute.clone());
                }
            }
        }
        v.sort_by_key(|a| a.to_ascii_lowercase());
        v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        v
    }

    /// Attributes to request for groups.
    /// (Members in ranges of `range` values when set.)
    pub fn group_attributes(&self, range: Option<u32>) -> Vec<String> {
        let member = match range {
            Some(n) => format!("{};range=0-{}", self.member_attribute, n.saturating_sub(1)),
            None => self.member_attribute.clone(),
        };
        vec![
            "cn".into(),
            "description".into(),
            member,
            self.id_attribute.into(),
        ]
    }
}

/// Why an entry was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's DN.
    pub dn: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// Converts a user entry. Binary values become base64 text (objectGUID and objectSid their usual forms);
/// the stable id is objectGUID (AD) or entryUUID (OpenLDAP), else the DN.
pub fn user(
    flavor: Flavor,
    s: &Settings,
    e: Entry,
    names: &mut HashMap<String, Arc<str>>,
) -> SourceUser {
    let external_id = match flavor {
        Flavor::ActiveDirectory => e.bin("objectGUID").first().and_then(|b| guid_string(b)),
        Flavor::Openldap => e.first("entryUUID").map(str::to_lowercase),
    }
    .unwrap_or_else(|| normalize_dn(&e.dn));
    let disabled = match flavor {
        Flavor::ActiveDirectory => e
            .first("userAccountControl")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .is_some_and(|uac| uac & 0x2 != 0),
        Flavor::Openldap => {
            let locked = !e.values("pwdAccountLockedTime").is_empty();
            let flagged = s.disabled_when.as_ref().is_some_and(|d| {
                let vals = e.values(&d.attribute);
                match &d.value {
                    Some(want) => vals.iter().any(|v| v.eq_ignore_ascii_case(want)),
                    None => !vals.is_empty(),
                }
            });
            locked || flagged
        }
    };
    // Attribute names are interned: looked up by reference, allocated once per name per fetch.
    let mut intern = |n: &str| -> Arc<str> {
        match names.get(n) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = Arc::from(n);
                names.insert(n.to_string(), a.clone());
                a
            }
        }
    };
    let mut attributes: Vec<(Arc<str>, String)> = Vec::with_capacity(e.attrs.len());
    for (k, vs) in e.attrs {
        let name = intern(&k);
        for v in vs {
            attributes.push((name.clone(), v));
        }
    }
    for (k, vs) in e.bin_attrs {
        let name = intern(&k);
        for v in vs {
            let text = if k.eq_ignore_ascii_case("objectGUID") {
                guid_string(&v)
            } else if k.eq_ignore_ascii_case("objectSid") {
                sid_string(&v)
            } else {
                None
            };
            attributes.push((
                name.clone(),
                text.unwrap_or_else(|| base64::engine::general_purpose::STANDARD.encode(&v)),
            ));
        }
    }
    SourceUser {
        external_id: external_id.into(),
        attributes,
        disabled,
        locator: Some(e.dn),
    }
}

/// A group entry, reduced to what membership resolution needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// DN as returned.
    pub dn: String,
    /// Normalised DN.
    pub key: String,
    /// Name (cn).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Member values (DNs, or uids for memberUid).
    pub members: Vec<String>,
}

/// Converts a group entry; `member_attribute` values are collected whatever their range suffix.
pub fn group(e: Entry, member_attribute: &str) -> GroupEntry {
    let key = normalize_dn(&e.dn);
    let name = e
        .first("cn")
        .map(str::to_string)
        .unwrap_or_else(|| e.dn.clone());
    let description = e.first("description").map(str::to_string);
    let mut members = Vec::new();
    for (k, vs) in e.attrs {
        let is_member = k.eq_ignore_ascii_case(member_attribute)
            || parse_range(&k).is_some_and(|(b, _, _)| b.eq_ignore_ascii_case(member_attribute));
        if is_member {
            if members.is_empty() {
                members = vs;
            } else {
                members.extend(vs);
            }
        }
    }
    GroupEntry {
        dn: e.dn,
        key,
        name,
        description,
        members,
    }
}

/// Group entries as they arrive, read while the users are still being read (on a second connection): each
/// distinct member value is stored once and a membership is its four-byte index, so a million member
/// values never pile up. [`Resolver::resolve`] turns them into user indices once the users are known.
#[derive(Debug, Default)]
pub struct PendingGroups {
    values: FastMap<String, u32>,
    groups: Vec<PendingGroup>,
}

#[derive(Debug)]
struct PendingGroup {
    dn: String,
    key: String,
    name: String,
    description: Option<String>,
    members: Vec<u32>,
}

impl PendingGroups {
    /// Adds one group entry (its member values are consumed).
    pub fn add(&mut self, g: GroupEntry) {
        let mut members = Vec::with_capacity(g.members.len());
        for m in g.members {
            let m = without_unique_id(m);
            let next = self.values.len() as u32;
            let i = match self.values.get(m.as_str()) {
                Some(&i) => i,
                None => {
                    self.values.insert(m, next);
                    next
                }
            };
            members.push(i);
        }
        self.groups.push(PendingGroup {
            dn: g.dn,
            key: g.key,
            name: g.name,
            description: g.description,
            members,
        });
    }
}

/// Resolves group members to users by DN (or by uid, for memberUid groups), each distinct member value
/// once; values that are not users are kept (normalised) as candidate nested groups.
pub struct Resolver {
    users: Vec<(String, SourceUser)>,
    raw: FastMap<String, usize>,
    normalized: Option<FastMap<String, usize>>,
    by_uid: Option<FastMap<String, usize>>,
    member_is_uid: bool,
}

/// A group whose members are resolved to user indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedGroup {
    /// DN as returned.
    pub dn: String,
    /// Normalised DN.
    pub key: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Direct member users, by index.
    pub users: Vec<usize>,
    /// Direct member values that are not users (candidate nested groups).
    pub others: Vec<String>,
}

/// What one distinct member value turned out to be.
enum Member {
    User(usize),
    Other(String),
    Unknown,
}

impl Resolver {
    /// A resolver over `users` (each with its DN).
    pub fn new(users: Vec<(String, SourceUser)>, member_is_uid: bool) -> Self {
        let raw = users
            .iter()
            .enumerate()
            .map(|(i, (dn, _))| (dn.clone(), i))
            .collect();
        Resolver {
            users,
            raw,
            normalized: None,
            by_uid: None,
            member_is_uid,
        }
    }

    fn user_by_dn(&mut self, dn: &str) -> Option<usize> {
        if let Some(&i) = self.raw.get(dn) {
            return Some(i);
        }
        // Member values usually spell a DN exactly as the server returns it; normalise only on a miss.
        let users = &self.users;
        let norm = self.normalized.get_or_insert_with(|| {
            users
                .iter()
                .enumerate()
                .map(|(i, (dn, _))| (normalize_dn(dn), i))
                .collect()
        });
        norm.get(&normalize_dn(dn)).copied()
    }

    fn user_by_uid(&mut self, uid: &str) -> Option<usize> {
        let users = &self.users;
        let by = self.by_uid.get_or_insert_with(|| {
            users
                .iter()
                .enumerate()
                .filter_map(|(i, (_, u))| u.first("uid").map(|v| (v.to_lowercase(), i)))
                .collect()
        });
        by.get(&uid.to_lowercase()).copied()
    }

    /// The users, with their DNs.
    pub fn users(&self) -> &[(String, SourceUser)] {
        &self.users
    }

    /// Resolves the pending groups' members (each distinct value once).
    pub fn resolve(&mut self, pending: PendingGroups) -> Vec<ResolvedGroup> {
        let mut members: Vec<Member> = Vec::new();
        members.resize_with(pending.values.len(), || Member::Unknown);
        for (value, i) in pending.values {
            let m = if self.member_is_uid {
                self.user_by_uid(&value)
                    .map_or(Member::Unknown, Member::User)
            } else {
                match self.user_by_dn(&value) {
                    Some(u) => Member::User(u),
                    None => Member::Other(normalize_dn(&value)),
                }
            };
            if let Some(slot) = members.get_mut(i as usize) {
                *slot = m;
            }
        }
        pending
            .groups
            .into_iter()
            .map(|g| {
                let mut users = Vec::with_capacity(g.members.len());
                let mut others = Vec::new();
                for i in g.members {
                    match members.get(i as usize) {
                        Some(Member::User(u)) => users.push(*u),
                        Some(Member::Other(k)) => others.push(k.clone()),
                        _ => {}
                    }
                }
                ResolvedGroup {
                    dn: g.dn,
                    key: g.key,
                    name: g.name,
                    description: g.description,
                    users,
                    others,
                }
            })
            .collect()
    }

    /// The batch: the selected groups with members flattened through nested groups (each group once, so
    /// cycles are safe; each user once), and every user in at least one of them.
    pub fn finish(self, selected: &[String], groups: &[ResolvedGroup]) -> SourceBatch {
        let index: FastMap<&str, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.key.as_str(), i))
            .collect();
        let subgroups: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                g.others
                    .iter()
                    .filter_map(|k| index.get(k.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut batch = SourceBatch::default();
        let mut wanted = vec![false; self.users.len()];
        // "Seen in the walk from selected group number `stamp`": one pair of arrays for every walk, not
        // one per selected group.
        let mut seen_user = vec![0u32; self.users.len()];
        let mut seen_group = vec![0u32; groups.len()];
        for (stamp, sel) in (1u32..).zip(selected) {
            let Some(&root) = index.get(normalize_dn(sel).as_str()) else {
                batch.missing_groups.push(sel.clone());
                continue;
            };
            let mut stack = vec![root];
            let mut members = Vec::new();
            while let Some(g) = stack.pop() {
                if std::mem::replace(&mut seen_group[g], stamp) == stamp {
                    continue;
                }
                for &u in &groups[g].users {
                    if std::mem::replace(&mut seen_user[u], stamp) != stamp {
                        members.push(self.users[u].1.external_id.clone());
                        wanted[u] = true;
                    }
                }
                stack.extend(subgroups[g].iter().rev().copied());
            }
            batch.groups.push(SourceGroup {
                external_id: sel.clone(),
                name: groups[root].name.clone(),
                description: groups[root].description.clone(),
                members,
            });
        }
        batch.users = self
            .users
            .into_iter()
            .zip(wanted)
            .filter(|(_, w)| *w)
            .map(|((_, u), _)| u)
            .collect();
        batch
    }
}

/// Builds the batch from users and whole group entries (see [`Resolver`]).
pub fn assemble(
    selected: &[String],
    groups: Vec<GroupEntry>,
    users: Vec<(String, SourceUser)>,
    member_is_uid: bool,
) -> SourceBatch {
    let mut pending = PendingGroups::default();
    for g in groups {
        pending.add(g);
    }
    let mut r = Resolver::new(users, member_is_uid);
    let resolved = r.resolve(pending);
    r.finish(selected, &resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_sids_and_ranges_decode() {
        let g = [
            0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef,
        ];
        assert_eq!(
            guid_string(&g).as_deref(),
            Some("01234567-89ab-cdef-0123-456789abcdef"),
            "objectGUID's first three fields are little-endian"
        );
        let sid = [
            1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x39, 0x30, 0, 0, 0x10, 0x27, 0, 0, 0x0a, 0, 0, 0,
            0xf4, 0x01, 0, 0,
        ];
        assert_eq!(
            sid_string(&sid).as_deref(),
            Some("S-1-5-21-12345-10000-10-500")
        );
        assert_eq!(
            parse_range("member;range=0-1499"),
            Some(("member".into(), 0, Some(1499)))
        );
        assert_eq!(
            parse_range("member;range=1500-*"),
            Some(("member".into(), 1500, None)),
            "* marks the last chunk"
        );
        assert_eq!(parse_range("member"), None);
        assert_eq!(
            normalize_dn("CN=Alice Smith, OU=People ,DC=Example,DC=org"),
            "cn=alice smith,ou=people,dc=example,dc=org"
        );
    }

    #[test]
    fn only_a_trailing_bit_string_is_cut_from_a_member_value() {
        let cut = |m: &str| without_unique_id(m.to_string());
        assert_eq!(cut("cn=x,dc=example#'0101'B"), "cn=x,dc=example");
        assert_eq!(cut("cn=x,dc=example#''B"), "cn=x,dc=example");
        assert_eq!(cut("cn=C# Devs,dc=example"), "cn=C# Devs,dc=example");
        assert_eq!(cut("cn=\\#1 C#,dc=example#'1'B"), "cn=\\#1 C#,dc=example");
        assert_eq!(
            cut("cn=x#'12'B"),
            "cn=x#'12'B",
            "not a bit string: part of the value"
        );
    }

    #[test]
    fn members_spelt_differently_from_the_users_dns_resolve() {
        let s: Settings = serde_json::from_value(serde_json::json!({
            "servers": ["ldap://127.0.0.1"], "transport": "starttls", "base_dn": "dc=example,dc=org"
        }))
        .expect("settings");
        let mut names = HashMap::new();
        let mut user = |dn: &str| {
            let e = Entry {
                dn: dn.into(),
                ..Entry::default()
            };
            (dn.to_string(), user(Flavor::Openldap, &s, e, &mut names))
        };
        let users = vec![
            user("cn=Doe\\2C John,ou=people,dc=example,dc=org"),
            user("cn=Ren\u{e9}e,ou=people,dc=example,dc=org"),
        ];
        let group = |dn: &str, members: &[&str]| GroupEntry {
            dn: dn.into(),
            key: normalize_dn(dn),
            name: dn.into(),
            description: None,
            members: members.iter().map(|m| m.to_string()).collect(),
        };
        let groups = vec![
            group(
                "cn=fans,dc=example,dc=org",
                &[
                    "CN=Doe\\, John, OU=People,DC=Example,DC=Org",
                    "cn=sub\\+group,dc=example,dc=org",
                ],
            ),
            group(
                "cn=Sub\\2Bgroup,dc=example,dc=org",
                &["cn=REN\\C3\\89E,ou=people,dc=example,dc=org"],
            ),
        ];
        let b = assemble(&["CN=Fans,DC=example,DC=org".into()], groups, users, false);
        assert!(b.missing_groups.is_empty());
        assert_eq!(b.groups[0].members.len(), 2, "{:?}", b.groups[0].members);
        assert_eq!(b.users.len(), 2);
        assert_eq!(
            b.users[0].locator.as_deref(),
            Some("cn=Doe\\2C John,ou=people,dc=example,dc=org"),
            "the locator is the DN as given"
        );
    }
}
