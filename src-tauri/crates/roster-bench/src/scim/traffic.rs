//! What the benchmark sends: Okta's requests for each phase, given the ids the server gave back.

use super::{Args, LIMITED_REQUESTS, MEMBER_BATCH};
use serde_json::{json, Value};

/// A request type, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Filter,
    CreateUser,
    CreateGroup,
    Members,
    Replace,
    Deactivate,
}

impl Kind {
    pub(super) fn label(self) -> &'static str {
        match self {
            Kind::Filter => "GET /Users?filter=userName eq",
            Kind::CreateUser => "POST /Users",
            Kind::CreateGroup => "POST /Groups",
            Kind::Members => "PATCH /Groups (add 100 members)",
            Kind::Replace => "PUT /Users/{id}",
            Kind::Deactivate => "PATCH /Users/{id} active=false",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Users,
    Groups,
    Memberships,
    Updates,
    Deactivations,
    /// A second round of updates, against Roster's default rate limit.
    Limited,
}

impl Phase {
    pub(super) fn label(self) -> &'static str {
        match self {
            Phase::Users => "users: filter, then create",
            Phase::Groups => "groups created",
            Phase::Memberships => "memberships pushed",
            Phase::Updates => "PUT updates",
            Phase::Deactivations => "deactivations",
            Phase::Limited => "PUT updates, default rate limit",
        }
    }
}

/// One request.
pub(super) struct Step {
    pub(super) kind: Kind,
    pub(super) method: reqwest::Method,
    /// After the base URL: `/Users?filter=…`.
    pub(super) path: String,
    pub(super) body: Option<String>,
    /// The statuses that count as success.
    pub(super) ok: &'static [u16],
}

pub(super) fn user_name(i: usize) -> String {
    format!("user{i}@bench.example")
}

/// Okta's user document (a custom app: the whole profile, `active` kept).
pub(super) fn user_doc(i: usize, id: Option<&str>, round: u32) -> Value {
    let family = if round == 0 {
        format!("Number{i}")
    } else {
        format!("Number{i}-r{round}")
    };
    let mut doc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name(i),
        "name": {"givenName": "User", "familyName": family},
        "emails": [{"primary": true, "value": user_name(i), "type": "work"}],
        "displayName": format!("User {family}"),
        "locale": "en-US",
        "externalId": format!("00u{i:017}"),
        "groups": [],
        "active": true,
    });
    if let (Some(id), Some(o)) = (id, doc.as_object_mut()) {
        o.insert("id".into(), id.into());
    }
    doc
}

/// What each phase sends, given the ids the server gave the users and groups.
pub(super) struct Traffic {
    pub(super) args: Args,
    pub(super) users: Vec<String>,
    pub(super) groups: Vec<String>,
}

impl Traffic {
    pub(super) fn jobs(&self, phase: Phase) -> usize {
        match phase {
            Phase::Users => self.args.users,
            Phase::Groups | Phase::Memberships => self.args.groups,
            Phase::Updates => self.args.updates,
            Phase::Deactivations => self.args.deactivations,
            Phase::Limited => LIMITED_REQUESTS.min(self.args.users),
        }
    }

    /// The users that get updates: spread over the whole directory.
    pub(super) fn updated(&self, k: usize) -> usize {
        k * self.args.users / self.args.updates.max(1)
    }

    /// The users that are deactivated: spread too, and not those updated when there are enough users.
    pub(super) fn deactivated(&self, k: usize) -> usize {
        let stride = self.args.users / self.args.deactivations.max(1);
        (k * stride + stride / 2) % self.args.users
    }

    /// Group `g`'s members: consecutive users from `g * users / groups`, wrapping around.
    pub(super) fn members(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        let start = g * self.args.users / self.args.groups.max(1);
        (0..self.args.members_per_group()).map(move |k| (start + k) % self.args.users)
    }

