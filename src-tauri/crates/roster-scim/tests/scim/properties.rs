//! Property-style checks over resources generated from the published `/Schemas` (as scim2-tester and IdPs
//! generate theirs), with a small seeded generator so failures repeat:
//! - what GET serves, PUT back, is stored unchanged (Okta updates users by PUT of what it read);
//! - every string an attribute holds is found by an `eq` filter on it, escapes and all;
//! - a PATCH `replace` of an attribute stores that value, and `remove` unassigns it;
//! - groups round-trip with their members.

use roster_scim::{
    group_from_body, patch_user, render, render_group, schemas, user_from_body, Filter, Member,
    Projection, ResourceKind, ResourceMeta,
};
use serde_json::{json, Map, Value};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const RUNS: u64 = 300;

/// xorshift64*: deterministic, good enough to pick shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "7", " ", "\"", "\\", "é", "Ω", "😀", "/", "@", ".", "\n", "\t", "'", "[",
            "]", "(", ")", "and", "or", "eq",
        ];
        let n = 1 + self.below(8);
        (0..n)
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }
}

fn attributes_of(schema_id: &str) -> Vec<Value> {
    let all = schemas("https://x.test/scim/v2/d");
    all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == schema_id)
        .unwrap()["attributes"]
        .as_array()
        .unwrap()
        .clone()
}

fn writable(a: &Value) -> bool {
    a["mutability"] != "readOnly" && a["mutability"] != "writeOnly"
}

fn value_for(rng: &mut Rng, a: &Value, primary_taken: &mut bool) -> Value {
    match a["type"].as_str().unwrap() {
        "boolean" if a["name"] == "primary" => {
            let p = !*primary_taken && rng.chance(40);
            *primary_taken |= p;
            Value::Bool(p)
        }
        "boolean" => Value::Bool(rng.chance(50)),
        "reference" => Value::String(format!("https://example.test/{}", rng.below(1000))),
        "binary" => Value::String("TUlJRFF6Q0NBcXlnQXdJQkFnSUNFQUF3RFFZSktv".into()),
        "complex" => {
            let mut o = Map::new();
            for sub in a["subAttributes"].as_array().unwrap() {
                // Sub-attributes of a read-only attribute (a user's groups) are sent too: all dropped.
                if (writable(sub) || !writable(a)) && rng.chance(70) {
                    o.insert(
                        sub["name"].as_str().unwrap().into(),
                        value_for(rng, sub, primary_taken),
                    );
                }
            }
            if o.is_empty() {
                // At least one sub-attribute: an empty object would be unassigned.
                let subs = a["subAttributes"].as_array().unwrap();
                let first = subs.iter().find(|s| writable(s)).unwrap_or(&subs[0]);
                o.insert(
                    first["name"].as_str().unwrap().into(),
                    Value::String(rng.text()),
                );
            }
            Value::Object(o)
        }
        _ => Value::String(rng.text()),
    }
}

fn attribute_value(rng: &mut Rng, a: &Value) -> Value {
    if a["multiValued"] == true {
        let mut primary_taken = false;
        let n = 1 + rng.below(3);
        Value::Array(
            (0..n)
                .map(|_| value_for(rng, a, &mut primary_taken))
                .collect(),
        )
    } else {
        value_for(rng, a, &mut false)
    }
}

fn random_user(rng: &mut Rng) -> Value {
    let mut doc = Map::new();
    doc.insert(
        "schemas".into(),
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENT]),
    );
    for a in attributes_of("urn:ietf:params:scim:schemas:core:2.0:User") {
        let required = a["required"] == true;
        // Read-only and write-only attributes are sent now and then: they must be dropped.
        if required || rng.chance(60) {
            let name = a["name"].as_str().unwrap().to_owned();
            let v = attribute_value(rng, &a);
            let v = if required && v.as_str().is_some_and(|s| s.trim().is_empty()) {
                Value::String(format!("user{}", rng.next()))
            } else {
                v
            };
            doc.insert(name, v);
        }
    }
    if rng.chance(70) {
        let mut ext = Map::new();
        for a in attributes_of(ENT) {
            if rng.chance(60) {
                ext.insert(a["name"].as_str().unwrap().into(), attribute_value(rng, &a));
            }
        }
        doc.insert(ENT.into(), Value::Object(ext));
    }
    if rng.chance(50) {
        doc.insert("externalId".into(), Value::String(rng.text()));
    }
    Value::Object(doc)
}

fn meta(kind: ResourceKind) -> ResourceMeta<'static> {
    ResourceMeta {
        kind,
        id: "id-1",
        created: "2026-01-01T00:00:00Z",
        last_modified: "2026-01-01T00:00:00Z",
        version: Some("W/\"1\""),
    }
}

#[test]
fn what_get_serves_put_stores_unchanged() {
    let mut rng = Rng(0x5C1_0001);
    for run in 0..RUNS {
        let body = random_user(&mut rng);
        let stored = user_from_body(body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("run {run}: {e}\n{body:#}"));
        let served = render(
            "https://x.test/scim/v2/d",
            &stored,
            &meta(ResourceKind::User),
        );
        let again = user_from_body(served.to_string().as_bytes()).unwrap();
        assert_eq!(again, stored, "run {run}: a PUT of the GET changes nothing");
        assert_eq!(
            Projection::all(ResourceKind::User).apply(&served),
            served,
            "run {run}: the default projection is everything stored"
        );
    }
}

