//! A real OpenLDAP `slapd` on loopback ports with its own test CA, for the LDAP connector's tests and the
//! journeys in the repository's tests/ folder. Needs `slapd`, `ldap-utils` and `openssl` (the README's test
//! command installs them). Without `slapd` the tests say so and do nothing, unless
//! ROSTER_REQUIRE_SLAPD=1 (set by the test command), where a missing slapd is a failure.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use roster_connector_ldap::{DisabledWhen, Settings, Transport};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BASE: &str = "dc=example,dc=org";
pub const ADMIN: &str = "cn=admin,dc=example,dc=org";
pub const PASSWORD: &str = "secret";
/// The names the server's certificate is issued for (the tests connect to 127.0.0.1).
pub const SERVER_NAMES: &str = "DNS:localhost,IP:127.0.0.1";

pub struct Slapd {
    pub child: Child,
    dir: tempfile::TempDir,
    pub ldap_port: u16,
    pub ldaps_port: u16,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_ca(dir: &Path, file: &str, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{file}.key"));
    let crt = dir.join(format!("{file}.crt"));
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            &format!("/CN={name}"),
        ])
        .args(["-keyout"])
        .arg(&key)
        .args(["-out"])
        .arg(&crt)
        .args([
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]));
    (key, crt)
}

/// A server certificate from the CA at `ca_key`/`ca_crt`, for the subject alternative names `names`
/// (`DNS:…,IP:…`), valid for `days` from now (a negative number gives one that has already expired).
fn make_server_cert(dir: &Path, ca_key: &Path, ca_crt: &Path, names: &str, days: i32) {
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(dir.join("server.key"))
        .arg("-out")
        .arg(dir.join("server.csr")));
    std::fs::write(
        dir.join("ext.cnf"),
        format!("subjectAltName={names}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", &days.to_string(), "-in"])
        .arg(dir.join("server.csr"))
        .arg("-CA")
        .arg(ca_crt)
        .arg("-CAkey")
        .arg(ca_key)
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(dir.join("ext.cnf"))
        .arg("-out")
        .arg(dir.join("server.crt")));
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The test directory: nested groups with a cycle, a disabled account, non-ASCII names, entries lacking
/// attributes, a group of 1,600 members (more than slapd's default size limit of 500 entries).
fn ldif() -> String {
    let mut l = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=moved,{BASE}\nobjectClass: organizationalUnit\nou: moved\n\n\
         dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n\n"
    );
    let person = |uid: &str, cn: &str, extra: &str| {
        format!(
            "dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn:: {}\nsn: {uid}\ndisplayName:: {}\n{extra}\n",
            b64(cn),
            b64(cn)
        )
    };
    l += &person(
        "alice",
        "Alice Smith",
        "mail: alice@example.org\ntelephoneNumber: +1 555 0100\n",
    );
    l += &person(
        "bob",
        "Bob Jones",
        "mail: bob@example.org\npwdAccountLockedTime: 000001010000Z\n",
    );
    l += &person("zoe", "Zoë Ñúñez", "mail: zoe@example.org\n");
    l += &person("dave", "Dave NoMail", "");
    l += &person(
        "frank",
        "Frank Flagged",
        "mail: frank@example.org\nemployeeType: disabled\n",
    );
    l += &format!("dn: cn=nouid,ou=people,{BASE}\nobjectClass: inetOrgPerson\ncn: nouid\nsn: nouid\nmail: nouid@example.org\n\n");
    for i in 0..1600 {
        l += &format!("dn: uid=bulk{i},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: bulk{i}\ncn: Bulk {i}\nsn: {i}\nmail: bulk{i}@example.org\n\n");
    }
    let group = |cn: &str, members: &[String]| {
        let mut g = format!("dn: cn={cn},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: {cn}\ndescription: The {cn} group\n");
        for m in members {
            g += &format!("member: {m}\n");
        }
        g + "\n"
    };
    let u = |uid: &str| format!("uid={uid},ou=people,{BASE}");
    let g = |cn: &str| format!("cn={cn},ou=groups,{BASE}");
    l += &group("staff", &[u("alice"), g("engineering")]);
    l += &group(
        "engineering",
        &[
            u("bob"),
            u("zoe"),
            u("dave"),
            u("frank"),
            format!("cn=nouid,ou=people,{BASE}"),
            g("staff"),
        ],
    );
    l += &group(
        "everyone",
        &(0..1600)
            .map(|i| u(&format!("bulk{i}")))
            .collect::<Vec<_>>(),
    );
    l += &format!("dn: cn=ops,ou=groups,{BASE}\nobjectClass: posixGroup\ncn: ops\ngidNumber: 5000\nmemberUid: alice\nmemberUid: dave\n\n");
    l += &escaped_names();
    l += &staff_names();
    // Bind accounts with limits (see the `limits` lines in slapd.conf): one stopped at 100 entries even
    // when paging, one refused the paged-results control.
    for reader in ["reader", "nopage"] {
        l += &format!("dn: cn={reader},{BASE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: {reader}\nuserPassword: {PASSWORD}\n\n");
    }
    l
}

