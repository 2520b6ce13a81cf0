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

fn make_server_cert(dir: &Path, ca_key: &Path, ca_crt: &Path) {
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
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n").unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "30", "-in"])
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
    l
}

fn spawn(slapd: &str, d: &Path, ldap_port: u16, ldaps_port: u16) -> Child {
    let child = Command::new(slapd)
        .arg("-f")
        .arg(d.join("slapd.conf"))
        .arg("-h")
        .arg(format!(
            "ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"
        ))
        .args(["-d", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", ldap_port)).is_err() {
        assert!(Instant::now() < deadline, "slapd did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
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
        make_server_cert(d, &ca_key, &ca_crt);
        make_ca(d, "other-ca", "Someone Else CA");
        std::fs::create_dir_all(d.join("db")).unwrap();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude /etc/ldap/schema/inetorgperson.schema\ninclude /etc/ldap/schema/nis.schema\n\
             pidfile {d}/slapd.pid\nargsfile {d}/slapd.args\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload ppolicy\nmoduleload refint\n\
             TLSCACertificateFile {d}/test-ca.crt\nTLSCertificateFile {d}/server.crt\nTLSCertificateKeyFile {d}/server.key\n\
             database mdb\nsuffix \"{BASE}\"\nrootdn \"{ADMIN}\"\nrootpw {PASSWORD}\ndirectory {d}/db\nmaxsize 104857600\n\
             index objectClass,entryUUID eq\noverlay ppolicy\noverlay refint\nrefint_attributes member uniqueMember\n",
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
        let (ldap_port, ldaps_port) = (free_port(), free_port());
        let child = spawn(slapd, d, ldap_port, ldaps_port);
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
        self.child = spawn(
            "/usr/sbin/slapd",
            self.dir.path(),
            self.ldap_port,
            self.ldaps_port,
        );
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
