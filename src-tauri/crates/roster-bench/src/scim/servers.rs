//! The two servers: Roster's, in this process, assembled as `rosterctl serve` assembles it; and the
//! reference `scim2-server`, in a process of its own.

use super::client::Target;
use super::traffic::{Kind, Step};
use super::Res;
use roster_api::scim::ScimFlavor;
use roster_api::{Caller, MemorySecrets, NoEvents, Options, Roster, SystemClock};
use roster_server::{
    plain_json, scim, FrontDoors, RequestLimits, RunningServer, Server, ServerConfig,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Roster's server in this process, and what the client needs to reach it.
pub(super) struct RosterUnderTest {
    pub(super) roster: Arc<Roster>,
    pub(super) tenant: String,
    pub(super) key: String,
    pub(super) token: String,
    pub(super) lifted: RunningServer,
    pub(super) limited: RunningServer,
}

/// Starts two servers over one Roster with an Okta integration: one with the rate limit lifted, one with
/// the default limits.
pub(super) async fn start_roster(data_dir: &Path) -> Res<RosterUnderTest> {
    let roster = Arc::new(Roster::new(Options {
        data_dir: data_dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(NoEvents),
    })?);
    let tenant = roster.create_tenant("Bench", None)?.id;
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let serve = |limits: RequestLimits| {
        let origin = scim::Origin::new("http://127.0.0.1");
        // The doors of `rosterctl serve` (its `front_doors`), with these limits.
        let app = FrontDoors::new(limits)
            .door("/health", roster_server::health::routes(), plain_json)
            .door(
                scim::PREFIX,
                scim::routes(roster.clone(), origin.clone()),
                scim::error,
            )
            .router();
        let config = ServerConfig {
            listen: loopback,
            ..ServerConfig::default()
        };
        async move {
            let server = Server::start(config, app).await?;
            origin.set(&format!("http://{}", server.local_addr()));
            Ok::<_, roster_server::ServerError>(server)
        }
    };
    let lifted = serve(RequestLimits {
        rate: None,
        ..RequestLimits::default()
    })
    .await?;
    let limited = serve(RequestLimits::default()).await?;
    let issued = roster
        .session(&tenant, &Caller::Local)?
        .create_scim_integration(
            "Okta push",
            ScimFlavor::Okta,
            &format!("http://{}", lifted.local_addr()),
        )?;
    Ok(RosterUnderTest {
        roster,
        tenant,
        key: issued.directory_key.clone(),
        token: issued.token.clone(),
        lifted,
        limited,
    })
}

/// The reference server's process: stopped when dropped.
pub(super) struct Reference {
    pub(super) child: std::process::Child,
    pub(super) port: u16,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Reference {
    /// Its peak RSS (VmHWM), read while it runs.
    pub(super) fn peak_rss(&self) -> String {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
                let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(format!("{:.0} MB", kb / 1024.0))
            })
            .unwrap_or_else(|| "n/a".into())
    }
}

pub(super) fn scim2_server() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../.ci/venv/bin/scim2-server");
    if venv.is_file() {
        return Some(venv);
    }
    let on_path = Command::new("scim2-server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    on_path.then(|| PathBuf::from("scim2-server"))
}

pub(super) fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(super) fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut t = String::from("bench-");
    for _ in 0..4 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(Instant::now().elapsed().as_nanos());
        t.push_str(&format!("{:016x}", h.finish()));
    }
    t
}

/// Starts `scim2-server` on a free loopback port with bearer token `token`, and waits until it answers.
pub(super) async fn start_reference(exe: &Path, token: &str) -> Res<(Reference, Target)> {
    let port = free_port()?;
    let child = Command::new(exe)
        .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
        .arg("--bearer-token")
        .arg(token)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let reference = Reference { child, port };
    let target = Target::new(
        "the reference",
        format!("http://127.0.0.1:{port}/v2"),
        token.to_string(),
    )?;
    let t = Instant::now();
    loop {
        let ready = target
            .send(&Step {
                kind: Kind::Filter,
                method: reqwest::Method::GET,
                path: "/ServiceProviderConfig".into(),
                body: None,
                ok: &[200],
            })
            .await
            .is_ok();
        if ready {
            return Ok((reference, target));
        }
        if t.elapsed() > Duration::from_secs(30) {
            return Err("scim2-server did not answer within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