/// An entry whose DN and values are written base64 (LDIF's form for non-ASCII text and leading spaces).
fn entry(dn: &str, lines: &[(&str, &str)]) -> String {
    let mut e = format!("dn:: {}\n", b64(dn));
    for (k, v) in lines {
        e += &format!("{k}:: {}\n", b64(v));
    }
    e + "\n"
}

/// People whose names need RFC 4514 escapes (a comma, a plus, a leading '#' and one inside, quotes, a
/// backslash, non-ASCII, leading and trailing spaces, a multi-valued RDN), and groups whose member values
/// name them in other, equivalent spellings than the DNs slapd returns (`\2C` for `\,`, UTF-8 for
/// `\C3\A9`, …). slapadd -q stores member values as written, as a directory loaded from LDIF has them.
/// The uids are in ESCAPED_MEMBERS (the people of the "Doe, Fans+Friends" group, through "C# Devs" too).
fn escaped_names() -> String {
    let people = format!("ou=people,{BASE}");
    let mut l = String::new();
    for (rdn, uid, cn) in [
        ("cn=Doe\\, John", "jdoe", "Doe, John"),
        ("cn=Smith\\+Jones", "smithjones", "Smith+Jones"),
        ("cn=Ann Lee+uid=ann", "ann", "Ann Lee"),
        ("cn=\\#1 Fan C#", "fan", "#1 Fan C#"),
        ("cn=Renée Çağ", "renee", "Renée Çağ"),
        ("cn=\\ Padded Name\\ ", "padded", " Padded Name "),
        (
            "cn=James \\\"Jim\\\" Smith\\, III",
            "jim",
            "James \"Jim\" Smith, III",
        ),
        ("cn=Back\\\\slash", "backslash", "Back\\slash"),
    ] {
        l += &entry(
            &format!("{rdn},{people}"),
            &[
                ("objectClass", "inetOrgPerson"),
                ("uid", uid),
                ("cn", cn),
                ("sn", uid),
                ("mail", &format!("{uid}@example.org")),
            ],
        );
    }
    l += &entry(
        &format!("cn=C# Devs,ou=groups,{BASE}"),
        &[
            ("objectClass", "groupOfNames"),
            ("cn", "C# Devs"),
            ("member", &format!("uid=alice,{people}")),
        ],
    );
    let members = [
        "CN=Doe\\2C John, OU=People, DC=Example, DC=Org".to_string(),
        format!("cn = smith\\2bjones , ou=people,{BASE}"),
        format!("UID=ann+CN=ANN LEE,{people}"),
        format!("cn=\\#1 FAN C#,{people}"),
        format!("2.5.4.3=REN\\C3\\89E   \\C3\\87A\\C4\\9E,{people}"),
        format!("cn=\\20 padded name \\20,{people}"),
        format!("CommonName=James \\22Jim\\22 Smith\\2C III,{people}"),
        format!("commonName=back\\5cslash,{people}"),
        format!("cn=C\\23 Devs,ou=Groups,{BASE}"),
    ];
    let mut group = vec![("objectClass", "groupOfNames"), ("cn", "Doe, Fans+Friends")];
    group.extend(members.iter().map(|m| ("member", m.as_str())));
    l += &entry(
        &format!("cn=Doe\\, Fans\\+Friends,ou=groups,{BASE}"),
        &group,
    );
    // uniqueMember values may end in an optional unique identifier (#'0101'B); a '#' inside the DN is not one.
    let unique = [
        format!("cn=Doe\\, John,{people}#'0101'B"),
        format!("cn=\\#1 Fan C#,{people}"),
        format!("cn=Ren\\C3\\A9e \\C3\\87a\\C4\\9F,{people}#'1'B"),
    ];
    let mut group = vec![("objectClass", "groupOfUniqueNames"), ("cn", "Unique Fans")];
    group.extend(unique.iter().map(|m| ("uniqueMember", m.as_str())));
    l += &entry(&format!("cn=Unique Fans,ou=groups,{BASE}"), &group);
    l
}

