//! `roster-bench ldap`: a sync from a real OpenLDAP `slapd` at scale, next to `ldapsearch` paging through the
//! same entries in the same run.

use crate::{peak_rss_mb, rss};
use roster_connector_ldap::{Flavor, LdapConnector, Settings, Transport};
use roster_core::clock::ManualClock;
use roster_core::{AttributeMap, DirectoryKey, Timestamp};
use roster_engine::{run_sync, Mode, RunRequest};
use roster_store::{Store, Trigger};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const BASE: &str = "dc=bench,dc=example";
pub(crate) const ADMIN: &str = "cn=admin,dc=bench,dc=example";
pub(crate) const PASSWORD: &str = "bench-secret";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn write_ldif(path: &Path, users: usize, groups: usize, per_group: usize) -> Res<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        f,
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Bench\ndc: bench\n"
    )?;
    writeln!(
        f,
        "dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people\n"
    )?;
    writeln!(
        f,
        "dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n"
    )?;
    for i in 0..users {
        writeln!(
            f,
            "dn: uid=user{i},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: user{i}\ncn: User {i}\nsn: {i}\ngivenName: User\ndisplayName: User Number {i}\nmail: user{i}@bench.example\ntelephoneNumber: +1 555 {:07}\n",
            i
        )?;
    }
    // Group g holds `per_group` consecutive users starting at g * users / groups, wrapping around: every
    // user is in about groups * per_group / users groups.
    let stride = users / groups.max(1);
    for g in 0..groups {
        writeln!(f, "dn: cn=group{g},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: group{g}\ndescription: Bench group {g}")?;
        for k in 0..per_group {
            writeln!(
                f,
                "member: uid=user{},ou=people,{BASE}",
                (g * stride + k) % users
            )?;
        }
        writeln!(f)?;
    }
    f.flush()?;
    Ok(())
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A running slapd, stopped when dropped.
pub(crate) struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn timed_ldapsearch(port: u16, filter: &str, attrs: &[&str]) -> Res<f64> {
    let t = Instant::now();
    let status = Command::new("ldapsearch")
        .args([
            "-x",
            "-LLL",
            "-H",
            &format!("ldap://127.0.0.1:{port}"),
            "-D",
            ADMIN,
            "-w",
            PASSWORD,
            "-b",
            BASE,
            "-E",
            "pr=1000/noprompt",
            filter,
        ])
        .args(attrs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("ldapsearch failed: {status}").into());
    }
    Ok(t.elapsed().as_secs_f64())
}

