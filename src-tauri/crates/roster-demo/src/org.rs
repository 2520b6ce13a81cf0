//! The demo organisation: "Northwind Traders", deterministic from a seed, evolving one round per epoch.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roster_core::source::SourceUser;
use roster_core::AdminRole;
use std::collections::HashSet;
use std::sync::Arc;

/// The directory's base DN.
pub const BASE_DN: &str = "dc=northwind,dc=demo";
/// The group everyone is in (through nesting).
pub const ALL_STAFF_DN: &str = "cn=All Staff,ou=Groups,dc=northwind,dc=demo";

/// Divisions and their teams. Users are direct members of one team; teams nest in divisions, divisions in
/// All Staff.
pub const DIVISIONS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &["Platform", "Mobile", "Data", "Security Engineering"],
    ),
    ("Sales", &["Sales EMEA", "Sales Americas", "Sales APAC"]),
    ("Marketing", &["Brand", "Growth"]),
    ("Operations", &["IT", "Facilities", "Customer Support"]),
    ("Finance", &["Accounting", "Procurement"]),
    ("People", &["Recruiting", "HR Operations"]),
];

/// Groups whose members are administrators, and their roles.
pub const ROLE_GROUPS: &[(&str, AdminRole)] = &[
    ("Roster Administrators", AdminRole::Administrator),
    ("Help Desk Admins", AdminRole::HelpDesk),
    ("User Managers", AdminRole::UserManager),
    ("Auditors", AdminRole::ReadOnly),
];

const FIRST: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia", "Mateo",
    "Isabella", "Lucas", "Mia", "Levi", "Zoë", "José", "Chloé", "Łukasz", "Siobhán", "Björn",
    "Aaliyah", "Wei", "Priya", "Kenji", "Fatima", "Mohammed", "Ingrid", "Søren", "Nadia", "Tomás",
    "Ana", "Dmitri", "Yuki", "Chidi", "Amara", "Rafael", "Hannah", "Ethan", "Grace", "Samuel",
    "Leila", "Omar", "Freya", "Jakub", "Renée", "Ciarán", "Mei", "Arjun",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "García",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Pérez",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Müller",
    "Schäfer",
    "Nowak",
    "Kowalski",
    "O'Brien",
    "Ó Súilleabháin",
    "Johansson",
    "Nakamura",
    "Okafor",
    "Singh",
    "Haddad",
    "Rossi",
    "Dubois",
    "Novák",
];
const TITLES: &[&str] = &[
    "Associate",
    "Specialist",
    "Senior Specialist",
    "Lead",
    "Manager",
];

/// A person in the demo directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable id (like entryUUID).
    pub external_id: String,
    /// Login name.
    pub uid: String,
    /// First name.
    pub given: String,
    /// Last name.
    pub sn: String,
    /// Email.
    pub mail: String,
    /// Desk phone.
    pub phone: String,
    /// Mobile phone, for some.
    pub mobile: Option<String>,
    /// Job title.
    pub title: String,
    /// Team (group name).
    pub team: String,
    /// Employee number.
    pub employee_id: String,
    /// Account disabled.
    pub disabled: bool,
}

/// The demo directory's attribute names, interned once per request; only those asked for are returned
/// (as an LDAP server returns only the requested attributes). An empty request means all of them.
pub struct AttributeNames(Vec<(usize, Arc<str>)>);

const ATTRIBUTES: [&str; 10] = [
    "uid",
    "mail",
    "givenName",
    "sn",
    "displayName",
    "telephoneNumber",
    "title",
    "department",
    "employeeID",
    "mobile",
];

impl AttributeNames {
    /// Names for the attributes in `wanted` (case-insensitive).
    pub fn new(wanted: &[String]) -> Self {
        AttributeNames(
            ATTRIBUTES
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(a))
                })
                .map(|(i, a)| (i, Arc::from(*a)))
                .collect(),
        )
    }
}

impl User {
    fn attribute(&self, i: usize) -> Option<String> {
        Some(match i {
            0 => self.uid.clone(),
            1 => self.mail.clone(),
            2 => self.given.clone(),
            3 => self.sn.clone(),
            4 => format!("{} {}", self.given, self.sn),
            5 => self.phone.clone(),
            6 => self.title.clone(),
            7 => self.team.clone(),
            8 => self.employee_id.clone(),
            _ => self.mobile.clone()?,
        })
    }

