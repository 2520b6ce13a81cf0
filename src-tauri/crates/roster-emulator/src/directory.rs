//! The emulated organisation: people and groups with vendor-neutral fields, and a change history (a global
//! sequence number stamped on every change, tombstones for deletions, and a log of membership changes) so
//! that delta queries and "changed since" reads can be answered exactly.
//!
//! Invariants: ids never change; `seq` only grows; every mutation stamps what it touched with the new `seq`;
//! a deleted person stays in `people` (state `Deleted`) and is in no group.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roster_demo::org::Org;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// A person's account state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonState {
    /// Can sign in.
    Active,
    /// Blocked from signing in (Entra `accountEnabled=false`, Google suspended, Okta SUSPENDED).
    Suspended,
    /// Deleted (Entra soft-deleted, Google deleted, Okta DEPROVISIONED); kept for delta queries.
    Deleted,
}

/// A person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Stable id (a GUID).
    pub id: String,
    /// Login name without the domain (`ada.lovelace`); the vendors' sign-in name is `username@domain`.
    pub username: String,
    /// First name.
    pub given: String,
    /// Last name.
    pub family: String,
    /// Primary email.
    pub mail: String,
    /// Business phone.
    pub phone: String,
    /// Mobile phone.
    pub mobile: Option<String>,
    /// Job title.
    pub title: String,
    /// Department (their team's name).
    pub department: String,
    /// Employee number.
    pub employee_id: String,
    /// Account state.
    pub state: PersonState,
    /// An external guest (Entra B2B); ignored by vendors without guests.
    pub guest: bool,
    /// The administrator who consents to Roster's access (never changed by churn).
    pub admin: bool,
    /// `seq` when created.
    pub created: u64,
    /// `seq` of the last change.
    pub changed: u64,
}

impl Person {
    /// Display name.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given, self.family)
    }
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    /// A person, by id.
    Person(String),
    /// A nested group, by id.
    Team(String),
}

/// A change to a group's direct members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    /// When.
    pub seq: u64,
    /// Who.
    pub member: Member,
    /// Added (true) or removed (false).
    pub added: bool,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Stable id (a GUID).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Group email (`name@domain`, lower case, spaces as dashes).
    pub mail: String,
    /// Description.
    pub description: String,
    /// Direct members, in the order they were added.
    pub members: Vec<Member>,
    /// Membership history.
    pub member_log: Vec<MemberChange>,
    /// `seq` when created.
    pub created: u64,
    /// `seq` of the last change to the group or its direct members.
    pub changed: u64,
}

/// The organisation.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Email domain (`northwind.demo`).
    pub domain: String,
    people: BTreeMap<String, Person>,
    teams: BTreeMap<String, Team>,
    seq: u64,
    rng: ChaCha8Rng,
    next_hire: u64,
    /// People whose accounts are archived (Google Workspace's "archived user": kept, licence freed, unable to
    /// sign in). Only the Google emulator shows it; other vendors see these people as they otherwise are.
    archived: HashSet<String>,
}

/// A GUID-shaped id derived from `text` (stable across runs).
pub fn guid(text: &str) -> String {
    let h = Sha256::digest(text.as_bytes());
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-4{:x}{:02x}-8{:x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        h[0], h[1], h[2], h[3], h[4], h[5], h[6] & 0xf, h[7], h[8] & 0xf, h[9], h[10], h[11], h[12], h[13], h[14], h[15]
    )
}

fn team_mail(name: &str, domain: &str) -> String {
    let local: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{local}@{domain}")
}

/// Lower-case ASCII for login names and addresses (`Tomás` -> `tomas`), as directories provision them.
fn fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                'á' | 'à' | 'ä' | 'â' | 'å' | 'Á' => 'a',
                'é' | 'è' | 'ë' | 'ê' | 'É' => 'e',
                'í' | 'ì' | 'ï' | 'Í' => 'i',
                'ó' | 'ò' | 'ö' | 'ô' | 'ø' | 'Ó' | 'Ö' => 'o',
                'ú' | 'ù' | 'ü' | 'Ú' => 'u',
                'ñ' => 'n',
                'ç' => 'c',
                c => c,
            };
            c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase())
        })
        .collect()
}