/// Every (path, string) a user holds, with paths filters can name.
fn strings(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in doc.as_object().unwrap() {
        let prefix = if k == ENT {
            format!("{ENT}:")
        } else {
            String::new()
        };
        let entries: Vec<(String, &Value)> = if k == ENT {
            v.as_object()
                .unwrap()
                .iter()
                .map(|(n, x)| (format!("{prefix}{n}"), x))
                .collect()
        } else {
            vec![(k.clone(), v)]
        };
        for (path, v) in entries {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                match item {
                    Value::String(s) if path != "schemas" => out.push((path.clone(), s.clone())),
                    Value::Object(o) => {
                        for (sub, x) in o {
                            if let Value::String(s) = x {
                                out.push((format!("{path}.{sub}"), s.clone()));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

#[test]
fn an_eq_filter_finds_every_string_a_user_holds() {
    let mut rng = Rng(0x5C1_0002);
    let mut checked = 0;
    for run in 0..RUNS / 3 {
        let stored = user_from_body(random_user(&mut rng).to_string().as_bytes()).unwrap();
        let served = render(
            "https://x.test/scim/v2/d",
            &stored,
            &meta(ResourceKind::User),
        );
        for (path, s) in strings(&served) {
            let literal = serde_json::to_string(&s).unwrap();
            let f = Filter::parse(ResourceKind::User, &format!("{path} eq {literal}"))
                .unwrap_or_else(|e| panic!("run {run}: {path} eq {literal}: {e}"));
            assert!(f.matches(&served), "run {run}: {path} eq {literal}");
            let ne =
                Filter::parse(ResourceKind::User, &format!("not ({path} ne {literal})")).unwrap();
            assert!(ne.matches(&served), "run {run}: not ({path} ne {literal})");
            let co = Filter::parse(
                ResourceKind::User,
                &format!("{path} co {literal} and {path} sw {literal}"),
            )
            .unwrap();
            assert!(co.matches(&served), "run {run}: {path} co/sw {literal}");
            checked += 1;
        }
    }
    assert!(
        checked > 1000,
        "the generator exercised enough strings ({checked})"
    );
}

#[test]
fn patch_replace_stores_the_value_and_remove_unassigns_it() {
    let mut rng = Rng(0x5C1_0003);
    let core = attributes_of("urn:ietf:params:scim:schemas:core:2.0:User");
    let ext = attributes_of(ENT);
    for run in 0..RUNS {
        let stored = user_from_body(random_user(&mut rng).to_string().as_bytes()).unwrap();
        let (path, a) = if rng.chance(70) {
            let a = &core[rng.below(core.len() as u64) as usize];
            (a["name"].as_str().unwrap().to_owned(), a.clone())
        } else {
            let a = &ext[rng.below(ext.len() as u64) as usize];
            (format!("{ENT}:{}", a["name"].as_str().unwrap()), a.clone())
        };
        if !writable(&a) {
            continue;
        }
        let v = attribute_value(&mut rng, &a);
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": path, "value": v}],
        });
        let after = patch_user("id-1", &stored, body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("run {run}: replace {path}: {e}"));
        let got = match path.strip_prefix(&format!("{ENT}:")) {
            Some(name) => &after[ENT][name],
            None => &after[path.as_str()],
        };
        if a["type"] == "complex" && a["multiValued"] == false {
            for (k, x) in v.as_object().unwrap() {
                assert_eq!(&got[k], x, "run {run}: replace {path} merges {k}");
            }
        } else {
            assert_eq!(got, &v, "run {run}: replace {path}");
        }
        if a["required"] == true {
            continue;
        }
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": path}],
        });
        let removed = patch_user("id-1", &after, body.to_string().as_bytes()).unwrap();
        let gone = match path.strip_prefix(&format!("{ENT}:")) {
            Some(name) => removed.get(ENT).and_then(|e| e.get(name)).is_none(),
            None => removed.get(path.as_str()).is_none(),
        };
        assert!(gone, "run {run}: remove {path}");
    }
}

#[test]
fn groups_round_trip_with_their_members() {
    let mut rng = Rng(0x5C1_0004);
    for run in 0..RUNS / 3 {
        let n = rng.below(50) as usize;
        let members: Vec<Member> = (0..n)
            .map(|i| Member {
                value: format!("user-{run}-{i}"),
                display: rng.chance(50).then(|| rng.text()),
            })
            .collect();
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("g{}", rng.text()),
            "externalId": rng.text(),
        });
        let g = group_from_body(body.to_string().as_bytes()).unwrap();
        let served = render_group(
            "https://x.test/scim/v2/d",
            &g.doc,
            &meta(ResourceKind::Group),
            members.clone(),
        );
        let again = group_from_body(served.to_string().as_bytes()).unwrap();
        assert_eq!(again.doc, g.doc, "run {run}");
        assert_eq!(
            again.members,
            members.iter().map(|m| m.value.clone()).collect::<Vec<_>>(),
            "run {run}"
        );
    }
}