    /// The user as an LDAP-shaped source entry with the attributes in `names`.
    pub fn to_source(&self, names: &AttributeNames) -> SourceUser {
        let attributes = names
            .0
            .iter()
            .filter_map(|(i, n)| self.attribute(*i).map(|v| (n.clone(), v)))
            .collect();
        SourceUser {
            external_id: self.external_id.as_str().into(),
            attributes,
            disabled: self.disabled,
            // The demo's usernames are what an admin looks for; no DN is kept for a million people.
            locator: None,
        }
    }
}

/// A group in the demo directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// DN (the group's stable id here).
    pub dn: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Direct member users (external ids).
    pub users: Vec<String>,
    /// Direct member groups (DNs).
    pub subgroups: Vec<String>,
}

/// The whole organisation at one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// People.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    next_id: u64,
    seed: u64,
}

/// The DN of a demo group by name.
pub fn group_dn(name: &str) -> String {
    format!("cn={name},ou=Groups,{BASE_DN}")
}

fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mapped = match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' => "a",
            'é' | 'è' | 'ë' | 'ê' | 'É' => "e",
            'í' | 'ì' | 'ï' | 'Í' => "i",
            'ó' | 'ò' | 'ö' | 'ô' | 'ø' | 'Ó' | 'Ö' => "o",
            'ú' | 'ù' | 'ü' | 'Ú' => "u",
            'ñ' => "n",
            'ç' => "c",
            'ł' | 'Ł' => "l",
            'ß' => "ss",
            'å' => "a",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

/// Usernames in use, and for each `given.family` base where to look for the next free `given.familyN`.
///
/// The answer is the smallest free name (`base`, else `base2`, `base3`, …), as it always was, so a demo
/// directory keeps its usernames; but since a `Names` only ever gains names, the search for a base goes on
/// from where its last one stopped instead of from 2: a million people drawn from a few thousand name
/// pairs cost a million lookups, not hundreds of millions.
struct Names {
    taken: HashSet<String>,
    next: std::collections::HashMap<String, u32>,
    /// Names tried, for the test that proves the search linear.
    tried: u64,
}

impl Names {
    fn new(taken: HashSet<String>) -> Names {
        Names {
            taken,
            next: std::collections::HashMap::new(),
            tried: 0,
        }
    }

    fn unique(&mut self, given: &str, sn: &str) -> String {
        let base = format!("{}.{}", ascii_fold(given), ascii_fold(sn));
        self.tried += 1;
        let mut n = match self.next.get(&base) {
            Some(&n) => n,
            None => {
                if self.taken.insert(base.clone()) {
                    return base;
                }
                2
            }
        };
        loop {
            let candidate = format!("{base}{n}");
            self.tried += 1;
            n += 1;
            if self.taken.insert(candidate.clone()) {
                self.next.insert(base, n);
                return candidate;
            }
        }
    }
}

fn teams() -> Vec<&'static str> {
    DIVISIONS
        .iter()
        .flat_map(|(_, t)| t.iter().copied())
        .collect()
}

impl Org {
    /// The organisation at epoch 0.
    pub fn generate(seed: u64, size: usize) -> Org {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut org = Org {
            users: Vec::with_capacity(size + size / 50),
            groups: Vec::new(),
            next_id: 0,
            seed,
        };
        let mut names = Names::new(HashSet::with_capacity(size * 2));
        let teams = teams();
        for _ in 0..size {
            let team = teams[rng.random_range(0..teams.len())];
            let u = org.new_user(&mut rng, &mut names, team);
            org.users.push(u);
        }
        // About 3% of accounts start disabled.
        for u in org.users.iter_mut() {
            if rng.random_range(0..100) < 3 {
                u.disabled = true;
            }
        }
        org.rebuild_groups();
        org
    }

    /// The organisation after `epoch` rounds of changes.
    pub fn at_epoch(seed: u64, size: usize, epoch: u32) -> Org {
        let mut org = Org::generate(seed, size);
        for e in 1..=epoch {
            org.evolve(e);
        }
        org
    }

