//! Benchmark: the Entra connector against the emulated Graph in this process (real HTTP on loopback).
//!
//! `cargo run --release -p roster-connector-entra --example entra_bench [USERS] [GROUPS]` (default 50,000 users and
//! 2,000 groups, every group selected): full fetch time, Graph calls per 1,000 users, and the time of an
//! incremental fetch after 100 changes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use roster_cloud::{RealPause, StaticBearer};
use roster_connector_entra::{default_attributes, EntraConnector, Settings};
use roster_core::source::{Connector, FetchRequest, Since};
use roster_emulator::{serve, Options, Vendor};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let groups: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);

    let t = Instant::now();
    let mut o = Options::demo(Vendor::Entra);
    o.users = users;
    o.groups = Some(groups);
    let r = serve(Vendor::Entra, o).await.unwrap();
    let (selected, memberships) = {
        let d = r.state.read();
        let ids: Vec<String> = d.teams().map(|t| t.id.clone()).collect();
        let m: usize = d.teams().map(|t| t.members.len()).sum();
        (ids, m)
    };
    println!(
        "Roster Entra benchmark: {users} users, {} groups ({memberships} direct memberships), all selected; emulator seeded in {:.2} s",
        selected.len(),
        t.elapsed().as_secs_f64()
    );

    let admin = r.state.read().admin().unwrap().id.clone();
    let token = r.state.tokens.mint(
        &r.state.options.client_id,
        &admin,
        &["User.Read.All", "GroupMember.Read.All"],
    );
    let mut spec = r.connection_spec();
    spec.as_object_mut().unwrap().remove("kind");
    spec.as_object_mut().unwrap().remove("name");
    let settings: Settings = serde_json::from_value(spec).unwrap();
    let c =
        EntraConnector::new(settings, Arc::new(StaticBearer(token)), Arc::new(RealPause)).unwrap();

    let a = default_attributes();
    let mut attributes = vec![a.username.clone()];
    attributes.extend(a.email.clone());
    attributes.extend(a.realname.clone());
    attributes.extend(a.firstname.clone());
    attributes.extend(a.lastname.clone());
    attributes.extend(a.phones.clone());
    let mut request = FetchRequest {
        groups: selected,
        attributes,
        since: None,
    };

    let t = Instant::now();
    let full = c.fetch(&request).await.unwrap();
    let full_secs = t.elapsed().as_secs_f64();
    let calls = c.api_calls();
    let in_scope = full.users.len();
    let members: usize = full.groups.iter().map(|g| g.members.len()).sum();
    let cursor = full.cursor.clone().unwrap();
    println!(
        "full fetch           {full_secs:>7.2} s   {calls} Graph calls = {:.2} per 1,000 users (target <= 5)   {in_scope} users, {} groups, {members} flattened memberships",
        calls as f64 * 1000.0 / users as f64,
        full.groups.len()
    );
    println!("cursor               {:>7.1} MB", cursor.len() as f64 / 1e6);

    let known: HashSet<Arc<str>> = full.users.iter().map(|u| u.external_id.clone()).collect();
    drop(full);
    let changed = r.state.write().churn(100);
    request.since = Some(Since { cursor, known });
    let before = c.api_calls();
    let t = Instant::now();
    let inc = c.fetch(&request).await.unwrap();
    let inc_secs = t.elapsed().as_secs_f64();
    assert!(inc.incremental, "the cursor was used");
    println!(
        "incremental (100 changes, {} people touched) {inc_secs:>6.2} s   {} Graph calls   {} users read, {} unchanged (target < 2 s)",
        changed.len(),
        c.api_calls() - before,
        inc.users.len(),
        inc.unchanged.len()
    );
}
