//! Cloud directories through the application layer, against the emulators: consent in a (scripted) browser,
//! the tokens only in the secret store, syncs that follow the organisation's changes, revoked consent marking
//! the connection "needs reauthorization" without changing anything, Reauthorize keeping the sync, and
//! scheduled (incremental) runs ending where full runs end. Once per vendor: Entra ID, Google, Okta.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::{
    spec, Caller, ConsentPrompt, ManualClock, MemorySecrets, Options, Roster, RunMode, Session,
    Trigger,
};
use roster_core::Timestamp;
use roster_emulator::auth::{Browser, Decision};
use roster_emulator::Vendor;
use roster_secrets::SecretStore;
use std::sync::Arc;
use std::time::Duration;

/// A scripted admin: when Roster shows the sign-in page, a browser visits it and clicks `decision`.
struct ScriptedAdmin(Decision);

impl ConsentPrompt for ScriptedAdmin {
    fn present(&self, _vendor: &str, url: &str) -> Result<(), String> {
        let url = url.to_string();
        let decision = self.0;
        tokio::spawn(async move {
            let _ = Browser::new().visit(&url, decision).await;
        });
        Ok(())
    }
}

fn roster(dir: &std::path::Path, secrets: Arc<MemorySecrets>, clock: Arc<ManualClock>) -> Roster {
    Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets,
        clock,
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap()
}

type Shown = (String, String, Option<String>, Option<String>, Vec<String>);

fn state(s: &Session<'_>) -> Vec<Shown> {
    let mut all: Vec<_> = s
        .users_page("", roster_api::PageAt::Offset(0), 100_000)
        .unwrap()
        .rows
        .into_iter()
        .chain(
            s.trash_page("", roster_api::PageAt::Offset(0), 100_000)
                .unwrap()
                .rows,
        )
        .map(|u| {
            (
                u.username,
                u.status.as_str().to_string(),
                u.email,
                u.realname,
                u.groups,
            )
        })
        .collect();
    all.sort();
    all
}

fn spec_for(server: &roster_emulator::Running) -> spec::DirectorySpec {
    let mut connection = server.connection_spec();
    connection.as_object_mut().unwrap().remove("name");
    let text = serde_json::json!({
        "name": "Staff",
        "type": "user",
        "connection": connection,
        // By name: Roster looks the group up once signed in.
        "groups": ["All Staff", "Leadership"],
        "deletion_threshold_percent": 100,
    });
    spec::parse(&text.to_string()).unwrap()
}

const WAIT: Duration = Duration::from_secs(30);

