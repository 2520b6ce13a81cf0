//! Filters (RFC 7644 §3.4.2.2): the RFC's own examples against its example user, every operator,
//! precedence, grouping, escapes, case rules, and invalid filters with their messages.

use crate::fixture;
use roster_scim::{Filter, Lookup, ResourceKind, ScimType};
use serde_json::{json, Value};

fn bjensen() -> Value {
    serde_json::from_slice(&fixture("rfc/user-enterprise.json")).unwrap()
}

fn user_filter(f: &str) -> Filter {
    Filter::parse(ResourceKind::User, f).unwrap_or_else(|e| panic!("{f}: {e}"))
}

fn matches(f: &str, resource: &Value) -> bool {
    user_filter(f).matches(resource)
}

#[test]
fn the_rfc_examples_parse_and_match_the_rfc_user() {
    let u = bjensen();
    // RFC 7644 §3.4.2.2's examples, with the outcome for the RFC's example user (RFC 7643 §8.3).
    let cases = [
        ("userName eq \"bjensen@example.com\"", true),
        ("name.familyName co \"O'Malley\"", false),
        ("userName sw \"J\"", false),
        ("userName sw \"b\"", true),
        ("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"B\"", true),
        ("title pr", true),
        ("meta.lastModified gt \"2011-05-13T04:42:34Z\"", false),
        ("meta.lastModified ge \"2011-05-13T04:42:34Z\"", true),
        ("meta.lastModified lt \"2011-05-13T04:42:34Z\"", false),
        ("meta.lastModified le \"2011-05-13T04:42:34Z\"", true),
        ("title pr and userType eq \"Employee\"", true),
        ("title pr or userType eq \"Intern\"", true),
        (
            "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
            true,
        ),
        (
            "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
            true,
        ),
        (
            "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
            false,
        ),
        ("userType eq \"Employee\" and (emails.type eq \"work\")", true),
        (
            "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
            true,
        ),
        (
            "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
            true,
        ),
    ];
    for (f, want) in cases {
        assert_eq!(matches(f, &u), want, "{f}");
    }
}

#[test]
fn every_operator_on_strings() {
    let u = bjensen();
    let cases = [
        ("title eq \"Tour Guide\"", true),
        ("title eq \"Tour\"", false),
        ("title ne \"Tour\"", true),
        ("title ne \"tour guide\"", false),
        ("title co \"our G\"", true),
        ("title sw \"Tour\"", true),
        ("title ew \"Guide\"", true),
        ("title ew \"Tour\"", false),
        ("title gt \"Tour\"", true),
        ("title ge \"Tour Guide\"", true),
        ("title lt \"Tour\"", false),
        ("title le \"tour guide\"", true),
        ("title pr", true),
        ("nickName pr", true),
        ("timezone lt \"B\"", true),
    ];
    for (f, want) in cases {
        assert_eq!(matches(f, &u), want, "{f}");
    }
}

#[test]
fn booleans_numbers_and_null() {
    let u = bjensen();
    assert!(matches("active eq true", &u));
    assert!(!matches("active eq false", &u));
    assert!(matches("active ne false", &u));
    assert!(
        matches("ACTIVE EQ TRUE", &u),
        "keywords and literals ignore case"
    );
    assert!(
        matches("active eq \"True\"", &u),
        "a quoted boolean compares as the boolean (Entra sends booleans as strings)"
    );
    assert!(matches(
        "emails[primary eq true].value eq \"bjensen@example.com\"",
        &u
    ));
    assert!(matches("displayName eq null", &json!({"userName": "x"})));
    assert!(!matches("displayName eq null", &u));
    assert!(matches("displayName ne null", &u));
    assert!(
        matches(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984",
            &u
        ),
        "a number compared with a string attribute compares as its text"
    );
}

#[test]
fn date_times_compare_as_instants() {
    let u = bjensen();
    assert!(matches(
        "meta.lastModified eq \"2011-05-13T06:42:34+02:00\"",
        &u
    ));
    assert!(!matches(
        "meta.lastModified gt \"2011-05-13T06:42:34+02:00\"",
        &u
    ));
    assert!(matches("meta.created lt \"2011-01-01T00:00:00Z\"", &u));
    assert!(
        matches("meta.created sw \"2010-01\"", &u),
        "sw on a date compares the text"
    );
}

#[test]
fn and_binds_tighter_than_or_and_parentheses_group() {
    let u = json!({"userName": "a", "title": "t"});
    // a: true, b: false, c: false.
    let (a, b, c) = ("userName eq \"a\"", "userName eq \"b\"", "nickName pr");
    assert!(
        matches(&format!("{a} or {b} and {c}"), &u),
        "a or b and c is a or (b and c)"
    );
    assert!(!matches(&format!("({a} or {b}) and {c}"), &u));
    assert!(
        matches(&format!("{c} and {b} or {a}"), &u),
        "(c and b) or a"
    );
    assert!(!matches(&format!("{c} and ({b} or {a})"), &u));
    assert!(matches(&format!("not ({c})"), &u));
    assert!(
        matches(&format!("not({c}) and {a}"), &u),
        "not( without a space"
    );
    assert!(!matches(&format!("not ({a} or {b})"), &u));
    assert!(matches(&format!("(({a}))"), &u));
}