    fn new_user(&mut self, rng: &mut ChaCha8Rng, names: &mut Names, team: &str) -> User {
        self.next_id += 1;
        let given = FIRST.choose(rng).copied().unwrap_or("Alex").to_string();
        let sn = LAST.choose(rng).copied().unwrap_or("Doe").to_string();
        let uid = names.unique(&given, &sn);
        let n = self.next_id;
        let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.seed;
        User {
            external_id: format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                mixed >> 32,
                (mixed >> 16) & 0xffff,
                n & 0xfff,
                (n >> 12) & 0xfff,
                n
            ),
            mail: format!("{uid}@northwind.demo"),
            uid,
            given,
            sn,
            phone: format!("+1 555 {:03} {:04}", 100 + (n / 10_000) % 900, n % 10_000),
            mobile: if rng.random_range(0..3) == 0 {
                Some(format!("+1 555 7{:02} {:04}", n % 100, (n * 7) % 10_000))
            } else {
                None
            },
            // About 4% are directors; they make up the leadership groups.
            title: if rng.random_range(0..100) < 4 {
                "Director".to_string()
            } else {
                TITLES
                    .choose(rng)
                    .copied()
                    .unwrap_or("Associate")
                    .to_string()
            },
            team: team.to_string(),
            employee_id: format!("E{:06}", n),
            disabled: false,
        }
    }

    /// One round of realistic churn: hires, leavers, renames (marriage), disables, re-enables, team moves.
    fn evolve(&mut self, epoch: u32) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ (u64::from(epoch) << 32) ^ 0x5eed);
        let n = self.users.len().max(1);
        let per = |d: usize| n.div_ceil(d).max(1);
        let mut names = Names::new(self.users.iter().map(|u| u.uid.clone()).collect());
        let teams = teams();
        // Leavers.
        for _ in 0..per(150) {
            if self.users.len() > 1 {
                let i = rng.random_range(0..self.users.len());
                self.users.swap_remove(i);
            }
        }
        // Renames: a new last name, display name and email; the login name stays.
        for _ in 0..per(300) {
            let i = rng.random_range(0..self.users.len());
            let sn = LAST.choose(&mut rng).copied().unwrap_or("Doe").to_string();
            let u = &mut self.users[i];
            if u.sn != sn {
                u.mail = format!(
                    "{}.{}@northwind.demo",
                    ascii_fold(&u.given),
                    ascii_fold(&sn)
                );
                u.sn = sn;
            }
        }
        // Re-enable some disabled accounts, then disable others.
        let disabled: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].disabled)
            .collect();
        for &i in disabled.iter().take(per(400)) {
            self.users[i].disabled = false;
        }
        for _ in 0..per(200) {
            let i = rng.random_range(0..self.users.len());
            self.users[i].disabled = true;
        }
        // Team moves.
        for _ in 0..per(200) {
            let i = rng.random_range(0..self.users.len());
            self.users[i].team = teams[rng.random_range(0..teams.len())].to_string();
        }
        // Hires.
        for _ in 0..per(100) {
            let team = teams[rng.random_range(0..teams.len())];
            let u = self.new_user(&mut rng, &mut names, team);
            self.users.push(u);
        }
        self.users.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        self.rebuild_groups();
    }

    /// Rebuilds the groups from the users' teams (team groups hold users; the rest nest).
    fn rebuild_groups(&mut self) {
        let mut groups = Vec::new();
        let mut all_staff = Group {
            dn: ALL_STAFF_DN.into(),
            name: "All Staff".into(),
            description: "Everyone at Northwind Traders".into(),
            users: Vec::new(),
            subgroups: Vec::new(),
        };
        for (division, teams) in DIVISIONS {
            all_staff.subgroups.push(group_dn(division));
            groups.push(Group {
                dn: group_dn(division),
                name: (*division).into(),
                description: format!("The {division} division"),
                users: Vec::new(),
                subgroups: teams.iter().map(|t| group_dn(t)).collect(),
            });
            for team in *teams {
                groups.push(Group {
                    dn: group_dn(team),
                    name: (*team).into(),
                    description: format!("{team} team ({division})"),
                    users: self
                        .users
                        .iter()
                        .filter(|u| u.team == *team)
                        .map(|u| u.external_id.clone())
                        .collect(),
                    subgroups: Vec::new(),
                });
            }
        }
        groups.push(all_staff);
        // Leadership and Executive Team nest each other: a cycle, as real directories sometimes have.
        // Ordered by employee number, so people keep their place as others join and leave.
        let mut directors: Vec<&User> = self
            .users
            .iter()
            .filter(|u| u.title == "Director")
            .collect();
        directors.sort_by(|a, b| a.employee_id.cmp(&b.employee_id));
        let directors: Vec<String> = directors
            .into_iter()
            .map(|u| u.external_id.clone())
            .collect();
        let (exec, leads) = directors.split_at(directors.len().min(5));
        groups.push(Group {
            dn: group_dn("Leadership"),
            name: "Leadership".into(),
            description: "Directors".into(),
            users: leads.to_vec(),
            subgroups: vec![group_dn("Executive Team")],
        });
        groups.push(Group {
            dn: group_dn("Executive Team"),
            name: "Executive Team".into(),
            description: "The executive team".into(),
            users: exec.to_vec(),
            subgroups: vec![group_dn("Leadership")],
        });
        // Admin role groups, drawn from IT and Customer Support.
        let pick = |team: &str, skip: usize, take: usize| -> Vec<String> {
            self.users
                .iter()
                .filter(|u| u.team == team)
                .skip(skip)
                .take(take)
                .map(|u| u.external_id.clone())
                .collect()
        };
        let role_members = [
            pick("IT", 0, 3),
            pick("Customer Support", 0, 4),
            pick("IT", 3, 2),
            pick("Accounting", 0, 2),
        ];
        for ((name, role), users) in ROLE_GROUPS.iter().zip(role_members) {
            groups.push(Group {
                dn: group_dn(name),
                name: (*name).into(),
                description: format!("Roster administrators with the {} role", role.as_str()),
                users,
                subgroups: Vec::new(),
            });
        }
        self.groups = groups;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_the_smallest_free_ones_and_found_without_rescanning() {
        // Holes left by leavers are filled first, as the original linear scan did.
        let taken: HashSet<String> = ["ana.lima", "ana.lima2", "ana.lima4", "bo.li"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut names = Names::new(taken);
        let got: Vec<String> = (0..4).map(|_| names.unique("Ana", "Lima")).collect();
        assert_eq!(
            got,
            vec!["ana.lima3", "ana.lima5", "ana.lima6", "ana.lima7"],
            "the smallest free name each time"
        );
        assert_eq!(
            names.unique("Cy", "Ng"),
            "cy.ng",
            "a free base is used as is"
        );
        // Many people with one name pair: each name is found in at most two tries (the base, then the next
        // number), where rescanning from 2 tries about n²/2 names.
        let mut one = Names::new(HashSet::new());
        for _ in 0..20_000 {
            one.unique("Ana", "Lima");
        }
        assert_eq!(one.unique("Ana", "Lima"), "ana.lima20001");
        assert!(
            one.tried <= 2 * 20_001,
            "the search is linear in the number of people: {} names tried",
            one.tried
        );
    }

    #[test]
    fn generation_is_deterministic_and_realistic() {
        let a = Org::generate(7, 300);
        assert_eq!(
            a,
            Org::generate(7, 300),
            "the same seed and size must give the same organisation"
        );
        assert_ne!(
            a,
            Org::generate(8, 300),
            "another seed gives another organisation"
        );
        assert_eq!(a.users.len(), 300);
        let uids: HashSet<&str> = a.users.iter().map(|u| u.uid.as_str()).collect();
        assert_eq!(uids.len(), 300, "usernames are unique");
        assert!(
            a.users.iter().any(|u| u.disabled),
            "some accounts are disabled"
        );
        assert!(
            a.users
                .iter()
                .any(|u| !u.given.is_ascii() || !u.sn.is_ascii()),
            "some names are not ASCII"
        );
        assert!(
            a.groups
                .iter()
                .any(|g| g.name == "Roster Administrators" && !g.users.is_empty()),
            "admins sit in role groups"
        );
    }

    #[test]
    fn each_epoch_changes_the_organisation() {
        let e0 = Org::at_epoch(7, 300, 0);
        let e1 = Org::at_epoch(7, 300, 1);
        let ids0: HashSet<&str> = e0.users.iter().map(|u| u.external_id.as_str()).collect();
        let ids1: HashSet<&str> = e1.users.iter().map(|u| u.external_id.as_str()).collect();
        assert!(ids1.difference(&ids0).count() >= 3, "hires appear");
        assert!(ids0.difference(&ids1).count() >= 2, "leavers disappear");
        assert_eq!(e1, Org::at_epoch(7, 300, 1), "an epoch is reproducible");
    }
}