const PROJECTS: &[&str] = &[
    "Apollo", "Borealis", "Cascade", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Indigo",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quartz", "Redwood",
    "Summit", "Tundra",
];

impl Directory {
    /// The demo organisation of `users` people from `seed` (the same people and teams as Roster's built-in
    /// demo directory), with extra project groups up to `groups` in total.
    pub fn seeded(seed: u64, users: usize, groups: Option<usize>) -> Directory {
        let org = Org::generate(seed, users);
        let domain = "northwind.demo".to_string();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xe3a1);
        let mut people = BTreeMap::new();
        for (i, u) in org.users.iter().enumerate() {
            people.insert(
                u.external_id.clone(),
                Person {
                    id: u.external_id.clone(),
                    username: u.uid.clone(),
                    given: u.given.clone(),
                    family: u.sn.clone(),
                    mail: u.mail.clone(),
                    phone: u.phone.clone(),
                    mobile: u.mobile.clone(),
                    title: u.title.clone(),
                    department: u.team.clone(),
                    employee_id: u.employee_id.clone(),
                    state: if u.disabled {
                        PersonState::Suspended
                    } else {
                        PersonState::Active
                    },
                    // About 1% are guests (never the admin).
                    guest: i > 0 && rng.random_range(0..100) == 0,
                    admin: i == 0,
                    created: 0,
                    changed: 0,
                },
            );
        }
        let mut teams = BTreeMap::new();
        for g in &org.groups {
            let id = guid(&g.dn);
            let mut members: Vec<Member> =
                g.users.iter().map(|u| Member::Person(u.clone())).collect();
            members.extend(g.subgroups.iter().map(|dn| Member::Team(guid(dn))));
            teams.insert(
                id.clone(),
                Team {
                    id,
                    name: g.name.clone(),
                    mail: team_mail(&g.name, &domain),
                    description: g.description.clone(),
                    members,
                    member_log: Vec::new(),
                    created: 0,
                    changed: 0,
                },
            );
        }
        let ids: Vec<String> = people.keys().cloned().collect();
        let mut n = 0usize;
        while teams.len() < groups.unwrap_or(0) && !ids.is_empty() {
            n += 1;
            let name = format!("Project {} {}", PROJECTS[n % PROJECTS.len()], n);
            let id = guid(&format!("project:{seed}:{n}"));
            let size = rng.random_range(20..=ids.len().clamp(20, 1000));
            let mut chosen = HashSet::new();
            let mut members = Vec::new();
            for _ in 0..size {
                let p = &ids[rng.random_range(0..ids.len())];
                if chosen.insert(p.clone()) {
                    members.push(Member::Person(p.clone()));
                }
            }
            teams.insert(
                id.clone(),
                Team {
                    id,
                    mail: team_mail(&name, &domain),
                    description: format!("Members of project {name}"),
                    name,
                    members,
                    member_log: Vec::new(),
                    created: 0,
                    changed: 0,
                },
            );
        }
        // About 1 in 256 active people are archived (never the admin); chosen from the id so that the choice
        // does not disturb the random stream the rest of the organisation is drawn from.
        let archived = people
            .values()
            .filter(|p| !p.admin && p.state == PersonState::Active)
            .filter(|p| Sha256::digest(format!("archived:{}", p.id).as_bytes())[0] == 0)
            .map(|p| p.id.clone())
            .collect();
        Directory {
            domain,
            people,
            teams,
            seq: 1,
            rng,
            next_hire: 0,
            archived,
        }
    }

    /// Whether a person's account is archived (see [`Directory::archive`]).
    pub fn is_archived(&self, id: &str) -> bool {
        self.archived.contains(id)
    }

    /// Archives a person's account (Google Workspace): they keep their data and groups but cannot sign in.
    /// [`Directory::restore`] undoes it.
    pub fn archive(&mut self, id: &str) -> bool {
        if !self.people.contains_key(id) {
            return false;
        }
        self.archived.insert(id.to_string());
        self.touch_person(id, |_| {})
    }

    /// The current change sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Everyone, deleted people included, ordered by id (stable paging order).
    pub fn people(&self) -> impl Iterator<Item = &Person> {
        self.people.values()
    }

    /// One person.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.get(id)
    }

    /// A person by username (without domain), case-insensitively.
    pub fn person_by_username(&self, username: &str) -> Option<&Person> {
        self.people
            .values()
            .find(|p| p.username.eq_ignore_ascii_case(username))
    }

    /// The consenting administrator.
    pub fn admin(&self) -> Option<&Person> {
        self.people.values().find(|p| p.admin)
    }

    /// Every group, ordered by id.
    pub fn teams(&self) -> impl Iterator<Item = &Team> {
        self.teams.values()
    }

    /// One group.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.get(id)
    }

    /// A group by name, case-insensitively.
    pub fn team_by_name(&self, name: &str) -> Option<&Team> {
        self.teams
            .values()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The people reachable from a group through nesting, each once, cycles safe, in first-seen order.
    pub fn transitive_people(&self, team_id: &str) -> Vec<&Person> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut visited = HashSet::new();
        let mut stack = vec![team_id.to_string()];
        while let Some(t) = stack.pop() {
            if !visited.insert(t.clone()) {
                continue;
            }
            let Some(team) = self.teams.get(&t) else {
                continue;
            };
            for m in &team.members {
                match m {
                    Member::Person(p) => {
                        if seen.insert(p.as_str()) {
                            if let Some(p) = self.people.get(p) {
                                out.push(p);
                            }
                        }
                    }
                    Member::Team(sub) => stack.push(sub.clone()),
                }
            }
        }
        out
    }

    /// The groups that directly contain a person.
    pub fn teams_of(&self, person_id: &str) -> Vec<&Team> {
        self.teams
            .values()
            .filter(|t| {
                t.members
                    .iter()
                    .any(|m| matches!(m, Member::Person(p) if p == person_id))
            })
            .collect()
    }

    fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn touch_person<F: FnOnce(&mut Person)>(&mut self, id: &str, f: F) -> bool {
        let seq = self.seq + 1;
        match self.people.get_mut(id) {
            Some(p) => {
                f(p);
                p.changed = seq;
                self.seq = seq;
                true
            }
            None => false,
        }
    }

    /// Blocks a person's sign-in.
    pub fn suspend(&mut self, id: &str) -> bool {
        self.touch_person(id, |p| p.state = PersonState::Suspended)
    }

    /// Unblocks a suspended person, unarchives an archived one, or restores a deleted one (without their
    /// group memberships).
    pub fn restore(&mut self, id: &str) -> bool {
        if self.people.contains_key(id) {
            self.archived.remove(id);
        }
        self.touch_person(id, |p| p.state = PersonState::Active)
    }

    /// Changes a person's last name and email (a marriage); the username stays.
    pub fn rename(&mut self, id: &str, family: &str) -> bool {
        let family = family.to_string();
        let domain = self.domain.clone();
        self.touch_person(id, |p| {
            p.mail = format!(
                "{}.{}@{domain}",
                p.given.to_lowercase(),
                family.to_lowercase()
            );
            p.family = family;
        })
    }

    /// Changes a person's job title.
    pub fn retitle(&mut self, id: &str, title: &str) -> bool {
        let title = title.to_string();
        self.touch_person(id, |p| p.title = title)
    }

    /// Deletes a person: they leave every group and become a tombstone.
    pub fn delete(&mut self, id: &str) -> bool {
        if !self.people.contains_key(id) {
            return false;
        }
        let member = Member::Person(id.to_string());
        let teams: Vec<String> = self
            .teams
            .values()
            .filter(|t| t.members.contains(&member))
            .map(|t| t.id.clone())
            .collect();
        for t in teams {
            self.remove_member(&t, &member);
        }
        self.touch_person(id, |p| p.state = PersonState::Deleted)
    }

    /// Adds a direct member to a group (no-op if already there).
    pub fn add_member(&mut self, team_id: &str, member: Member) -> bool {
        let seq = self.seq + 1;
        let Some(t) = self.teams.get_mut(team_id) else {
            return false;
        };
        if t.members.contains(&member) {
            return false;
        }
        t.members.push(member.clone());
        t.member_log.push(MemberChange {
            seq,
            member,
            added: true,
        });
        t.changed = seq;
        self.seq = seq;
        true
    }

    /// Removes a direct member from a group.
    pub fn remove_member(&mut self, team_id: &str, member: &Member) -> bool {
        let seq = self.seq + 1;
        let Some(t) = self.teams.get_mut(team_id) else {
            return false;
        };
        let before = t.members.len();
        t.members.retain(|m| m != member);
        if t.members.len() == before {
            return false;
        }
        t.member_log.push(MemberChange {
            seq,
            member: member.clone(),
            added: false,
        });
        t.changed = seq;
        self.seq = seq;
        true
    }

    /// Creates an empty group named `name` and returns its id. Names need not be unique (none of the
    /// vendors requires it); group emails are, so a taken one gets a number (`staff-2@…`).
    pub fn create_team(&mut self, name: &str, description: &str) -> String {
        let seq = self.bump();
        let id = guid(&format!("team:{name}:{seq}"));
        let base = team_mail(name, &self.domain);
        let mut mail = base.clone();
        let mut k = 2;
        while self.teams.values().any(|t| t.mail == mail) {
            let (local, domain) = base.split_once('@').unwrap_or((base.as_str(), ""));
            mail = format!("{local}-{k}@{domain}");
            k += 1;
        }
        self.teams.insert(
            id.clone(),
            Team {
                id: id.clone(),
                name: name.to_string(),
                mail,
                description: description.to_string(),
                members: Vec::new(),
                member_log: Vec::new(),
                created: seq,
                changed: seq,
            },
        );
        id
    }

    /// Hires someone into a group; returns their id.
    pub fn hire(&mut self, team_id: &str, given: &str, family: &str) -> Option<String> {
        let team_name = self.teams.get(team_id)?.name.clone();
        self.next_hire += 1;
        let n = self.next_hire;
        let seq = self.bump();
        let id = guid(&format!("hire:{n}:{given}:{family}:{seq}"));
        let base = format!("{}.{}", fold(given), fold(family));
        let mut username = base.clone();
        let mut k = 2;
        while self.person_by_username(&username).is_some() {
            username = format!("{base}{k}");
            k += 1;
        }
        self.people.insert(
            id.clone(),
            Person {
                id: id.clone(),
                mail: format!("{username}@{}", self.domain),
                username,
                given: given.to_string(),
                family: family.to_string(),
                phone: format!("+1 555 010 {:04}", n % 10_000),
                mobile: None,
                title: "Associate".into(),
                department: team_name,
                employee_id: format!("H{n:06}"),
                state: PersonState::Active,
                guest: false,
                admin: false,
                created: seq,
                changed: seq,
            },
        );
        self.add_member(team_id, Member::Person(id.clone()));
        Some(id)
    }

    /// `n` realistic changes (renames, title changes, suspensions, restorations, deletions, hires, and team
    /// moves), never touching the administrator. Returns the ids of the people changed.
    pub fn churn(&mut self, n: usize) -> Vec<String> {
        const FAMILIES: &[&str] = &[
            "Okafor",
            "Lindqvist",
            "Moreau",
            "Tanaka",
            "Novak",
            "Reyes",
            "Hughes",
            "Kowalski",
        ];
        const GIVEN: &[&str] = &[
            "Iris", "Mateo", "Sana", "Jonas", "Leila", "Owen", "Priya", "Tomás",
        ];
        let mut touched = Vec::new();
        let team_ids: Vec<String> = self
            .teams
            .values()
            .filter(|t| t.members.iter().any(|m| matches!(m, Member::Person(_))))
            .map(|t| t.id.clone())
            .collect();
        for _ in 0..n {
            let live: Vec<String> = self
                .people
                .values()
                .filter(|p| !p.admin && p.state != PersonState::Deleted)
                .map(|p| p.id.clone())
                .collect();
            if live.is_empty() || team_ids.is_empty() {
                break;
            }
            let id = live[self.rng.random_range(0..live.len())].clone();
            let pick: u32 = self.rng.random_range(0..100);
            match pick {
                0..=29 => {
                    let f = FAMILIES[self.rng.random_range(0..FAMILIES.len())];
                    self.rename(&id, f);
                }
                30..=49 => {
                    let t = ["Lead", "Manager", "Senior Specialist", "Analyst"]
                        [self.rng.random_range(0..4)];
                    self.retitle(&id, t);
                }
                50..=64 => {
                    let suspended = self
                        .people
                        .get(&id)
                        .map(|p| p.state == PersonState::Suspended);
                    if suspended == Some(true) {
                        self.restore(&id);
                    } else {
                        self.suspend(&id);
                    }
                }
                65..=74 => {
                    self.delete(&id);
                }
                75..=89 => {
                    let g = GIVEN[self.rng.random_range(0..GIVEN.len())];
                    let f = FAMILIES[self.rng.random_range(0..FAMILIES.len())];
                    let t = team_ids[self.rng.random_range(0..team_ids.len())].clone();
                    if let Some(new) = self.hire(&t, g, f) {
                        touched.push(new);
                    }
                    continue;
                }
                _ => {
                    let member = Member::Person(id.clone());
                    let from: Vec<String> = self
                        .teams
                        .values()
                        .filter(|t| t.members.contains(&member))
                        .map(|t| t.id.clone())
                        .collect();
                    let to = team_ids[self.rng.random_range(0..team_ids.len())].clone();
                    if let Some(f) = from.first() {
                        self.remove_member(f, &member);
                    }
                    self.add_member(&to, member);
                    let name = self
                        .teams
                        .get(&to)
                        .map(|t| t.name.clone())
                        .unwrap_or_default();
                    self.touch_person(&id, |p| p.department = name);
                }
            }
            touched.push(id);
        }
        touched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_directory_is_deterministic_and_has_nested_groups() {
        let a = Directory::seeded(7, 200, Some(60));
        let b = Directory::seeded(7, 200, Some(60));
        assert_eq!(a.people().count(), 200);
        assert_eq!(
            a.teams().count(),
            60,
            "project groups fill up to the asked count"
        );
        assert_eq!(
            a.people().map(|p| &p.id).collect::<Vec<_>>(),
            b.people().map(|p| &p.id).collect::<Vec<_>>()
        );
        let all = a.team_by_name("All Staff").unwrap();
        assert!(
            all.members.iter().all(|m| matches!(m, Member::Team(_))),
            "All Staff nests the divisions"
        );
        assert!(
            a.transitive_people(&all.id).len() >= 190,
            "and reaches (almost) everyone through them"
        );
        assert_eq!(a.people().filter(|p| p.admin).count(), 1);
    }

    #[test]
    fn changes_are_stamped_and_deletions_leave_groups() {
        let mut d = Directory::seeded(7, 100, None);
        let start = d.seq();
        let victim = d
            .people()
            .find(|p| !p.admin && !d.teams_of(&p.id).is_empty())
            .unwrap()
            .id
            .clone();
        assert!(d.delete(&victim));
        assert!(d.seq() > start);
        assert_eq!(d.person(&victim).unwrap().state, PersonState::Deleted);
        assert!(
            d.teams_of(&victim).is_empty(),
            "a deleted person is in no group"
        );
        let changed: Vec<_> = d.teams().filter(|t| t.changed > start).collect();
        assert!(
            !changed.is_empty()
                && changed
                    .iter()
                    .all(|t| t.member_log.iter().any(|c| !c.added))
        );
        let touched = d.churn(50);
        assert!(touched.len() >= 40);
        assert!(touched
            .iter()
            .all(|id| d.person(id).is_some_and(|p| p.changed > start)));
        assert!(
            d.people().filter(|p| p.admin).all(|p| p.changed == 0),
            "churn never touches the admin"
        );
    }
}
