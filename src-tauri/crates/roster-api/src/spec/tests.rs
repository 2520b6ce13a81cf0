//! Spec parsing: every error names its field and says what to fix.

use super::*;
use crate::kinds::ConnectionKind;

#[test]
fn the_minimal_demo_spec_parses() {
    let s = parse(r#"{"name": "Demo", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}"#).unwrap();
    assert!(matches!(s.connection, ConnectionRef::New(ref c) if c.kind() == ConnectionKind::Demo));
    assert_eq!(
        s.first_run,
        FirstRun::Manual,
        "a new sync waits for the admin's first run"
    );
}

#[test]
fn malformed_specs_say_what_to_fix() {
    let e = parse(r#"{"name": "Demo", "type": "user", "conection": {}}"#).unwrap_err();
    assert!(
        e.message.contains("conection") && e.message.contains("README"),
        "unknown fields are named: {}",
        e.message
    );
    let e = parse(r#"{"name": "D", "type": "user", "connection": {"kind": "demo", "users": 0}}"#)
        .unwrap_err();
    assert!(e.message.contains("1 to 1,000,000"), "{}", e.message);
    let e = parse("not json").unwrap_err();
    assert_eq!(e.code, crate::error::Code::Validation);
}

fn message(text: &str) -> String {
    parse(text)
        .map(|_| String::new())
        .unwrap_or_else(|e| e.message)
}

#[test]
fn errors_inside_a_connection_name_the_field() {
    let m = message(
        r#"{"name":"L","type":"user","groups":["g"],"connection":{"kind":"openldap","servers":["ldap://h"],"transport":"tls","base_dn":"dc=x"}}"#,
    );
    assert!(
        m.contains("\"connection.transport\"") && m.contains("tls") && !m.contains("untagged"),
        "a wrong value names its field: {m}"
    );
    let m = message(
        r#"{"name":"L","type":"user","groups":["g"],"connection":{"kind":"openldap","servers":"ldap://h","base_dn":"dc=x"}}"#,
    );
    assert!(
        m.contains("\"connection.servers\""),
        "a wrong type names its field: {m}"
    );
    let m = message(
        r#"{"name":"L","type":"user","groups":["g"],"connection":{"kind":"openldap","servers":["ldap://h"],"base_dn":"dc=x","colour":"red"}}"#,
    );
    assert!(
        m.contains("colour"),
        "an unknown field is refused by name: {m}"
    );
    let m = message(r#"{"name":"L","type":"user","connection":42}"#);
    assert!(m.contains("\"connection\"") && m.contains("conn-"), "{m}");
    let m = message(r#"{"name":"L","type":"user","connection":{"kind":"ldap"}}"#);
    assert!(
        m.contains("\"connection.kind\"") && m.contains("openldap"),
        "{m}"
    );
}

#[test]
fn unknown_fields_in_cloud_specs_are_refused() {
    let m = message(
        r#"{"name":"E","type":"user","groups":["All Staff"],"connection":{"kind":"entra","tenant":"contoso.onmicrosoft.com","client_id":"00000000-0000-0000-0000-000000000000","colour":"red"}}"#,
    );
    assert!(m.contains("colour"), "{m}");
    let m = message(
        r#"{"name":"E","type":"user","connection":{"kind":"entra","demo":true,"colour":"red"}}"#,
    );
    assert!(
        m.contains("connection.colour"),
        "a demo connection takes nothing else either: {m}"
    );
}

#[test]
fn a_cloud_spec_without_groups_is_refused_before_signing_in() {
    let m = message(
        r#"{"name":"E","type":"user","connection":{"kind":"entra","tenant":"contoso.onmicrosoft.com","client_id":"00000000-0000-0000-0000-000000000000"}}"#,
    );
    assert!(
        m.contains("\"groups\"") && m.contains("before signing in"),
        "{m}"
    );
    let m = message(
        r#"{"name":"E","type":"admin","connection":{"kind":"okta","org_url":"https://acme.okta.com","client_id":"0oa1"}}"#,
    );
    assert!(m.contains("\"roles\""), "{m}");
}

#[test]
fn a_byte_order_mark_is_accepted() {
    assert!(parse(
        "\u{feff}{\"name\": \"Demo\", \"type\": \"user\", \"connection\": {\"kind\": \"demo\"}}"
    )
    .is_ok());
}

#[test]
fn thresholds_over_100_get_the_same_message_whatever_their_size() {
    for t in [101, 300, 70000] {
        let m = message(&format!(
            r#"{{"name":"D","type":"user","deletion_threshold_percent":{t},"connection":{{"kind":"demo"}}}}"#
        ));
        assert!(
            m.contains("percentage from 0 to 100"),
            "{t} gets the friendly message: {m}"
        );
    }
}

#[test]
fn a_ca_certificate_is_given_once_and_must_be_one() {
    let both = r#"{"name":"L","type":"user","groups":["g"],"connection":{"kind":"openldap","servers":["ldaps://h"],"transport":"ldaps","base_dn":"dc=x","ca_cert_file":"/x.pem","ca_pem":"-----BEGIN CERTIFICATE-----"}}"#;
    assert!(message(both).contains("not both"), "{}", message(both));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-cert.pem");
    std::fs::write(&file, "hello\n").unwrap();
    let text = format!(
        r#"{{"name":"L","type":"user","groups":["g"],"connection":{{"kind":"openldap","servers":["ldaps://h"],"transport":"ldaps","base_dn":"dc=x","ca_cert_file":{}}}}}"#,
        serde_json::to_string(&file).unwrap()
    );
    let mut spec = parse(&text).expect("parsing reads no file");
    let e = spec.read_files().unwrap_err();
    assert!(
        e.message.contains("no usable CA certificate"),
        "a file without a certificate is refused when added: {}",
        e.message
    );
    let unread = parse(&text).unwrap();
    let ConnectionRef::New(c) = unread.connection else {
        panic!("inline connection expected")
    };
    assert!(
        c.check_files_read().unwrap_err().message.contains("ca_pem"),
        "a front door that reads no files says to paste the PEM"
    );
}

#[test]
fn names_are_capped_and_free_of_control_characters() {
    let long = "x".repeat(crate::names::NAME_MAX + 1);
    for bad in [long.as_str(), "Tab\there", "nul\u{0}", ""] {
        let m = message(&format!(
            r#"{{"name":{},"type":"user","connection":{{"kind":"demo"}}}}"#,
            serde_json::to_string(bad).unwrap()
        ));
        assert!(m.contains("\"name\""), "{bad:?} is refused: {m}");
    }
    let m =
        message(r#"{"name":"D","type":"user","connection":{"kind":"demo","name":"bell\u0007"}}"#);
    assert!(m.contains("connection.name"), "{m}");
}

#[test]
fn ldap_password_over_clear_transport_is_refused_unless_allowed() {
    let spec = |allow: bool| {
        format!(
            r#"{{"name":"L","type":"user","groups":["g"],"connection":{{"kind":"openldap","servers":["ldap://127.0.0.1:3389"],"transport":"clear","bind_dn":"cn=admin","bind_password":"pw","base_dn":"dc=x","allow_clear_password":{allow}}}}}"#
        )
    };
    assert!(
        parse(&spec(false))
            .unwrap_err()
            .message
            .contains("starttls"),
        "a clear-text password bind needs an explicit opt-in"
    );
    let ok = parse(&spec(true)).unwrap();
    let ConnectionRef::New(c) = ok.connection else {
        panic!("inline connection expected")
    };
    let (config, secrets) = c.split_secrets().unwrap();
    assert!(
        !config.to_string().contains("pw\""),
        "the stored settings never hold the password: {config}"
    );
    assert_eq!(
        secrets
            .iter()
            .map(|(n, v)| (*n, v.expose()))
            .collect::<Vec<_>>(),
        vec![("bind_password", "pw")],
        "the password goes to the keychain"
    );
    assert!(
        !format!("{c:?}").contains("\"pw\""),
        "and never reaches Debug output"
    );
}

#[test]
fn owners_cannot_be_mapped() {
    let mut m = BTreeMap::new();
    m.insert("cn=owners".to_string(), "Owner".to_string());
    assert!(parse_roles(&m)
        .unwrap_err()
        .message
        .contains("never synced"));
    m.insert("cn=owners".to_string(), "administrator".to_string());
    assert!(
        parse_roles(&m)
            .unwrap_err()
            .message
            .contains("not an administrator role"),
        "role names are case-sensitive, as in Duo"
    );
}
