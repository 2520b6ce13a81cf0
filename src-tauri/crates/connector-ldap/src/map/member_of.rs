//! The pure half of an individual lookup (one user's sync): which groups contain the user, found by
//! walking upward from the user through the groups that name it, instead of reading every group with
//! every member as a full sync does. The I/O half is [`crate::client::lookup`].
//!
//! The walk gives what [`super::Resolver::finish`] gives a full sync for the same user (the invariant the
//! slapd tests check):
//! - a group contains the user when it names the user's entry in its member attribute (the server compares
//!   DNs, however they are spelt), or names a group that contains the user;
//! - only groups matching the group filter under the base DN count, at every level (the full sync's group
//!   index);
//! - an entry that is both a user and a group is a user to a full sync, never a nested group, so the walk
//!   does not go on from it;
//! - memberUid groups name users by uid and nest nothing: one level only.
//!
//! Each group is visited once, so cycles end; the walk stops (and the caller reads the whole directory
//! instead) past [`MAX_GROUPS`] groups or [`MAX_LEVELS`] levels.

use super::normalize_dn;
use roster_core::source::{SourceGroup, SourceUser};
use std::collections::{HashMap, HashSet};

/// The most groups one walk visits before the caller falls back to a full read.
pub const MAX_GROUPS: usize = 20_000;
/// The deepest nesting one walk follows before the caller falls back to a full read.
pub const MAX_LEVELS: usize = 64;
/// Member values asked about in one search (an OR filter of this many equality terms).
pub const CHUNK: usize = 100;

/// The groups found so far to contain the user, and those whose own parents are still to be read.
#[derive(Debug, Default)]
pub struct Ancestry {
    seen: HashSet<String>,
    frontier: Vec<String>,
    levels: usize,
}

impl Ancestry {
    /// A walk starting from the user's entry, `start` (its DN, or its uid for memberUid groups).
    pub fn new(start: &str) -> Self {
        Ancestry {
            seen: HashSet::new(),
            frontier: vec![start.to_string()],
            levels: 0,
        }
    }

    /// The values (DNs, or the uid at the first level) whose containing groups are to be read next.
    pub fn frontier(&self) -> &[String] {
        &self.frontier
    }

    /// Records one level: `found`, the groups whose member attribute names a value of the frontier, and
    /// `also_users`, those of them that are users too (not followed further). With `nests` false
    /// (memberUid groups) nothing is followed. Returns false when the walk went past its bounds.
    pub fn add_level(&mut self, found: Vec<String>, also_users: &[String], nests: bool) -> bool {
        self.levels += 1;
        let users: HashSet<String> = also_users.iter().map(|d| normalize_dn(d)).collect();
        let mut next = Vec::new();
        for dn in found {
            let key = normalize_dn(&dn);
            if self.seen.insert(key.clone()) && nests && !users.contains(&key) {
                next.push(dn);
            }
        }
        self.frontier = next;
        self.seen.len() <= MAX_GROUPS && (self.frontier.is_empty() || self.levels < MAX_LEVELS)
    }

    /// Whether the group named `dn` (any spelling) contains the user.
    pub fn contains(&self, dn: &str) -> bool {
        self.seen.contains(&normalize_dn(dn))
    }
}

/// How a group's member attribute names its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// By DN (member, and AD's member).
    Dn,
    /// By DN with an optional unique id after it (uniqueMember: `cn=x,dc=example#'0101'B`).
    DnAndOptionalUid,
    /// By uid (memberUid).
    Uid,
}

impl Naming {
    /// How `attribute` names members.
    pub fn of(attribute: &str) -> Naming {
        if attribute.eq_ignore_ascii_case("memberUid") {
            Naming::Uid
        } else if attribute.eq_ignore_ascii_case("uniqueMember") {
            Naming::DnAndOptionalUid
        } else {
            Naming::Dn
        }
    }
}

/// `(&<group filter>(|(<attribute>=<v1>)(<attribute>=<v2>)…))`, the values escaped for a filter, matching
/// the values a full sync resolves to them:
/// - memberUid's matching rule is case-exact but the full sync compares uids ignoring case, so each uid
///   is also matched with caseIgnoreIA5Match;
/// - uniqueMember's equality (uniqueMemberMatch, RFC 4517) fails when only the value has a unique id,
///   which the full sync cuts off; its approximate match (X.520's looser rule, as OpenLDAP implements
///   it) compares the DNs alone, so each DN is also matched approximately.
pub fn member_filter(
    group_filter: &str,
    attribute: &str,
    values: &[String],
    naming: Naming,
) -> String {
    let mut f = format!("(&{group_filter}(|");
    for v in values {
        let v = ldap3::ldap_escape(v.as_str());
        f.push_str(&format!("({attribute}={v})"));
        match naming {
            Naming::Uid => f.push_str(&format!("({attribute}:caseIgnoreIA5Match:={v})")),
            Naming::DnAndOptionalUid => f.push_str(&format!("({attribute}~={v})")),
            Naming::Dn => {}
        }
    }
    f.push_str("))");
    f
}