/// The uids of the "Doe, Fans+Friends" group's members (alice through the nested "C# Devs").
pub const ESCAPED_MEMBERS: [&str; 9] = [
    "alice",
    "ann",
    "backslash",
    "fan",
    "jdoe",
    "jim",
    "padded",
    "renee",
    "smithjones",
];

/// Groups whose names contain "Staff": 60 named "Staff 001" to "Staff 060" and 1,050 named
/// "All Staff 0001" to "All Staff 1050" (more than a picker's page, and sorting before "Staff"), besides
/// the "staff" group, and a second group named exactly "STAFF" in another OU.
fn staff_names() -> String {
    let mut l = String::new();
    let alice = format!("uid=alice,ou=people,{BASE}");
    let names = (1..=60)
        .map(|i| format!("Staff {i:03}"))
        .chain((1..=1050).map(|i| format!("All Staff {i:04}")));
    for name in names {
        l += &format!("dn: cn={name},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: {name}\nmember: {alice}\n\n");
    }
    l += &format!("dn: cn=STAFF,ou=moved,{BASE}\nobjectClass: groupOfNames\ncn: STAFF\nmember: uid=bob,ou=people,{BASE}\n\n");
    l
}

/// How many groups the test directory has.
pub const GROUPS: usize = 4 + 3 + 60 + 1050 + 1;