async fn journey(vendor: Vendor) {
    let server = roster_emulator::serve(vendor, roster_emulator::Options::demo(vendor))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000)));
    let r = roster(dir.path(), secrets.clone(), clock.clone());
    r.create_tenant("Customer", None).unwrap();
    let s = r.session("Customer", &Caller::Local).unwrap();

    // Denied consent: an error that says so, and nothing saved.
    let denied = s
        .add_directory_signed_in(spec_for(&server), &ScriptedAdmin(Decision::Deny), WAIT)
        .await
        .unwrap_err();
    assert_eq!(
        denied.code,
        roster_api::Code::Unauthorized,
        "{}",
        denied.message
    );
    assert!(denied.message.contains("declined"), "{}", denied.message);
    assert!(
        s.list_connections().unwrap().is_empty(),
        "a denied consent saves nothing"
    );
    assert!(s.list_directories().unwrap().is_empty());

    // Approved: the connection records who authorized it; tokens are in the secret store only.
    let key = s
        .add_directory_signed_in(spec_for(&server), &ScriptedAdmin(Decision::Approve), WAIT)
        .await
        .unwrap()
        .directory_key;
    let conns = s.list_connections().unwrap();
    assert_eq!(conns.len(), 1);
    let conn = &conns[0];
    assert_eq!(conn.status, roster_api::json::ConnectionStatus::Ready);
    let admin = server.state.read().admin().unwrap().clone();
    let by = conn.authorized_by.clone().unwrap_or_default();
    assert!(
        by.contains(&admin.username) || by.contains(&admin.given),
        "the consenting admin ({}) is recorded, got {by:?}",
        admin.username
    );
    assert!(conn.authorized_at.is_some());
    let tenant = r
        .list_tenants()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Customer")
        .unwrap();
    let token_key = format!("{}/{}/oauth_tokens", tenant.id, conn.id);
    let tokens = secrets
        .get(&token_key)
        .unwrap()
        .expect("tokens in the secret store");
    let tokens: serde_json::Value = serde_json::from_str(tokens.expose()).unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert!(server.state.tokens.check(&access).is_ok());
    assert!(
        !conn.config.to_string().contains(&access),
        "no token in the connection settings"
    );
    if let Some(secret) = &server.state.options.client_secret {
        assert!(
            !conn.config.to_string().contains(secret.as_str()),
            "no client secret in the settings"
        );
    }

    // The groups were given by name and stored by id.
    let d = s
        .list_directories()
        .unwrap()
        .into_iter()
        .find(|d| d.directory_key == key)
        .unwrap();
    assert_eq!(d.connection.kind.as_str(), vendor.kind());

    // A second sync reusing the connection names its groups the same way: resolved now, or refused now.
    let reuse = |groups: serde_json::Value, name: &str| {
        spec::parse(
            &serde_json::json!({"name": name, "type": "user", "connection": conn.id, "groups": groups})
                .to_string(),
        )
        .unwrap()
    };
    server.state.write().create_team("Twins", "one");
    server.state.write().create_team("TWINS", "two");
    for (groups, says) in [
        (serde_json::json!(["Nonexistent Team"]), "No group named"),
        (serde_json::json!(["Twins"]), "2 groups"),
    ] {
        let err = s
            .add_directory_signed_in(reuse(groups, "Again"), &ScriptedAdmin(Decision::Deny), WAIT)
            .await
            .unwrap_err();
        assert!(
            err.message.contains(says) && err.message.contains("Nothing was added"),
            "an unknown or ambiguous name is refused when the sync is added: {}",
            err.message
        );
    }
    let again = s
        .add_directory_signed_in(
            reuse(serde_json::json!(["Leadership"]), "Leaders"),
            &ScriptedAdmin(Decision::Deny), // no sign-in: the connection exists
            WAIT,
        )
        .await
        .unwrap()
        .directory_key;
    let leaders = s
        .list_directories()
        .unwrap()
        .into_iter()
        .find(|d| d.directory_key == again)
        .unwrap();
    assert!(
        leaders.groups.len() == 1 && leaders.groups[0] != "Leadership",
        "the name was resolved to the group's id, not stored as one: {:?}",
        leaders.groups
    );
    let err = s
        .add_directory(reuse(serde_json::json!(["Leadership"]), "Sync door"))
        .unwrap_err();
    assert!(
        err.message.contains("not a"),
        "the synchronous door never stores a name as an id: {}",
        err.message
    );
    s.delete_directory(&again).unwrap();

    let first = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        first.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        first.message
    );
    let listed = state(&s);
    let live = server
        .state
        .read()
        .people()
        .filter(|p| p.state != roster_emulator::directory::PersonState::Deleted)
        .count();
    assert!(
        listed.len() > live * 9 / 10 && listed.len() <= live,
        "nearly everyone is in All Staff: {} of {live}",
        listed.len()
    );
    // Some Okta profiles have no displayName (the emulator leaves it out of about one in ten): they are
    // named by first and last name, as for every other directory.
    let unnamed: Vec<&str> = listed
        .iter()
        .filter(|u| u.3.as_deref().is_none_or(str::is_empty))
        .map(|u| u.0.as_str())
        .collect();
    assert!(unnamed.is_empty(), "everyone gets a real name: {unnamed:?}");
    let bytes = std::fs::read_dir(dir.path().join("tenants"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file()) // the files, not the run locks' folder
        .map(|p| std::fs::read(p).unwrap())
        .collect::<Vec<_>>()
        .concat();
    assert!(
        !bytes.windows(access.len()).any(|w| w == access.as_bytes()),
        "the access token is not in the tenant database"
    );

    // A second tenant follows the same directory with full runs only (the reference).
    r.create_tenant("Reference", None).unwrap();
    let s = r.session("Reference", &Caller::Local).unwrap();
    let ref_key = s
        .add_directory_signed_in(spec_for(&server), &ScriptedAdmin(Decision::Approve), WAIT)
        .await
        .unwrap()
        .directory_key;
    let ref_first = s
        .run_sync(&ref_key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        ref_first.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        ref_first.message
    );

    // The organisation changes; the scheduled run (incremental where the vendor allows it) and a full
    // run end in the same state.
    let suspended = {
        let mut d = server.state.write();
        d.churn(40);
        let victim = d
            .people()
            .find(|p| {
                !p.admin
                    && p.state == roster_emulator::directory::PersonState::Active
                    && p.department != "Leadership"
            })
            .unwrap()
            .id
            .clone();
        d.suspend(&victim);
        d.person(&victim).unwrap().clone()
    };
    clock.advance(1800);
    let s = r.session("Customer", &Caller::Local).unwrap();
    let scheduled = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Schedule)
        .await
        .unwrap();
    assert_eq!(
        scheduled.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        scheduled.message
    );
    assert!(scheduled.counts.updated + scheduled.counts.created + scheduled.counts.disabled > 0);
    let incremental_state = state(&s);
    let s = r.session("Reference", &Caller::Local).unwrap();
    let full = s
        .run_sync(&ref_key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        full.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        full.message
    );
    let reference = state(&s);
    let only_inc: Vec<_> = incremental_state
        .iter()
        .filter(|u| !reference.contains(u))
        .collect();
    let only_full: Vec<_> = reference
        .iter()
        .filter(|u| !incremental_state.contains(u))
        .collect();
    assert!(
        only_inc.is_empty() && only_full.is_empty(),
        "a scheduled run ends where a full run ends; only after the scheduled run: {only_inc:?}; only after the full run: {only_full:?}"
    );
    let status = incremental_state
        .iter()
        .find(|u| u.2.as_deref() == Some(suspended.mail.as_str()))
        .map(|u| u.1.clone());
    assert_eq!(
        status.as_deref(),
        Some("disabled"),
        "a suspended account is disabled"
    );

    // A truncated answer (a dropped connection, a broken proxy): the run fails with a clear message and
    // applies nothing; the connection stays ready.
    let s = r.session("Customer", &Caller::Local).unwrap();
    server.state.write().churn(5);
    let before_cut = state(&s);
    server
        .state
        .knobs
        .truncate_next
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let cut = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(cut.outcome, roster_api::json::RunOutcome::Failed);
    let msg = cut.message.clone().unwrap_or_default();
    assert!(
        msg.contains("could not read") && msg.contains("Nothing was changed"),
        "{msg}"
    );
    assert_eq!(state(&s), before_cut, "a failed run changes nothing");
    assert_eq!(
        s.list_connections().unwrap()[0].status,
        roster_api::json::ConnectionStatus::Ready
    );

    // Consent revoked: the run fails, nothing changes, and the connection needs reauthorization.
    let s = r.session("Customer", &Caller::Local).unwrap();
    server.state.tokens.revoke_all();
    server.state.write().churn(10);
    let before = state(&s);
    let refused = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(refused.outcome, roster_api::json::RunOutcome::Failed);
    let msg = refused.message.unwrap_or_default();
    assert!(
        msg.contains("Reauthorize"),
        "the failure says what to do: {msg}"
    );
    assert!(!msg.contains(&access), "no token in messages");
    assert_eq!(state(&s), before, "a failed run changes nothing");
    let conn = s.list_connections().unwrap().remove(0);
    assert_eq!(
        conn.status,
        roster_api::json::ConnectionStatus::NeedsReauthorization
    );

    // Reauthorize: same connection, same sync, syncing again.
    let again = s
        .reauthorize_connection(&conn.id, &ScriptedAdmin(Decision::Approve), WAIT)
        .await
        .unwrap();
    assert_eq!(again.status, roster_api::json::ConnectionStatus::Ready);
    assert_eq!(again.used_by, vec!["Staff".to_string()], "the sync is kept");
    let after = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        after.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        after.message
    );
    assert_ne!(state(&s), before, "the changes made meanwhile arrive");

    // Test connection and the group picker work over the saved sign-in.
    let checks = s.test_connection(&conn.id).await.unwrap();
    assert!(checks.iter().all(|c| c.ok), "{checks:?}");
    let groups = s.search_groups(&conn.id, "lead", 10).await.unwrap();
    assert!(groups.iter().any(|g| g.name == "Leadership"), "{groups:?}");

    // An admin sync over the same connection (Entra ID and Google; Okta syncs users only).
    let admin_spec = serde_json::json!({
        "name": "Admins",
        "type": "admin",
        "connection": conn.id,
        "roles": {groups.iter().find(|g| g.name == "Leadership").unwrap().external_id.clone(): "Administrator"},
    });
    let added = s.add_directory(spec::parse(&admin_spec.to_string()).unwrap());
    if vendor == Vendor::Okta {
        let e = added.unwrap_err();
        assert!(e.message.contains("users and groups only"), "{}", e.message);
    } else {
        let admin_key = added.unwrap().directory_key;
        let run = s
            .run_sync(
                &admin_key,
                RunMode::Full { approve: false },
                Trigger::Manual,
            )
            .await
            .unwrap();
        assert_eq!(
            run.outcome,
            roster_api::json::RunOutcome::Succeeded,
            "{:?}",
            run.message
        );
        let admins = s
            .admins_page("", roster_api::PageAt::Offset(0), 1000)
            .unwrap();
        assert!(
            admins.total > Some(0),
            "the Leadership group's members are administrators"
        );
        assert!(admins
            .rows
            .iter()
            .filter(|a| a.managed_by.is_some())
            .all(|a| a.role == roster_core::AdminRole::Administrator));
        s.delete_directory(&admin_key).unwrap();
    }

    // Deleting the connection's sync and the connection removes its secrets.
    s.delete_directory(&key).unwrap();
    s.delete_connection(&conn.id).unwrap();
    assert!(
        secrets.get(&token_key).unwrap().is_none(),
        "the tokens go with the connection"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_journey() {
    journey(Vendor::Entra).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_journey() {
    journey(Vendor::Google).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_journey() {
    journey(Vendor::Okta).await;
}

/// The offline demo: `"demo": true` needs nothing else; Roster starts its own emulator on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_cloud_connections_need_no_settings() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let r = roster(
        dir.path(),
        secrets.clone(),
        Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
    );
    for kind in ["entra", "google", "okta"] {
        // A tenant each: the three demo organisations share their people's email addresses.
        r.create_tenant(kind, None).unwrap();
        let s = r.session(kind, &Caller::Local).unwrap();
        let spec = spec::parse(
            &serde_json::json!({
                "name": format!("{kind} demo"),
                "type": "user",
                "connection": {"kind": kind, "demo": true},
                "groups": ["All Staff"],
            })
            .to_string(),
        )
        .unwrap();
        let key = s
            .add_directory_signed_in(spec, &ScriptedAdmin(Decision::Approve), WAIT)
            .await
            .unwrap()
            .directory_key;
        let run = s
            .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
            .await
            .unwrap();
        assert_eq!(
            run.outcome,
            roster_api::json::RunOutcome::Succeeded,
            "{kind}: {:?}",
            run.message
        );
        assert!(run.counts.created > 100, "{kind}: {:?}", run.counts);
        let conns = s.list_connections().unwrap();
        assert_eq!(conns.len(), 1);
        assert!(
            conns[0].config["demo"] == true
                && conns[0].status == roster_api::json::ConnectionStatus::Ready,
            "{conns:?}"
        );
    }
    let s = r.session("entra", &Caller::Local).unwrap();
    assert_eq!(s.list_connections().unwrap()[0].name, "Entra ID (demo)");

    // The app restarts: new emulators on new ports, which still honour the consents given before (as
    // the real vendors do), so the demo syncs go on without signing in again.
    drop(r);
    let r = roster(
        dir.path(),
        secrets.clone(),
        Arc::new(ManualClock::new(Timestamp(1_800_003_600))),
    );
    for kind in ["entra", "google", "okta"] {
        let s = r.session(kind, &Caller::Local).unwrap();
        let before = s.list_connections().unwrap().remove(0).config;
        let key = s.list_directories().unwrap().remove(0).directory_key;
        let run = s
            .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
            .await
            .unwrap();
        assert_eq!(
            run.outcome,
            roster_api::json::RunOutcome::Succeeded,
            "{kind} after a restart: {:?}",
            run.message
        );
        let conn = s.list_connections().unwrap().remove(0);
        assert_eq!(conn.status, roster_api::json::ConnectionStatus::Ready);
        assert_ne!(
            conn.config, before,
            "{kind}: the settings follow the emulator's new port"
        );
    }
}