/// Whether `dn` is `base` or under it: the full sync reads groups with a subtree search of the base.
pub fn under_base(dn: &str, base: &str) -> bool {
    let (dn, base) = (normalize_dn(dn), normalize_dn(base));
    base.is_empty() || dn == base || dn.strip_suffix(&base).is_some_and(|p| p.ends_with(','))
}

/// A selected group as read by DN: its name (first cn, else the DN) and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
}

/// The lookup's groups: each selected group that exists (in `found`, by normalised DN), in the order
/// selected as a full sync lists them, with whether the user is in it. Its members are the user alone
/// or no one: an individual sync changes no one else.
pub fn lookup_groups(
    selected: &[String],
    found: &HashMap<String, GroupName>,
    ancestry: &Ancestry,
    user: Option<&SourceUser>,
) -> Vec<(SourceGroup, bool)> {
    selected
        .iter()
        .filter_map(|sel| {
            let g = found.get(&normalize_dn(sel))?;
            let member = user.is_some() && ancestry.contains(sel);
            let members = match (user, member) {
                (Some(u), true) => vec![u.external_id.clone()],
                _ => Vec::new(),
            };
            Some((
                SourceGroup {
                    external_id: sel.clone(),
                    name: g.name.clone(),
                    description: g.description.clone(),
                    members,
                },
                member,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_visits_each_group_once_and_stops_at_users_and_bounds() {
        let mut a = Ancestry::new("uid=ann,dc=x");
        assert!(a.add_level(
            vec!["cn=A,dc=x".into(), "cn=Both,dc=x".into()],
            &["CN=both,dc=x".into()],
            true
        ));
        assert_eq!(
            a.frontier(),
            ["cn=A,dc=x"],
            "a user-and-group is not followed"
        );
        assert!(a.add_level(vec!["cn=B,dc=x".into(), "cn=a,DC=x".into()], &[], true));
        assert_eq!(a.frontier(), ["cn=B,dc=x"], "a cycle back to A ends there");
        assert!(a.add_level(Vec::new(), &[], true));
        assert!(a.frontier().is_empty());
        assert!(a.contains("CN=b, dc=X") && a.contains("cn=both,dc=x") && !a.contains("cn=c,dc=x"));
        let mut deep = Ancestry::new("uid=ann,dc=x");
        let ok = (0..MAX_LEVELS).all(|i| deep.add_level(vec![format!("cn=g{i},dc=x")], &[], true));
        assert!(!ok, "a chain deeper than the bound stops the walk");
        let mut flat = Ancestry::new("ann");
        assert!(flat.add_level(vec!["cn=p,dc=x".into()], &[], false));
        assert!(flat.frontier().is_empty(), "memberUid groups do not nest");
    }

    #[test]
    fn filters_escape_values_and_bases_compare_as_dns() {
        assert_eq!(
            member_filter(
                "(objectClass=g)",
                "member",
                &["cn=a\\2C b(c)*,dc=x".into()],
                Naming::Dn
            ),
            "(&(objectClass=g)(|(member=cn=a\\5c2C b\\28c\\29\\2a,dc=x)))"
        );
        assert_eq!(
            member_filter("(objectClass=p)", "memberUid", &["Ann".into()], Naming::Uid),
            "(&(objectClass=p)(|(memberUid=Ann)(memberUid:caseIgnoreIA5Match:=Ann)))"
        );
        assert_eq!(
            member_filter(
                "(objectClass=u)",
                "uniqueMember",
                &["cn=a,dc=x".into()],
                Naming::of("UNIQUEMEMBER")
            ),
            "(&(objectClass=u)(|(uniqueMember=cn=a,dc=x)(uniqueMember~=cn=a,dc=x)))"
        );
        assert!(under_base("cn=G,OU=Groups,dc=Example", "dc=example"));
        assert!(under_base("dc=example", "DC=Example"));
        assert!(!under_base("cn=g,dc=otherexample", "dc=example"));
        assert!(!under_base("cn=g,dc=other", "dc=example"));
    }
}
