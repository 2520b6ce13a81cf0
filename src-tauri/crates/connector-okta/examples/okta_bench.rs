#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Full-sync benchmark: 50,000 users and 2,000 groups served by the Okta emulator in this process.
//!
//! `cargo run --release -p roster-connector-okta --example okta_bench [-- USERS GROUPS]`
//!
//! Prints, per scenario, the wall time of a full fetch, the API calls it made and the calls per 1,000
//! users. Waits for Okta's rate limit are recorded, not slept (the emulator reports a 600-per-minute
//! window, as Okta does for `/api/v1/users`), and printed as the time a real org would add.

use roster_cloud::{RecordedPause, StaticBearer};
use roster_connector_okta::{OktaConnector, Settings};
use roster_core::source::{Connector, FetchRequest};
use roster_emulator::okta::group_id;
use roster_emulator::{serve, Options, Vendor};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let users = args.first().copied().unwrap_or(50_000);
    let groups = args.get(1).copied().unwrap_or(2_000);
    let t = Instant::now();
    let mut o = Options::demo(Vendor::Okta);
    o.users = users;
    o.groups = Some(groups);
    let run = serve(Vendor::Okta, o).await.unwrap();
    println!(
        "emulator: {users} users, {groups} groups, ready in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let admin = run.state.read().admin().unwrap().id.clone();
    let (own, every): (Vec<String>, Vec<String>) = {
        let d = run.state.read();
        let own = d
            .teams()
            .filter(|t| !t.name.starts_with("Project "))
            .map(|t| group_id(&t.id))
            .collect();
        let every = d.teams().map(|t| group_id(&t.id)).collect();
        (own, every)
    };
    for (label, selected) in [
        (
            "the organisation's own groups (All Staff, divisions, teams, leadership)",
            own,
        ),
        ("every group", every),
    ] {
        let token = run.state.tokens.mint(
            &run.state.options.client_id,
            &admin,
            &["okta.users.read", "okta.groups.read"],
        );
        let pause = Arc::new(RecordedPause::default());
        let settings = Settings {
            org_url: run.url.clone(),
            client_id: run.state.options.client_id.clone(),
            authorize_url: None,
            token_url: None,
            api_url: None,
        };
        let c = OktaConnector::new(settings, Arc::new(StaticBearer(token)), pause.clone()).unwrap();
        let request = FetchRequest {
            groups: selected.clone(),
            attributes: vec![],
            since: None,
        };
        let t = Instant::now();
        let batch = c.fetch(&request).await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        let memberships: usize = batch.groups.iter().map(|g| g.members.len()).sum();
        let calls = c.api_calls();
        let waited = pause
            .waits()
            .iter()
            .sum::<std::time::Duration>()
            .as_secs_f64();
        println!("\n{label}: {} groups selected", selected.len());
        println!(
            "  full sync: {secs:.2} s, {} users, {memberships} memberships",
            batch.users.len()
        );
        println!(
            "  API calls: {calls} ({:.2} per 1,000 users, {:.2} per 1,000 memberships)",
            calls as f64 * 1000.0 / batch.users.len().max(1) as f64,
            calls as f64 * 1000.0 / memberships.max(1) as f64
        );
        println!(
            "  rate-limit waits a real org would add at 600 calls/min: {} waits, {waited:.0} s",
            pause.waits().len()
        );
    }
    run.stop().await;
}