#[test]
fn strings_take_json_escapes() {
    let u = json!({
        "userName": "x",
        "name": {"familyName": "O\"Malley \\ caf\u{e9} \u{1F600}"},
    });
    assert!(matches(r#"name.familyName sw "O\"Malley""#, &u));
    assert!(matches(r#"name.familyName co "\\""#, &u));
    assert!(matches(r#"name.familyName co "caf\u00e9""#, &u));
    assert!(
        matches(r#"name.familyName co "\u00C9""#, &u),
        "case-insensitive beyond ASCII"
    );
    assert!(
        matches(r#"name.familyName ew "\ud83d\ude00""#, &u),
        "surrogate pairs"
    );
}

#[test]
fn case_follows_the_schema() {
    let u = bjensen();
    assert!(
        matches("USERNAME Eq \"BJENSEN@EXAMPLE.COM\"", &u),
        "userName is not caseExact"
    );
    assert!(matches("emails.value eq \"BJensen@Example.com\"", &u));
    assert!(
        !matches("id eq \"2819C223-7F76-453A-919D-413861904646\"", &u),
        "id is caseExact"
    );
    assert!(matches(
        "ID eq \"2819c223-7f76-453a-919d-413861904646\"",
        &u
    ));
    assert!(matches("externalId eq \"701984\"", &u));
    let g = json!({"externalId": "AbC"});
    assert!(
        !matches("externalId eq \"abc\"", &g),
        "externalId is caseExact"
    );
}

#[test]
fn urn_prefixed_and_extension_attributes() {
    let u = bjensen();
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    assert!(matches(&format!("{ent}:employeeNumber eq \"701984\""), &u));
    assert!(matches(&format!("{ent}:department sw \"tour\""), &u));
    assert!(matches(
        &format!("{ent}:manager.value eq \"26118915-6090-4610-87e4-49d8ca9f808d\""),
        &u
    ));
    assert!(
        matches("manager eq \"26118915-6090-4610-87e4-49d8ca9f808d\"", &u),
        "Entra's bare `manager` compares the manager's value"
    );
    assert!(matches(
        "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:NAME.GIVENNAME eq \"barbara\"",
        &u
    ));
}

#[test]
fn value_filters_and_entras_sub_attribute_form() {
    let u = bjensen();
    assert!(matches("emails[type eq \"work\"]", &u));
    assert!(!matches("emails[type eq \"other\"]", &u));
    assert!(matches(
        "emails[type eq \"work\"].value eq \"bjensen@example.com\"",
        &u
    ));
    assert!(
        !matches("emails[type eq \"work\"].value eq \"babs@jensen.org\"", &u),
        "the value must belong to the email the bracket selects, not any email"
    );
    assert!(matches(
        "addresses[type eq \"home\" and locality sw \"holly\"]",
        &u
    ));
    assert!(matches("addresses[not (type eq \"work\")]", &u));
    assert!(matches("emails[TYPE EQ \"WORK\"]", &u));
}

#[test]
fn groups_filter_on_display_name_and_rendered_members() {
    let g: Value = serde_json::from_slice(&fixture("rfc/group.json")).unwrap();
    let f = Filter::parse(ResourceKind::Group, "displayName eq \"tour guides\"").unwrap();
    assert!(f.matches(&g));
    assert!(!f.mentions_members());
    let m = Filter::parse(
        ResourceKind::Group,
        "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]",
    )
    .unwrap();
    assert!(
        m.mentions_members(),
        "the caller must render members for this one"
    );
    assert!(m.matches(&g));
    assert!(Filter::parse(ResourceKind::Group, "userName eq \"x\"").is_err());
}

fn invalid(f: &str) -> String {
    let e = Filter::parse(ResourceKind::User, f).expect_err(f);
    assert_eq!(e.status, 400, "{f}");
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{f}");
    e.detail
}

#[test]
fn invalid_filters_say_where_and_what_to_send() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["empty"]),
        ("   ", &["empty"]),
        (
            "userName eq",
            &["character 12", "expected a value after \"eq\""],
        ),
        (
            "userName equals \"x\"",
            &["character 10", "expected an operator", "\"equals\""],
        ),
        ("userName eq \"x", &["character 13", "not closed"]),
        ("(userName eq \"x\"", &["expected \")\""]),
        (
            "userName eq \"x\")",
            &["character 16", "\")\" has no matching \"(\""],
        ),
        (
            "userName eq \"x\" userName eq \"y\"",
            &["join expressions with \"and\" or \"or\""],
        ),
        (
            "userName eq \"a\" and",
            &["expected an attribute name", "the end"],
        ),
        ("nope eq \"x\"", &["\"nope\" is not an attribute of User"]),
        (
            "name.nope eq \"x\"",
            &["\"nope\" is not a sub-attribute of name"],
        ),
        ("active gt true", &["boolean", "eq or ne"]),
        ("active eq \"yes\"", &["boolean", "true or false"]),
        ("meta.created gt \"yesterday\"", &["date-time", "RFC 3339"]),
        ("emails[type eq \"work\"", &["\"]\""]),
        (
            "emails[nope eq \"work\"]",
            &["not a sub-attribute of emails"],
        ),
        ("userName[type eq \"work\"]", &["multi-valued complex"]),
        (
            "not title pr",
            &["\"not\" must be followed by a filter in parentheses"],
        ),
        ("name eq \"x\"", &["name is complex", "name.givenName"]),
        ("userName eq 'x'", &["character '''"]),
        (
            "userName eq \"x\" and or",
            &["expected an attribute name, found \"or\""],
        ),
        (
            "userName lt null",
            &["null can only be compared with eq or ne"],
        ),
        (
            "urn:example:custom:2.0:User:x eq \"y\"",
            &["is not one User resources use"],
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq \"y\"",
            &["whole schema"],
        ),
        (
            "emails[type eq \"work\"].nope eq \"x\"",
            &["\"nope\" is not a sub-attribute of emails"],
        ),
        ("emails[primary eq true].value", &["expected an operator"]),
    ];
    for (f, wants) in cases {
        let detail = invalid(f);
        for w in *wants {
            assert!(detail.contains(w), "{f}: {detail:?} should contain {w:?}");
        }
    }
}

#[test]
fn a_password_filter_is_refused_without_echoing_the_value() {
    let detail = invalid("password eq \"hunter2\"");
    assert!(
        detail.contains("password cannot be used in a filter"),
        "{detail}"
    );
    assert!(
        !detail.contains("hunter2"),
        "the value is never echoed: {detail}"
    );
    let detail = invalid("userName eq \"x\" and \"hunter2\"");
    assert!(
        !detail.contains("hunter2"),
        "string literals are described, not quoted: {detail}"
    );
}

#[test]
fn lookups_recognise_the_indexed_shapes_real_clients_send() {
    let user = |f: &str| user_filter(f).lookup();
    assert_eq!(
        user("userName eq \"test.user@okta.local\""),
        Some(Lookup::UserName("test.user@okta.local".into())),
        "Okta's create check"
    );
    assert_eq!(
        user("externalId eq \"0a21\""),
        Some(Lookup::ExternalId("0a21".into()))
    );
    assert_eq!(user("id eq \"u1\""), Some(Lookup::Id("u1".into())));
    assert_eq!(
        user("emails[type eq \"work\"].value eq \"a@b.c\""),
        Some(Lookup::Email("a@b.c".into())),
        "Entra's match on the work email"
    );
    assert_eq!(
        user("emails.value eq \"a@b.c\""),
        Some(Lookup::Email("a@b.c".into()))
    );
    assert_eq!(
        user("emails eq \"a@b.c\""),
        Some(Lookup::Email("a@b.c".into()))
    );
    assert_eq!(
        user("emails[value eq \"a@b.c\"]"),
        Some(Lookup::Email("a@b.c".into()))
    );
    assert_eq!(
        user("title pr and userName eq \"u\""),
        Some(Lookup::UserName("u".into())),
        "either side of an and"
    );
    assert_eq!(
        user("(title pr and active eq true) and id eq \"x\""),
        Some(Lookup::Id("x".into()))
    );
    assert_eq!(
        user("userName eq \"a\" or userName eq \"b\""),
        None,
        "or needs a scan"
    );
    assert_eq!(user("not (userName eq \"a\")"), None);
    assert_eq!(user("userName co \"a\""), None);
    assert_eq!(user("displayName eq \"a\""), None, "not indexed for users");
    let group = |f: &str| Filter::parse(ResourceKind::Group, f).unwrap().lookup();
    assert_eq!(
        group("displayName eq \"Test SCIMv2\""),
        Some(Lookup::DisplayName("Test SCIMv2".into())),
        "Entra's group match"
    );
    assert_eq!(
        group("externalId eq \"8aa1\""),
        Some(Lookup::ExternalId("8aa1".into()))
    );
}

#[test]
fn a_lookup_never_promises_more_than_the_filter_matches() {
    // The store fetches candidates by the lookup and keeps those `matches` accepts; so every resource the
    // filter matches must carry the lookup value.
    let u = bjensen();
    for f in [
        "userName eq \"bjensen@example.com\" and title pr",
        "emails[type eq \"work\"].value eq \"bjensen@example.com\"",
        "externalId eq \"701984\" and emails co \"example\"",
    ] {
        let filter = user_filter(f);
        assert!(filter.matches(&u), "{f}");
        match filter.lookup().unwrap() {
            Lookup::UserName(v) => assert!(v.eq_ignore_ascii_case(u["userName"].as_str().unwrap())),
            Lookup::Email(v) => assert!(u["emails"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["value"].as_str().unwrap().eq_ignore_ascii_case(&v))),
            Lookup::ExternalId(v) => assert_eq!(u["externalId"], v),
            other => panic!("{other:?}"),
        }
    }
}
