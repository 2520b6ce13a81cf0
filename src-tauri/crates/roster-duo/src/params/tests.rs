use super::*;
use crate::error::Code;

fn q(query: &str) -> Params {
    Params::from_query(query).unwrap_or_default()
}

fn detail<T: std::fmt::Debug>(r: Result<T, DuoError>) -> Option<String> {
    match r {
        Err(e) if e.code == Code::InvalidParameters => e.detail,
        other => panic!("expected 40002, got {other:?}"),
    }
}

#[test]
fn query_strings_decode_into_a_multimap() {
    let p = q("username=First+Last&group_id=DG1&group_id=DG2&empty=");
    assert_eq!(p.all("username"), ["First Last"]);
    assert_eq!(p.all("group_id"), ["DG1", "DG2"]);
    assert_eq!(p.all("empty"), [""]);
    assert!(p.all("missing").is_empty());
    assert_eq!(
        p.names().collect::<Vec<_>>(),
        ["empty", "group_id", "username"]
    );
    assert_eq!(detail(Params::from_query("a=%C3%28")).as_deref(), Some("a"));
}

#[test]
fn form_bodies_decode_like_query_strings() {
    assert_eq!(
        Params::from_form(b"realname=Joe+Smith"),
        Ok(q("realname=Joe%20Smith"))
    );
    assert_eq!(
        detail(Params::from_form(b"a=\xff")).as_deref(),
        Some("body")
    );
}

#[test]
fn json_bodies_keep_strings_and_write_other_values_as_json() {
    let body = br#"{"username":"jsmith","lockout_threshold":10,"sms_refresh":true,
                   "username_list":["a","b"],"aliases":{"alias1":"js"},"notes":null}"#;
    let p = Params::from_json(body).unwrap_or_default();
    assert_eq!(p.str("username"), Ok(Some("jsmith")));
    assert_eq!(p.int("lockout_threshold", 1..=9999), Ok(Some(10)));
    assert_eq!(p.bool("sms_refresh"), Ok(Some(true)));
    assert_eq!(
        p.json_str_list("username_list", 100),
        Ok(Some(vec!["a".to_string(), "b".to_string()]))
    );
    assert_eq!(p.str("aliases"), Ok(Some(r#"{"alias1":"js"}"#)));
    assert!(!p.contains("notes"), "null is an absent parameter");
    for bad in [&b"[1]"[..], b"\"x\"", b"{", b"\xff"] {
        assert_eq!(detail(Params::from_json(bad)).as_deref(), Some("body"));
    }
}

#[test]
fn canonical_order_is_on_the_encoded_text() {
    // '~' (0x7E) sorts before DEL (0x7F) raw, but DEL encodes to "%7F", which sorts before "~".
    let p = Params::from_pairs([("a~", "1"), ("a\u{7f}", "2")]);
    assert_eq!(p.canonical(), "a%7F=2&a~=1");
    let values = Params::from_pairs([("k", "~"), ("k", "\u{7f}"), ("k", "b")]);
    assert_eq!(values.canonical(), "k=%7F&k=b&k=~");
}

#[test]
fn extend_merges_query_and_body() {
    let mut p = q("a=1");
    p.extend(q("a=2&b=3"));
    assert_eq!(p.all("a"), ["1", "2"]);
    assert_eq!(p.all("b"), ["3"]);
}

#[test]
fn unknown_parameters_are_40002_naming_the_first() {
    let accepted = ["username", "custom_attributes.*"];
    assert_eq!(
        q("username=a&custom_attributes.dept=x").reject_unknown(&accepted),
        Ok(())
    );
    assert_eq!(
        detail(q("username=a&zeta=1&beta=2").reject_unknown(&accepted)).as_deref(),
        Some("beta")
    );
    assert_eq!(
        detail(q("custom_attributes.=x").reject_unknown(&accepted)).as_deref(),
        Some("custom_attributes."),
        "a prefix alone is not a name"
    );
    assert_eq!(Params::new().reject_unknown(&[]), Ok(()));
}

#[test]
fn strings_are_single_and_required_ones_present() {
    let p = q("username=a&email=&twice=1&twice=2");
    assert_eq!(p.str("username"), Ok(Some("a")));
    assert_eq!(p.str("absent"), Ok(None));
    assert_eq!(detail(p.str("twice")).as_deref(), Some("twice"));
    assert_eq!(p.required_str("email"), Ok(""));
    assert_eq!(detail(p.required_str("absent")).as_deref(), Some("absent"));
    assert_eq!(
        detail(p.required_non_empty("email")).as_deref(),
        Some("email")
    );
    assert_eq!(p.required_non_empty("username"), Ok("a"));
}

#[test]
fn integers_are_decimal_and_in_range() {
    let p = q("a=10&b=-3&c=1e3&d=+4&e=%2010&f=99999999999999999999&g=");
    assert_eq!(p.int("a", 1..=10), Ok(Some(10)));
    assert_eq!(detail(p.int("a", 1..=9)).as_deref(), Some("a"));
    assert_eq!(p.int("b", -5..=0), Ok(Some(-3)));
    for name in ["c", "d", "e", "f", "g"] {
        assert_eq!(
            detail(p.int(name, i64::MIN..=i64::MAX)).as_deref(),
            Some(name)
        );
    }
    assert_eq!(p.int("absent", 0..=1), Ok(None));
}

#[test]
fn booleans_enumerations_and_lists() {
    let p = q("a=true&b=0&c=FALSE&d=yes&status=locked+out&role=owner");
    assert_eq!(p.bool("a"), Ok(Some(true)));
    assert_eq!(p.bool("b"), Ok(Some(false)));
    assert_eq!(p.bool("c"), Ok(Some(false)));
    assert_eq!(detail(p.bool("d")).as_deref(), Some("d"));
    let statuses = ["active", "bypass", "disabled", "locked out"];
    assert_eq!(p.one_of("status", &statuses), Ok(Some("locked out")));
    assert_eq!(
        detail(p.one_of("role", &["Owner"])).as_deref(),
        Some("role"),
        "case-sensitive"
    );
    let lists = q(r#"ok=%5B%22DU1%22%2C%22DU2%22%5D&num=[1]&obj={}&empty=[]&text=DU1"#);
    assert_eq!(
        lists.json_str_list("ok", 2),
        Ok(Some(vec!["DU1".into(), "DU2".into()]))
    );
    assert_eq!(
        detail(lists.json_str_list("ok", 1)).as_deref(),
        Some("ok"),
        "too many"
    );
    for name in ["num", "obj", "empty", "text"] {
        assert_eq!(detail(lists.json_str_list(name, 10)).as_deref(), Some(name));
    }
}

#[test]
fn prefixed_parameters_come_out_without_the_prefix() {
    let p = q("custom_attributes.dept=Sales&custom_attributes.site=NYC&username=a");
    assert_eq!(
        p.with_prefix("custom_attributes."),
        Ok(vec![("dept", "Sales"), ("site", "NYC")])
    );
    let twice = q("custom_attributes.dept=a&custom_attributes.dept=b");
    assert_eq!(
        detail(twice.with_prefix("custom_attributes.")).as_deref(),
        Some("custom_attributes.dept")
    );
}