    /// The requests of job `i` of `phase`, sent one after the other.
    pub(super) fn job(&self, phase: Phase, i: usize) -> Result<Vec<Step>, String> {
        let id = |list: &[String], n: usize| {
            list.get(n)
                .cloned()
                .ok_or_else(|| format!("no id for #{n}: an earlier phase failed"))
        };
        let put = |u: usize, round: u32| -> Result<Step, String> {
            let uid = id(&self.users, u)?;
            Ok(Step {
                kind: Kind::Replace,
                method: reqwest::Method::PUT,
                body: Some(user_doc(u, Some(&uid), round).to_string()),
                path: format!("/Users/{uid}"),
                ok: &[200],
            })
        };
        Ok(match phase {
            Phase::Users => vec![
                Step {
                    kind: Kind::Filter,
                    method: reqwest::Method::GET,
                    path: format!(
                        "/Users?filter=userName%20eq%20%22{}%22&startIndex=1&count=100",
                        user_name(i).replace('@', "%40")
                    ),
                    body: None,
                    ok: &[200],
                },
                Step {
                    kind: Kind::CreateUser,
                    method: reqwest::Method::POST,
                    path: "/Users".into(),
                    body: Some(user_doc(i, None, 0).to_string()),
                    ok: &[201],
                },
            ],
            Phase::Groups => vec![Step {
                kind: Kind::CreateGroup,
                method: reqwest::Method::POST,
                path: "/Groups".into(),
                body: Some(
                    json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": format!("Group {i}"),
                        "members": [],
                    })
                    .to_string(),
                ),
                ok: &[201],
            }],
            Phase::Memberships => {
                let gid = id(&self.groups, i)?;
                let members: Vec<usize> = self.members(i).collect();
                let mut steps = Vec::new();
                for batch in members.chunks(MEMBER_BATCH) {
                    let value = batch
                        .iter()
                        .map(|&u| {
                            Ok(json!({"value": id(&self.users, u)?, "display": user_name(u)}))
                        })
                        .collect::<Result<Vec<Value>, String>>()?;
                    steps.push(Step {
                        kind: Kind::Members,
                        method: reqwest::Method::PATCH,
                        path: format!("/Groups/{gid}"),
                        body: Some(
                            json!({
                                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                "Operations": [
                                    {"op": "replace", "value": {"id": gid, "displayName": format!("Group {i}")}},
                                    {"op": "add", "path": "members", "value": value},
                                ],
                            })
                            .to_string(),
                        ),
                        ok: &[200, 204],
                    });
                }
                steps
            }
            Phase::Updates => vec![put(self.updated(i), 1)?],
            Phase::Limited => vec![put(i, 2)?],
            Phase::Deactivations => {
                let uid = id(&self.users, self.deactivated(i))?;
                vec![Step {
                    kind: Kind::Deactivate,
                    method: reqwest::Method::PATCH,
                    path: format!("/Users/{uid}"),
                    body: Some(
                        json!({
                            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{"op": "replace", "value": {"active": false}}],
                        })
                        .to_string(),
                    ),
                    ok: &[200, 204],
                }]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::GROUPS_PER_USER;

    #[test]
    fn each_user_is_in_three_groups_and_updates_and_deactivations_differ() {
        let a = Args::parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        let t = Traffic {
            args: a,
            users: Vec::new(),
            groups: Vec::new(),
        };
        let mut seen = vec![0usize; a.users];
        for g in 0..a.groups {
            for u in t.members(g) {
                seen[u] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == GROUPS_PER_USER));
        let updated: std::collections::HashSet<usize> =
            (0..a.updates).map(|k| t.updated(k)).collect();
        let deactivated: std::collections::HashSet<usize> =
            (0..a.deactivations).map(|k| t.deactivated(k)).collect();
        assert_eq!(updated.len(), a.updates);
        assert_eq!(deactivated.len(), a.deactivations);
        assert!(updated.is_disjoint(&deactivated));
    }
}
