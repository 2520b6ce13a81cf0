//! Full-sync benchmark of the Google connector against the in-process Google emulator: 50,000 users and
//! 2,000 groups. Prints the time of a full fetch and the API calls it took per 1,000 users, for two
//! selections: every group, and the one group that reaches everyone through nesting ("All Staff").
//!
//! Run: `cargo run --release -p roster-connector-google --example google_bench [USERS [GROUPS]]`.

use roster_cloud::{RecordedPause, StaticBearer};
use roster_connector_google::{GoogleConnector, Settings};
use roster_core::source::{Connector, FetchRequest};
use roster_emulator::google::{group_id, READ_SCOPES};
use roster_emulator::{serve, Options, Vendor};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let users: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(50_000);
    let groups: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2_000);

    let started = Instant::now();
    let running = serve(
        Vendor::Google,
        Options {
            users,
            groups: Some(groups),
            ..Options::demo(Vendor::Google)
        },
    )
    .await?;
    println!(
        "emulator: {users} users, {groups} groups, seeded in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let state = running.state.clone();
    let (admin, all_groups, all_staff) = {
        let d = state.read();
        let admin = d.admin().map(|p| p.id.clone()).ok_or("no admin")?;
        let all: Vec<String> = d.teams().map(|t| group_id(&t.id)).collect();
        let staff = d
            .team_by_name("All Staff")
            .map(|t| group_id(&t.id))
            .ok_or("no All Staff group")?;
        (admin, all, staff)
    };
    let token = state
        .tokens
        .mint(&state.options.client_id, &admin, &READ_SCOPES);
    let mut settings = Settings::new(state.options.client_id.clone());
    settings.api_url = running.url.clone();

    for (label, selected) in [
        (format!("all {} groups", all_groups.len()), all_groups),
        ("All Staff (nested)".to_string(), vec![all_staff]),
    ] {
        let connector = GoogleConnector::new(
            settings.clone(),
            Arc::new(StaticBearer(token.clone())),
            Arc::new(RecordedPause::default()),
        )?;
        let before = state.knobs.calls.load(Ordering::SeqCst);
        let t = Instant::now();
        let batch = connector
            .fetch(&FetchRequest {
                groups: selected,
                attributes: Vec::new(),
                since: None,
            })
            .await?;
        let secs = t.elapsed().as_secs_f64();
        let calls = connector.api_calls();
        let served = state.knobs.calls.load(Ordering::SeqCst) - before;
        let memberships: usize = batch.groups.iter().map(|g| g.members.len()).sum();
        let per_k = calls as f64 * 1000.0 / batch.users.len().max(1) as f64;
        println!(
            "{label}: {} users, {} groups, {memberships} memberships in {secs:.2} s; {calls} API calls ({served} served), {per_k:.1} per 1,000 users",
            batch.users.len(),
            batch.groups.len()
        );
    }
    running.stop().await;
    Ok(())
}
