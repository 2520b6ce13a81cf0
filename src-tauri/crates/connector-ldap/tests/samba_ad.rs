//! The LDAP connector against a real Samba Active Directory domain controller, provisioned by this test
//! into a temporary directory (realm SAMDOM.TEST) with its own test CA.
//!
//! Samba's LDAP ports are fixed (389/636), so the test runs only where it may take them: inside a private
//! network namespace, as the README's test command arranges
//! (`unshare -n` + ROSTER_SAMBA_TEST=1). Anywhere else it says so and does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_connector_ldap::{Flavor, LdapConnector, Settings, Transport};
use roster_core::source::{Connector, ConnectorError, FetchRequest};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "Passw0rd!2024";
const BASE: &str = "DC=samdom,DC=test";

struct Samba {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Samba {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

impl Samba {
    fn conf(&self) -> String {
        self.dir
            .path()
            .join("dc/etc/smb.conf")
            .display()
            .to_string()
    }

    fn tool(&self, args: &[&str]) -> String {
        run(Command::new("samba-tool")
            .args(args)
            .arg("-s")
            .arg(self.conf()))
    }

    fn start() -> Samba {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path();
        run(Command::new("samba-tool")
            .args([
                "domain",
                "provision",
                "--realm=SAMDOM.TEST",
                "--domain=SAMDOM",
                "--server-role=dc",
                "--dns-backend=SAMBA_INTERNAL",
                &format!("--adminpass={ADMIN_PASSWORD}"),
                "--use-rfc2307",
                "--host-name=dc1",
                "--host-ip=127.0.0.1",
                "--option=interfaces=127.0.0.1",
                "--option=bind interfaces only=yes",
            ])
            .arg(format!("--targetdir={}", t.join("dc").display())));
        // A test CA and a server certificate with the names rustls checks (Samba's own has no SAN).
        // smb.conf below also lets SASL (Kerberos) binds over TLS go without SASL signing or sealing, as
        // Windows DCs do; simple binds over clear LDAP stay refused.
        let tls = t.join("dc/private/mytls");
        std::fs::create_dir_all(&tls).unwrap();
        let p = |f: &str| tls.join(f).display().to_string();
        run(Command::new("openssl").args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=Samba Test CA",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.crt"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]));
        run(Command::new("openssl").args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=dc1.samdom.test",
            "-keyout",
            &p("server.key"),
            "-out",
            &p("server.csr"),
        ]));
        std::fs::write(tls.join("ext.cnf"), "subjectAltName=DNS:localhost,DNS:dc1.samdom.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n").unwrap();
        run(Command::new("openssl").args([
            "x509",
            "-req",
            "-days",
            "30",
            "-in",
            &p("server.csr"),
            "-CA",
            &p("ca.crt"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-extfile",
            &p("ext.cnf"),
            "-out",
            &p("server.crt"),
        ]));
        run(Command::new("chmod").args(["0600", &p("server.key")]));
        let conf_path = t.join("dc/etc/smb.conf");
        let conf = std::fs::read_to_string(&conf_path).unwrap();
        let extra = format!(
            "[global]\n\tserver services = ldap cldap kdc rpc\n\tdns forwarder = 127.0.0.1\n\tlog file = {d}/log.%m\n\tpid directory = {d}\n\tncalrpc dir = {d}/ncalrpc\n\ttls enabled = yes\n\tldap server require strong auth = allow_sasl_over_tls\n\ttls keyfile = {k}\n\ttls certfile = {c}\n\ttls cafile = {a}\n",
            d = t.join("dc").display(),
            k = p("server.key"),
            c = p("server.crt"),
            a = p("ca.crt")
        );
        std::fs::write(&conf_path, conf.replacen("[global]\n", &extra, 1)).unwrap();
        let child = Command::new("samba")
            .args(["-F", "-M", "single", "-d", "0", "-s"])
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let s = Samba { child, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", 636)).is_err() {
            assert!(
                Instant::now() < deadline,
                "samba did not start listening on 636"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        s.tool(&[
            "user",
            "create",
            "alice",
            "Passw0rd!1",
            "--given-name=Alice",
            "--surname=Smith",
            "--mail-address=alice@samdom.test",
        ]);
        s.tool(&[
            "user",
            "create",
            "bob",
            "Passw0rd!1",
            "--given-name=Bob",
            "--surname=Jones",
            "--mail-address=bob@samdom.test",
        ]);
        s.tool(&[
            "user",
            "create",
            "zoe",
            "Passw0rd!1",
            "--given-name=Zoë",
            "--surname=Núñez",
        ]);
        s.tool(&["group", "add", "Engineering"]);
        s.tool(&["group", "add", "Staff"]);
        s.tool(&["group", "addmembers", "Engineering", "alice,zoe"]);
        s.tool(&["group", "addmembers", "Staff", "Engineering,bob"]);
        s.tool(&["user", "disable", "bob"]);
        s
    }

    fn ca(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dc/private/mytls/ca.crt")).unwrap()
    }

    fn settings(&self, transport: Transport, bind: &str) -> Settings {
        Settings {
            servers: vec![match transport {
                Transport::Ldaps => "ldaps://127.0.0.1:636".into(),
                _ => "ldap://127.0.0.1:389".into(),
            }],
            transport,
            ca_pem: Some(self.ca()),
            verify_hostname: true,
            connect_timeout_secs: 20,
            search_timeout_secs: 60,
            bind_dn: Some(bind.into()),
            bind_method: Default::default(),
            kerberos_host: None,
            base_dn: BASE.into(),
            allow_clear_password: false,
            user_object_class: None,
            group_object_class: None,
            member_attribute: None,
            disabled_when: None,
            page_size: 1000,
            member_range: None,
        }
    }
}

fn request() -> FetchRequest {
    FetchRequest {
        since: None,
        groups: vec![format!("CN=Staff,CN=Users,{BASE}")],
        attributes: [
            "sAMAccountName",
            "mail",
            "givenName",
            "sn",
            "displayName",
            "userPrincipalName",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    }
}

fn ad(s: Settings) -> LdapConnector {
    LdapConnector::new(Flavor::ActiveDirectory, s, Some(ADMIN_PASSWORD.into()))
}

#[tokio::test]
async fn active_directory_through_samba() {
    if std::env::var("ROSTER_SAMBA_TEST").as_deref() != Ok("1")
        || !Path::new("/usr/sbin/samba").exists()
    {
        eprintln!("skipped: the Samba AD test runs under the README's test command, in a private network namespace (ROSTER_SAMBA_TEST=1)");
        return;
    }
    let samba = Samba::start();

    if std::env::var("ROSTER_RECORD_FIXTURES").as_deref() == Ok("1") {
        // Raw entries for the pure mapping tests (tests/fixtures/active_directory.json).
        let s = samba.settings(Transport::Ldaps, "SAMDOM\\Administrator");
        let mut session = roster_connector_ldap::client::open(&s, Some(ADMIN_PASSWORD))
            .await
            .unwrap();
        let attrs = [
            "sAMAccountName",
            "userPrincipalName",
            "mail",
            "givenName",
            "sn",
            "displayName",
            "objectGUID",
            "objectSid",
            "userAccountControl",
            "uSNChanged",
        ]
        .map(String::from);
        let filter = "(&(objectCategory=person)(objectClass=user)(|(sAMAccountName=alice)(sAMAccountName=bob)(sAMAccountName=zoe)))";
        let users = roster_connector_ldap::client::search(&mut session.ldap, &s, filter, &attrs)
            .await
            .unwrap();
        let gattrs = ["cn", "description", "member", "objectGUID"].map(String::from);
        let groups = roster_connector_ldap::client::search(
            &mut session.ldap,
            &s,
            "(&(objectClass=group)(|(cn=Staff)(cn=Engineering)))",
            &gattrs,
        )
        .await
        .unwrap();
        let out = serde_json::json!({"users": users, "groups": groups});
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/active_directory.json"
            ),
            serde_json::to_string_pretty(&out).unwrap(),
        )
        .unwrap();
    }

    // LDAPS with a down-level logon name (DOMAIN\user).
    let b = ad(samba.settings(Transport::Ldaps, "SAMDOM\\Administrator"))
        .fetch(&request())
        .await
        .unwrap();
    let mut names: Vec<&str> = b
        .users
        .iter()
        .filter_map(|u| u.first("sAMAccountName"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["alice", "bob", "zoe"],
        "Staff's members, through the nested Engineering group"
    );
    let by = |n: &str| {
        b.users
            .iter()
            .find(|u| u.first("sAMAccountName") == Some(n))
            .unwrap()
    };
    assert!(
        by("bob").disabled,
        "userAccountControl bit 0x2 means disabled"
    );
    assert!(!by("alice").disabled);
    assert_eq!(
        by("zoe").first("givenName"),
        Some("Zoë"),
        "non-ASCII names arrive intact"
    );
    let guid = &by("alice").external_id;
    assert!(
        guid.len() == 36 && guid.chars().filter(|c| *c == '-').count() == 4,
        "objectGUID is the stable id: {guid}"
    );

    // STARTTLS with the user principal name.
    let b2 = ad(samba.settings(Transport::Starttls, "Administrator@samdom.test"))
        .fetch(&request())
        .await
        .unwrap();
    assert_eq!(b2.users.len(), 3, "STARTTLS and a UPN bind work too");

    // Members read in ranges of one value (member;range=0-0, then 1-*): the same result.
    let mut ranged = samba.settings(Transport::Ldaps, "SAMDOM\\Administrator");
    ranged.member_range = Some(1);
    let b_ranged = ad(ranged).fetch(&request()).await.unwrap();
    let mut ranged_names: Vec<&str> = b_ranged
        .users
        .iter()
        .filter_map(|u| u.first("sAMAccountName"))
        .collect();
    ranged_names.sort();
    assert_eq!(
        ranged_names, names,
        "range retrieval reads every member, chunk by chunk"
    );

    // A password bind in clear text: Samba demands a secure connection, and the message says so.
    let mut clear = samba.settings(Transport::Clear, "SAMDOM\\Administrator");
    clear.allow_clear_password = true;
    let err = ad(clear).fetch(&request()).await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::Configuration(ref m) if m.contains("secure connection")),
        "{err}"
    );

    // Incremental: uSNChanged marks what changed since the cursor.
    let mut session = roster_connector_ldap::client::open(
        &samba.settings(Transport::Ldaps, "SAMDOM\\Administrator"),
        Some(ADMIN_PASSWORD),
    )
    .await
    .unwrap();
    let c = ad(samba.settings(Transport::Ldaps, "SAMDOM\\Administrator"));
    let full = c.fetch(&request()).await.unwrap();
    let known = full.users.iter().map(|u| u.external_id.clone()).collect();
    let mut since_req = request();
    since_req.since = Some(roster_core::source::Since {
        cursor: full.cursor.clone().expect("a cursor"),
        known,
    });
    let (rs, _) = session
        .ldap
        .search(
            &format!("CN=Bob Jones,CN=Users,{BASE}"),
            ldap3::Scope::Base,
            "(objectClass=*)",
            vec!["1.1"],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    assert_eq!(
        rs.len(),
        1,
        "bob's DN is CN=Bob Jones (samba-tool names users by their full name)"
    );
    let mail = std::collections::HashSet::from(["bob.jones@samdom.test"]);
    session
        .ldap
        .modify(
            &format!("CN=Bob Jones,CN=Users,{BASE}"),
            vec![ldap3::Mod::Replace("mail", mail)],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    let inc = c.fetch(&since_req).await.unwrap();
    assert!(inc.incremental, "the cursor was used");
    assert_eq!(
        inc.users
            .iter()
            .filter_map(|u| u.first("sAMAccountName"))
            .collect::<Vec<_>>(),
        vec!["bob"],
        "only bob changed"
    );
    assert_eq!(inc.unchanged.len(), 2);

    // Integrated sign-in: Kerberos (GSSAPI) against the domain's own KDC, no password stored. Without a
    // ticket the sign-in fails with a message that says how to get one.
    let d = samba.dir.path();
    std::fs::write(
        d.join("krb5.conf"),
        "[libdefaults]\n default_realm = SAMDOM.TEST\n dns_lookup_kdc = false\n dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n\
         [realms]\n SAMDOM.TEST = {\n  kdc = 127.0.0.1\n }\n[domain_realm]\n .samdom.test = SAMDOM.TEST\n",
    )
    .unwrap();
    // The process's Kerberos library reads these; this test binary runs alone in its namespace.
    std::env::set_var("KRB5_CONFIG", d.join("krb5.conf"));
    std::env::set_var("KRB5CCNAME", format!("FILE:{}", d.join("ccache").display()));
    let mut kerberos = samba.settings(Transport::Starttls, "unused");
    kerberos.bind_dn = None;
    kerberos.bind_method = roster_connector_ldap::BindMethod::Kerberos;
    kerberos.kerberos_host = Some("dc1.samdom.test".into());
    let kerberos_ok = kerberos.clone();
    let err = LdapConnector::new(Flavor::ActiveDirectory, kerberos, None)
        .fetch(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectorError::Unauthorized(ref m) if m.contains("kinit")),
        "without a ticket, the message says how to get one: {err}"
    );
    // With a ticket it works. Samba adds the DC's ldap/ service principals with samba_spnupdate (normally
    // from its dnsupdate service, which this minimal DC does not run).
    run(Command::new("samba_spnupdate").arg("-s").arg(samba.conf()));
    let keytab = d.join("admin.keytab").display().to_string();
    samba.tool(&[
        "domain",
        "exportkeytab",
        &keytab,
        "--principal=Administrator@SAMDOM.TEST",
    ]);
    run(Command::new("kinit").args(["-k", "-t", &keytab, "Administrator@SAMDOM.TEST"]));
    let b = LdapConnector::new(Flavor::ActiveDirectory, kerberos_ok, None)
        .fetch(&request())
        .await
        .unwrap();
    assert_eq!(
        b.users.len(),
        3,
        "Kerberos sign-in reads the directory with the ticket"
    );

    // A rename and a move keep the objectGUID.
    samba.tool(&["user", "rename", "alice", "--samaccountname=alice.smith"]);
    samba.tool(&["ou", "create", &format!("OU=Moved,{BASE}")]);
    samba.tool(&["user", "move", "alice.smith", &format!("OU=Moved,{BASE}")]);
    let b3 = ad(samba.settings(Transport::Ldaps, "SAMDOM\\Administrator"))
        .fetch(&request())
        .await
        .unwrap();
    let moved = b3
        .users
        .iter()
        .find(|u| u.first("sAMAccountName") == Some("alice.smith"))
        .expect("alice is still a member after the move");
    assert_eq!(
        &moved.external_id, guid,
        "same objectGUID after a rename and a move"
    );

    names_that_need_escaping(&samba).await;
    lookups_match_the_full_fetch(&samba).await;
}