/// A slapd of `users` users in `groups` groups of `per_group` members (see [`write_ldif`]) on a free
/// loopback port, its files in `d`, loaded with `slapadd`; stopped when the [`Server`] is dropped.
pub(crate) fn start_slapd(
    d: &Path,
    users: usize,
    groups: usize,
    per_group: usize,
) -> Res<(Server, u16)> {
    if !Path::new("/usr/sbin/slapd").exists() {
        return Err("slapd is not installed: apt-get install slapd ldap-utils".into());
    }
    write_ldif(&d.join("data.ldif"), users, groups, per_group)?;
    std::fs::create_dir_all(d.join("db"))?;
    // Equality indexes as a production OpenLDAP keeps them (Debian's default configuration indexes uid
    // and member): an individual sync looks the user up by uid and their groups by member, which without
    // an index makes slapd scan every entry (about 150 ms at 100,000 users) whoever asks.
    std::fs::write(
        d.join("slapd.conf"),
        format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude /etc/ldap/schema/inetorgperson.schema\n\
             pidfile {p}/slapd.pid\nargsfile {p}/slapd.args\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n\
             database mdb\nsuffix \"{BASE}\"\nrootdn \"{ADMIN}\"\nrootpw {PASSWORD}\ndirectory {p}/db\nmaxsize 4294967296\n\
             index objectClass,entryUUID,uid,member eq\n",
            p = d.display()
        ),
    )?;
    let out = Command::new("/usr/sbin/slapadd")
        .arg("-q")
        .arg("-f")
        .arg(d.join("slapd.conf"))
        .arg("-l")
        .arg(d.join("data.ldif"))
        .output()?;
    if !out.status.success() {
        return Err(format!("slapadd failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let port = free_port()?;
    let server = Server(
        Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("slapd did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((server, port))
}

pub async fn bench(users: usize, groups: usize, per_group: usize) -> Res<()> {
    if !Path::new("/usr/sbin/slapd").exists() {
        return Err("slapd is not installed: apt-get install slapd ldap-utils".into());
    }
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    println!(
        "Roster LDAP benchmark: {users} users, {groups} groups, {} memberships in a real slapd",
        groups * per_group
    );
    let t = Instant::now();
    let (_server, port) = start_slapd(d, users, groups, per_group)?;
    println!(
        "loaded the directory with slapadd in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Baseline: ldapsearch paging through the same users and groups, with the same attributes.
    let user_attrs = [
        "uid",
        "mail",
        "displayName",
        "givenName",
        "sn",
        "telephoneNumber",
        "entryUUID",
    ];
    let ldapsearch = || -> Res<(f64, f64, f64)> {
        let users = timed_ldapsearch(port, "(objectClass=inetOrgPerson)", &user_attrs)?;
        let groups = timed_ldapsearch(
            port,
            "(objectClass=groupOfNames)",
            &["cn", "description", "member", "entryUUID"],
        )?;
        Ok((users + groups, users, groups))
    };
    // Three times, and the median: one run of either side varies by 10-15% on these machines.
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(ldapsearch()?);
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (baseline, base_users, base_groups) = runs[1];
    println!(
        "baseline  ldapsearch, users {base_users:.2} s + groups {base_groups:.2} s = {baseline:.2} s  (median of {})",
        runs.iter()
            .map(|r| format!("{:.2}", r.0))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let settings = Settings {
        servers: vec![format!("ldap://127.0.0.1:{port}")],
        transport: Transport::Clear,
        ca_pem: None,
        verify_hostname: true,
        connect_timeout_secs: 30,
        search_timeout_secs: 600,
        bind_dn: Some(ADMIN.into()),
        bind_method: Default::default(),
        kerberos_host: None,
        base_dn: BASE.into(),
        allow_clear_password: true,
        user_object_class: None,
        group_object_class: None,
        member_attribute: None,
        disabled_when: None,
        page_size: 1000,
        member_range: None,
    };
    let (store, directory) = crate::bench_store(
        &d.join("bench.sqlite3"),
        "openldap",
        serde_json::to_value(&settings)?,
        (0..groups)
            .map(|g| format!("cn=group{g},ou=groups,{BASE}"))
            .collect(),
        AttributeMap {
            phones: vec!["telephoneNumber".into()],
            ..AttributeMap::ldap_default()
        },
    )?;
    let key = directory.key;
    let connector = LdapConnector::new(Flavor::Openldap, settings, Some(PASSWORD.into()));
    {
        use roster_core::source::Connector;
        let t = Instant::now();
        let cpu = crate::cpu_secs();
        let request = roster_core::source::FetchRequest {
            since: None,
            groups: (0..groups)
                .map(|g| format!("cn=group{g},ou=groups,{BASE}"))
                .collect(),
            attributes: [
                "uid",
                "mail",
                "displayName",
                "givenName",
                "sn",
                "telephoneNumber",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        };
        let b = connector.fetch(&request).await?;
        println!(
            "          the connector's read alone (no store)   {:.2} s  {:>5.2}x ldapsearch  ({} users, {} memberships)",
            t.elapsed().as_secs_f64(),
            t.elapsed().as_secs_f64() / baseline,
            b.users.len(),
            b.groups.iter().map(|g| g.members.len()).sum::<usize>()
        );
        println!(
            "          peak RSS after the read alone           {}{}",
            rss(),
            cpu_used(cpu)
        );
    }
    let clock = ManualClock::new(Timestamp(1_800_000_000));
    let (first, r1) = sync(&store, &connector, &key, &clock, Trigger::Manual).await?;
    println!("          peak RSS so far {}", crate::rss());
    println!(
        "first full sync                 {first:>7.2} s  {:>8.0} users/s  {:>5.2}x ldapsearch  ({} users, {} groups)",
        r1.counts.created as f64 / first,
        first / baseline,
        r1.counts.created,
        r1.counts.groups_created
    );

    // Three rounds of ldapsearch then a resync, each resync against the ldapsearch just before it (the
    // machine's speed drifts over a run), and the median round.
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let (base, _, _) = ldapsearch()?;
        let (t, report) = sync(&store, &connector, &key, &clock, Trigger::Manual).await?;
        println!(
            "          ldapsearch {base:.2} s, resync {t:.2} s = {:.2}x; peak RSS so far {}",
            t / base,
            crate::rss()
        );
        rounds.push((t / base, t, report));
    }
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ratios: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.0)).collect();
    let (resync_ratio, again, r2) = rounds.swap_remove(1);
    drop(rounds);
    println!("no-change resync                {again:>7.2} s  {:>8.0} users/s  {resync_ratio:>5.2}x ldapsearch  ({} changes; median of {}x)", r2.counts.seen as f64 / again, r2.changes_total, ratios.join(", "));
    {
        let t = Instant::now();
        let (snap, _) = store.snapshot(&key, &roster_store::Candidates::default())?;
        println!(
            "          of which the store's snapshot           {:.2} s  ({} users)",
            t.elapsed().as_secs_f64(),
            snap.users.len()
        );
        drop(snap);
        let t = Instant::now();
        let users_page = store.users_page("", false, roster_store::PageAt::Offset(0), 50)?;
        let users_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let groups_page = store.groups_page("", roster_store::PageAt::Offset(0), 50)?;
        println!(
            "          the app's lists: users page {users_ms:.0} ms ({} of {}), groups page with member counts {:.0} ms ({} of {})",
            users_page.rows.len(),
            users_page.total.unwrap_or(0),
            t.elapsed().as_secs_f64() * 1000.0,
            groups_page.rows.len(),
            groups_page.total.unwrap_or(0)
        );
    }
    // 100 changes, then a scheduled (incremental) run.
    {
        let (conn, mut ldap) =
            ldap3::LdapConnAsync::new(&format!("ldap://127.0.0.1:{port}")).await?;
        tokio::spawn(async move {
            let _ = conn.drive().await;
        });
        ldap.simple_bind(ADMIN, PASSWORD).await?.success()?;
        for i in 0..100 {
            let mail = format!("changed{i}@bench.example");
            let dn = format!("uid=user{},ou=people,{BASE}", i * (users / 100).max(1));
            ldap.modify(
                &dn,
                vec![ldap3::Mod::Replace(
                    "mail",
                    std::collections::HashSet::from([mail.as_str()]),
                )],
            )
            .await?
            .success()?;
        }
        let _ = ldap.unbind().await;
    }
    let (inc, r3) = sync(&store, &connector, &key, &clock, Trigger::Schedule).await?;
    println!("          peak RSS so far {}", crate::rss());
    println!(
        "100-change incremental sync     {inc:>7.2} s                        ({} changes)",
        r3.changes_total
    );
    println!("peak RSS                        {}", rss());
    println!();
    println!("targets (LDAP issue):");
    let mark = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "  first full sync <= 3x ldapsearch and < 30 s   {:.2}x, {first:.1} s   {}",
        first / baseline,
        mark(first / baseline <= 3.0 && first < 30.0)
    );
    println!(
        "  no-change resync <= 1.5x ldapsearch          {resync_ratio:.2}x            {}",
        mark(resync_ratio <= 1.5)
    );
    match peak_rss_mb() {
        Some(p) => println!(
            "  peak RSS < 300 MB                            {p:.0} MB           {}",
            mark(p < 300.0)
        ),
        None => {
            println!("  peak RSS < 300 MB                            not measurable on this OS")
        }
    }
    println!(
        "  100-change incremental sync < 2 s            {inc:.2} s           {}",
        mark(inc < 2.0 && r3.changes_total == 100)
    );
    Ok(())
}

/// One run through the engine; scheduled runs may be incremental.
async fn sync(
    store: &Store,
    connector: &LdapConnector,
    key: &DirectoryKey,
    clock: &ManualClock,
    trigger: Trigger,
) -> Res<(f64, roster_engine::RunReport)> {
    let d = store.directory(key.as_str())?;
    clock.advance(1800);
    let t = Instant::now();
    let request = RunRequest {
        tenant: "bench",
        directory: &d,
        trigger,
        mode: Mode::Full { approve: false },
        retention_days: 7,
        next_connection_state: None,
        incremental: Some("bench".into()),
    };
    let phases = Phases::default();
    let cpu = crate::cpu_secs();
    let r = run_sync(store, connector, request, clock, &phases).await?;
    phases.print(&cpu_used(cpu));
    if r.outcome != roster_engine::Outcome::Succeeded {
        return Err(format!("the sync did not succeed: {}", r.message).into());
    }
    Ok((t.elapsed().as_secs_f64(), r))
}

/// ", Roster's CPU 1.23 s" since `before` (the figure to compare builds by on a loaded machine), or
/// nothing without /proc.
fn cpu_used(before: Option<f64>) -> String {
    match (before, crate::cpu_secs()) {
        (Some(a), Some(b)) => format!("; Roster's CPU {:.2} s", b - a),
        _ => String::new(),
    }
}

/// Times the phases of a run from its progress events.
#[derive(Default)]
struct Phases(std::sync::Mutex<Vec<(String, Instant)>>);

impl roster_engine::EventSink for Phases {
    fn emit(&self, event: roster_engine::Event) {
        let roster_engine::Event::Progress(p) = event;
        if let Ok(mut v) = self.0.lock() {
            v.push((p.phase.as_str().to_string(), Instant::now()));
        }
    }
}

impl Phases {
    fn print(&self, suffix: &str) {
        let Ok(v) = self.0.lock() else { return };
        let parts: Vec<String> = v
            .windows(2)
            .map(|w| {
                format!(
                    "{} {:.2} s",
                    w[0].0,
                    w[1].1.duration_since(w[0].1).as_secs_f64()
                )
            })
            .collect();
        println!("          phases: {}{suffix}", parts.join(", "));
    }
}