/// Two distinct free loopback ports. Both listeners are held while the second is picked: released one
/// by one, the kernel may hand the same port out twice.
fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// Starts slapd and waits until it listens. `Err` carries slapd's own account when it exited first: a
/// port picked free can be taken by another process before slapd binds it, and slapd then stops at once
/// ("bind(6) failed errno=98"). Its log goes to `slapd.log` in the server's folder.
fn spawn(slapd: &str, d: &Path, ldap_port: u16, ldaps_port: u16) -> Result<Child, String> {
    let log = d.join("slapd.log");
    let mut child = Command::new(slapd)
        .arg("-f")
        .arg(d.join("slapd.conf"))
        .arg("-h")
        .arg(format!(
            "ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"
        ))
        // `-d 0` keeps slapd in the foreground but says nothing, even why it stopped; `-d none` also
        // keeps it there and logs only what it logs at every level, its start-up failures among them.
        .args(["-d", "none"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // The last lines of slapd's log, which say why it stopped.
    let tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", ldap_port)).is_ok() {
            return Ok(child);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return Err(format!(
                "slapd stopped ({status}) before listening on {ldap_port} and {ldaps_port}:\n{}",
                tail()
            ));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "slapd did not start listening on {ldap_port} within 20 s:\n{}",
                tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Slapd {
    pub fn start() -> Option<Slapd> {
        let slapd = ["/usr/sbin/slapd", "/usr/local/libexec/slapd"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(slapd) = slapd else {
            assert!(std::env::var("ROSTER_REQUIRE_SLAPD").as_deref() != Ok("1"), "slapd is required (ROSTER_REQUIRE_SLAPD=1) but not installed: apt-get install slapd ldap-utils");
            eprintln!("skipped: slapd is not installed (apt-get install slapd ldap-utils)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (ca_key, ca_crt) = make_ca(d, "test-ca", "Roster Test CA");
        make_server_cert(d, &ca_key, &ca_crt, SERVER_NAMES, 30);
        make_ca(d, "other-ca", "Someone Else CA");
        std::fs::create_dir_all(d.join("db")).unwrap();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude /etc/ldap/schema/inetorgperson.schema\ninclude /etc/ldap/schema/nis.schema\n\
             pidfile {d}/slapd.pid\nargsfile {d}/slapd.args\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload ppolicy\nmoduleload refint\n\
             TLSCACertificateFile {d}/test-ca.crt\nTLSCertificateFile {d}/server.crt\nTLSCertificateKeyFile {d}/server.key\n\
             database mdb\nsuffix \"{BASE}\"\nrootdn \"{ADMIN}\"\nrootpw {PASSWORD}\ndirectory {d}/db\nmaxsize 104857600\n\
             index objectClass,entryUUID eq\noverlay ppolicy\noverlay refint\nrefint_attributes member uniqueMember\n\
             limits dn.exact=\"cn=reader,{BASE}\" size.soft=100 size.hard=100 size.prtotal=100\n\
             limits dn.exact=\"cn=nopage,{BASE}\" size.soft=100 size.hard=100 size.prtotal=disabled\n",
            d = d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).unwrap();
        std::fs::write(d.join("data.ldif"), ldif()).unwrap();
        run(Command::new("/usr/sbin/slapadd")
            .arg("-q")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-l")
            .arg(d.join("data.ldif")));
        // A port taken between being picked and being bound costs one attempt on fresh ports, not the test.
        let mut failures = Vec::new();
        let (child, ldap_port, ldaps_port) = loop {
            let (ldap_port, ldaps_port) = free_ports();
            match spawn(slapd, d, ldap_port, ldaps_port) {
                Ok(child) => break (child, ldap_port, ldaps_port),
                Err(e) if failures.len() < 2 => failures.push(e),
                Err(e) => panic!("{}\n{e}", failures.join("\n")),
            }
        };
        Some(Slapd {
            child,
            dir,
            ldap_port,
            ldaps_port,
        })
    }

    /// Stops the server (as a crash or a reboot would).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same ports with the same data.
    pub fn restart(&mut self) {
        self.stop();
        // The same ports, since clients were configured with them: a failure here is the test's.
        self.child = spawn(
            "/usr/sbin/slapd",
            self.dir.path(),
            self.ldap_port,
            self.ldaps_port,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Replaces the server's certificate with one from the same test CA for the names `names`, valid
    /// for `days` (negative: already expired), and restarts the server to serve it.
    pub fn reissue_server_certificate(&mut self, names: &str, days: i32) {
        let d = self.dir.path();
        make_server_cert(
            d,
            &d.join("test-ca.key"),
            &d.join("test-ca.crt"),
            names,
            days,
        );
        self.restart();
    }

    pub fn ca(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.crt"))).unwrap()
    }

    pub fn settings(&self, transport: Transport) -> Settings {
        let server = match transport {
            Transport::Ldaps => format!("ldaps://127.0.0.1:{}", self.ldaps_port),
            Transport::Clear | Transport::Starttls => {
                format!("ldap://127.0.0.1:{}", self.ldap_port)
            }
        };
        Settings {
            servers: vec![server],
            transport,
            ca_pem: Some(self.ca("test-ca")),
            verify_hostname: true,
            connect_timeout_secs: 10,
            search_timeout_secs: 30,
            bind_dn: Some(ADMIN.into()),
            bind_method: Default::default(),
            kerberos_host: None,
            base_dn: BASE.into(),
            allow_clear_password: false,
            user_object_class: None,
            group_object_class: None,
            member_attribute: None,
            disabled_when: Some(DisabledWhen {
                attribute: "employeeType".into(),
                value: Some("disabled".into()),
            }),
            page_size: 1000,
            member_range: None,
        }
    }
}