/// Users and a group whose names need RFC 4514 escapes (a comma, a plus, a leading '#' and one inside,
/// non-ASCII), made over LDAP (samba-tool writes names into DNs unescaped), the group's members added by
/// other spellings of their DNs and selected by another spelling of its own: every member is in the
/// fetched group, and the group picker and exact-name lookup find it.
async fn names_that_need_escaping(samba: &Samba) {
    use std::collections::HashSet;
    let s = samba.settings(Transport::Ldaps, "SAMDOM\\Administrator");
    let mut session = roster_connector_ldap::client::open(&s, Some(ADMIN_PASSWORD))
        .await
        .unwrap();
    let users = format!("CN=Users,{BASE}");
    for (rdn, sam) in [
        ("CN=Doe\\, John", "jdoe"),
        ("CN=Smith\\+Jones", "smithjones"),
        ("CN=\\#1 Fan C#", "fan"),
        ("CN=Renée Çağ", "renee"),
    ] {
        session
            .ldap
            .add(
                &format!("{rdn},{users}"),
                vec![
                    (
                        "objectClass",
                        HashSet::from(["top", "person", "organizationalPerson", "user"]),
                    ),
                    ("sAMAccountName", HashSet::from([sam])),
                ],
            )
            .await
            .unwrap()
            .success()
            .unwrap_or_else(|e| panic!("adding {rdn}: {e}"));
    }
    let fans = format!("CN=Doe\\, Fans,{users}");
    session
        .ldap
        .add(
            &fans,
            vec![
                ("objectClass", HashSet::from(["top", "group"])),
                ("sAMAccountName", HashSet::from(["doefans"])),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    let members = HashSet::from([
        "cn=doe\\2c john,cn=users,dc=samdom,dc=test".to_string(),
        format!("CN=Smith\\2BJones,{users}"),
        format!("CN=\\231 Fan C\\23,{users}"),
        format!("CN=Ren\\C3\\A9e \\C3\\87a\\C4\\9F,{users}"),
    ]);
    session
        .ldap
        .modify(
            &fans,
            vec![ldap3::Mod::Add(
                "member",
                members.iter().map(String::as_str).collect(),
            )],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    let _ = session.ldap.unbind().await;

    let c = ad(s);
    let mut req = request();
    // The group as the DC spells it, then in another spelling.
    for selected in [
        fans.as_str(),
        "cn=doe\\2C fans, cn=users, dc=samdom, dc=test",
    ] {
        req.groups = vec![selected.into()];
        let b = c.fetch(&req).await.unwrap();
        assert!(b.missing_groups.is_empty(), "{:?}", b.missing_groups);
        let mut names: Vec<&str> = b
            .users
            .iter()
            .filter_map(|u| u.first("sAMAccountName"))
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec!["fan", "jdoe", "renee", "smithjones"],
            "every member is kept, whatever the escapes in its DN ({selected})"
        );
        assert_eq!(b.groups[0].members.len(), 4);
    }
    let b = c.fetch(&req).await.unwrap();
    let jdoe = b
        .users
        .iter()
        .find(|u| u.first("sAMAccountName") == Some("jdoe"))
        .unwrap();
    assert_eq!(
        jdoe.locator.as_deref(),
        Some("CN=Doe\\, John,CN=Users,DC=samdom,DC=test"),
        "the locator is the DN as the server returned it"
    );

    let picked = c.search_groups("doe, f", 10).await.unwrap();
    assert_eq!(
        picked
            .iter()
            .map(|g| (g.name.as_str(), g.member_count))
            .collect::<Vec<_>>(),
        vec![("Doe, Fans", Some(4))],
        "the picker finds the group, with its member count"
    );
    let all = c.search_groups("", 1000).await.unwrap();
    assert!(
        all.iter()
            .any(|g| g.name == "Staff" && g.member_count == Some(2)),
        "an empty query lists the groups: {all:?}"
    );
    let named = c.groups_named("DOE, FANS").await.unwrap();
    assert_eq!(
        named.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        vec!["Doe, Fans"]
    );
    assert_eq!(c.groups_named("Staff").await.unwrap().len(), 1);
}

/// An individual lookup (one user's sync walks up from the user's entry) says what the full fetch says
/// about each user: for every selected group, its name and description and whether the user is in it,
/// nested (alice and zoe through Engineering), escaped names, a user in no selected group.
async fn lookups_match_the_full_fetch(samba: &Samba) {
    let c = ad(samba.settings(Transport::Ldaps, "SAMDOM\\Administrator"));
    let users = format!("CN=Users,{BASE}");
    let mut req = request();
    req.groups = vec![
        format!("CN=Staff,{users}"),
        format!("cn=engineering, {users}"),
        format!("CN=Doe\\2C Fans,{users}"),
        format!("CN=No Such Group,{users}"),
    ];
    let full = c.fetch(&req).await.unwrap();
    let mut found = 0;
    // alice was renamed alice.smith and moved out of CN=Users above.
    for sam in [
        "alice.smith",
        "bob",
        "zoe",
        "jdoe",
        "fan",
        "renee",
        "Administrator",
        "nobody",
    ] {
        let l = c.fetch_user(&req, "sAMAccountName", sam).await.unwrap();
        let id = l.user.as_ref().map(|u| u.external_id.clone());
        assert_eq!(id.is_some(), sam != "nobody", "{sam} is found");
        let got: Vec<_> = l
            .groups
            .iter()
            .map(|(g, m)| {
                (
                    g.external_id.clone(),
                    g.name.clone(),
                    g.description.clone(),
                    *m,
                )
            })
            .collect();
        let expected: Vec<_> = full
            .groups
            .iter()
            .map(|g| {
                let m = id.as_ref().is_some_and(|id| g.members.contains(id));
                (
                    g.external_id.clone(),
                    g.name.clone(),
                    g.description.clone(),
                    m,
                )
            })
            .collect();
        assert_eq!(got, expected, "{sam}'s groups");
        if let Some(u) = full
            .users
            .iter()
            .find(|u| Some(&u.external_id) == id.as_ref())
        {
            assert_eq!(Some(u), l.user.as_ref(), "{sam} reads as in the full fetch");
        }
        found += got.iter().filter(|g| g.3).count();
    }
    // alice, zoe: Staff (nested) and Engineering; bob: Staff; jdoe, fan, renee: Doe, Fans.
    assert_eq!(found, 2 + 2 + 1 + 3, "the nested memberships are found");
}
