//! `roster-bench scim-ops [--users 10000]`: what each SCIM request costs Roster itself, without HTTP,
//! at two tenant sizes (1,000 users, then `--users`), so that a cost that grows with the tenant shows.
//!
//! The requests go straight to the application layer (`ScimDoor`, as the SCIM front door calls it), one
//! at a time, each in its own transaction as over HTTP. Each size gets a fresh tenant on disk, filled
//! by `POST /Users` (timed too), then the same sample of each request type: filtered `GET`, empty
//! `POST /Groups`, group `PATCH` adding 100 members, `PUT`, and `{"active": false}` `PATCH`.

use super::traffic::{user_doc, user_name};
use super::Res;
use roster_api::scim::{ScimDoor, ScimFlavor};
use roster_api::{Caller, MemorySecrets, NoEvents, Options, Roster, SystemClock};
use roster_scim as proto;
use roster_store::ResourceKind;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// Groups made, and members added to each per `PATCH`.
const GROUPS: usize = 20;
const BATCH: usize = 100;
/// Samples of each single-user request type.
const SAMPLES: usize = 300;

/// Latencies of one request type, in microseconds.
#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.push(t.elapsed().as_secs_f64() * 1e6);
        out
    }

    fn line(&mut self, label: &str) -> String {
        self.0.sort_by(f64::total_cmp);
        let n = self.0.len();
        if n == 0 {
            return format!("{label:<34} (none)");
        }
        let mean = self.0.iter().sum::<f64>() / n as f64;
        let at = |q: f64| self.0[((n as f64 * q) as usize).min(n - 1)];
        format!(
            "{label:<34} {n:>6} {:>9.0} {:>9.0} {:>9.0}",
            mean,
            at(0.5),
            at(0.99)
        )
    }
}

fn args(a: &[String]) -> Res<usize> {
    match a {
        [] => Ok(10_000),
        [flag, n] if flag == "--users" => Ok(n.parse()?),
        _ => Err("scim-ops takes --users N".into()),
    }
}

fn id_of(v: &Value) -> Res<String> {
    Ok(v.get("id")
        .and_then(Value::as_str)
        .ok_or("an answer without an id")?
        .to_string())
}

/// The benchmark.
pub fn main(a: &[String]) -> Res<()> {
    let users = args(a)?;
    println!("Roster SCIM requests in-process (no HTTP), one at a time; microseconds");
    for n in [1_000.min(users), users] {
        run(n)?;
    }
    Ok(())
}

fn door(dir: &std::path::Path) -> Res<ScimDoor> {
    let roster = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(NoEvents),
    })?;
    let tenant = roster.create_tenant("Ops", None)?.id;
    let issued = roster
        .session(&tenant, &Caller::Local)?
        .create_scim_integration("Okta push", ScimFlavor::Okta, "http://127.0.0.1")?;
    Ok(roster.scim_door(&issued.directory_key, &issued.token)?)
}

fn run(n: usize) -> Res<()> {
    let dir = tempfile::tempdir()?;
    let door = door(dir.path())?;
    let limits = proto::Limits::default();
    let (mut filter, mut create, mut group, mut members, mut put, mut deactivate) = (
        Samples::default(),
        Samples::default(),
        Samples::default(),
        Samples::default(),
        Samples::default(),
        Samples::default(),
    );
    let mut ids = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let body = user_doc(i, None, 0).to_string();
        let r = if i + SAMPLES >= n {
            create.time(|| door.create(ResourceKind::User, body.as_bytes()))
        } else {
            door.create(ResourceKind::User, body.as_bytes())
        }?;
        ids.push(id_of(&r)?);
    }
    println!();
    println!(
        "{n} users pushed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<34} {:>6} {:>9} {:>9} {:>9}",
        "request", "count", "mean", "p50", "p99"
    );
    let step = (n / SAMPLES).max(1);
    for k in 0..SAMPLES.min(n) {
        let name = user_name(k * step);
        let pairs = vec![("filter".to_string(), format!("userName eq \"{name}\""))];
        let q = proto::ListQuery::from_query(proto::ResourceKind::User, &pairs, &limits)?;
        filter.time(|| door.list(ResourceKind::User, &q))?;
    }
    for g in 0..GROUPS {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("Group {g}"),
            "members": [],
        })
        .to_string();
        let r = group.time(|| door.create(ResourceKind::Group, body.as_bytes()))?;
        let gid = id_of(&r)?;
        let start = g * n / GROUPS;
        let value: Vec<Value> = (0..BATCH.min(n))
            .map(|k| {
                let u = (start + k) % n;
                json!({"value": ids[u], "display": user_name(u)})
            })
            .collect();
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "value": {"id": gid, "displayName": format!("Group {g}")}},
                {"op": "add", "path": "members", "value": value},
            ],
        })
        .to_string();
        // As the HTTP door sends it for a request without `attributes`: answered 204, members not read.
        members.time(|| {
            door.patch_answering(ResourceKind::Group, &gid, body.as_bytes(), None, None)
        })?;
    }
    for k in 0..SAMPLES.min(n) {
        let u = k * step;
        let body = user_doc(u, Some(&ids[u]), 1).to_string();
        put.time(|| door.replace(ResourceKind::User, &ids[u], body.as_bytes(), None))?;
    }
    let off = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}],
    })
    .to_string();
    for k in 0..SAMPLES.min(n) {
        let u = (k * step + step / 2) % n;
        deactivate.time(|| door.patch(ResourceKind::User, &ids[u], off.as_bytes(), None))?;
    }
    println!("{}", filter.line("GET /Users?filter=userName eq"));
    println!("{}", create.line("POST /Users (the last ones)"));
    println!("{}", group.line("POST /Groups (empty)"));
    println!("{}", members.line("PATCH /Groups (add 100 members)"));
    println!("{}", put.line("PUT /Users/{id}"));
    println!("{}", deactivate.line("PATCH /Users/{id} active=false"));
    Ok(())
}
