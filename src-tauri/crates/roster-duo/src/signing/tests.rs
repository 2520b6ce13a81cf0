//! The canonical strings and signatures against the published vectors of duo_client's own test suite
//! (tests/test_client.py, duo_client_python): `TestQueryParameters`, `TestCanonicalize`, `TestSign`.

use super::*;
use crate::params::Params;

/// `test_unicode_fuzz_keys_and_values` / `test_v1` / `test_v2` / `test_hmac_*` parameters.
pub(crate) const FUZZ_KEYS_AND_VALUES: [(&str, &str); 4] = [
    (
        "\u{469a}\u{287b}\u{35d0}\u{8ef3}\u{6727}\u{502a}\u{810}\u{d091}\u{c8}\u{c170}",
        "\u{f45}\u{1a76}\u{341a}\u{654c}\u{c23f}\u{9b09}\u{abe2}\u{8343}\u{1b27}\u{60d0}",
    ),
    (
        "\u{7449}\u{7e4b}\u{ccfb}\u{59ff}\u{fe5f}\u{83b7}\u{adcc}\u{900c}\u{cfd1}\u{7813}",
        "\u{8db7}\u{5022}\u{92d3}\u{42ef}\u{207d}\u{8730}\u{acfe}\u{5617}\u{946}\u{4e30}",
    ),
    (
        "\u{7470}\u{9314}\u{901c}\u{9eae}\u{40d8}\u{4201}\u{82d8}\u{8c70}\u{1d31}\u{a042}",
        "\u{17d9}\u{ba8}\u{9358}\u{aadf}\u{a42a}\u{48be}\u{fb96}\u{6fe9}\u{b7ff}\u{32f3}",
    ),
    (
        "\u{c2c5}\u{2c1d}\u{2620}\u{3617}\u{96b3}F\u{8605}\u{20e8}\u{ac21}\u{5934}",
        "\u{fba9}\u{41aa}\u{bd83}\u{840b}\u{2615}\u{3e6e}\u{652d}\u{a8b5}\u{d56b}U",
    ),
];

pub(crate) const FUZZ_CANON: &str = "%E4%9A%9A%E2%A1%BB%E3%97%90%E8%BB%B3%E6%9C%A7%E5%80%AA%E0%A0%90%ED%82%91%C3%88%EC%85%B0=%E0%BD%85%E1%A9%B6%E3%90%9A%E6%95%8C%EC%88%BF%E9%AC%89%EA%AF%A2%E8%8D%83%E1%AC%A7%E6%83%90&%E7%91%89%E7%B9%8B%EC%B3%BB%E5%A7%BF%EF%B9%9F%E8%8E%B7%EA%B7%8C%E9%80%8C%EC%BF%91%E7%A0%93=%E8%B6%B7%E5%80%A2%E9%8B%93%E4%8B%AF%E2%81%BD%E8%9C%B0%EA%B3%BE%E5%98%97%E0%A5%86%E4%B8%B0&%E7%91%B0%E9%8C%94%E9%80%9C%E9%BA%AE%E4%83%98%E4%88%81%E8%8B%98%E8%B1%B0%E1%B4%B1%EA%81%82=%E1%9F%99%E0%AE%A8%E9%8D%98%EA%AB%9F%EA%90%AA%E4%A2%BE%EF%AE%96%E6%BF%A9%EB%9F%BF%E3%8B%B3&%EC%8B%85%E2%B0%9D%E2%98%A0%E3%98%97%E9%9A%B3F%E8%98%85%E2%83%A8%EA%B0%A1%E5%A4%B4=%EF%AE%A9%E4%86%AA%EB%B6%83%E8%90%8B%E2%98%95%E3%B9%AE%E6%94%AD%EA%A2%B5%ED%95%ABU";

/// test_client.py's `JSON_STRING`: `canon_json(JSON_BODY)`.
const JSON_STRING: &str =
    r#"{"alpha":["a","b","c","d"],"data":"abc123","info":{"another":2,"test":1}}"#;

const SKEY: &str = "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT";

fn parts<'a>(params: &'a Params, date: &'a str, body: &'a [u8]) -> Canonical<'a> {
    Canonical {
        method: "PoSt",
        host: "foO.BAr52.cOm",
        path: "/Foo/BaR2/qux",
        date,
        params,
        body,
        x_duo_headers: &[],
    }
}

#[test]
fn canonical_params_match_test_query_parameters() {
    let canon = |pairs: &[(&str, &str)]| Params::from_pairs(pairs.iter().copied()).canonical();
    assert_eq!(canon(&[]), "");
    assert_eq!(
        canon(&[("realname", "First Last")]),
        "realname=First%20Last"
    );
    assert_eq!(
        canon(&[("realname", "First Last"), ("username", "root")]),
        "realname=First%20Last&username=root"
    );
    // test_with_boolean_true_int_and_string: normalize_params turns True into "true" and 5 into "5".
    assert_eq!(
        canon(&[("words", "First Last"), ("success", "true"), ("digit", "5")]),
        "digit=5&success=true&words=First%20Last"
    );
    assert_eq!(
        canon(&[
            ("digits", "0123456789"),
            ("letters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            ("punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
            ("whitespace", "\t\n\x0b\x0c\r "),
        ]),
        "digits=0123456789&letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ&punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~&whitespace=%09%0A%0B%0C%0D%20"
    );
    assert_eq!(
        canon(&[
            ("bar", "\u{2815}\u{aaa3}\u{37cf}\u{4bb7}\u{36e9}\u{cc05}\u{668e}\u{8162}\u{c2bd}\u{a1f1}"),
            ("baz", "\u{df3}\u{84bd}\u{5669}\u{9985}\u{b8a4}\u{ac3a}\u{7be7}\u{6f69}\u{934a}\u{b91c}"),
            ("foo", "\u{d4ce}\u{d6d6}\u{7938}\u{50c0}\u{8a20}\u{8f15}\u{fd0b}\u{8024}\u{5cb3}\u{c655}"),
            ("qux", "\u{8b97}\u{c846}-\u{828e}\u{831a}\u{ccca}\u{a2d4}\u{8c3e}\u{b8b2}\u{99be}"),
        ]),
        "bar=%E2%A0%95%EA%AA%A3%E3%9F%8F%E4%AE%B7%E3%9B%A9%EC%B0%85%E6%9A%8E%E8%85%A2%EC%8A%BD%EA%87%B1&baz=%E0%B7%B3%E8%92%BD%E5%99%A9%E9%A6%85%EB%A2%A4%EA%B0%BA%E7%AF%A7%E6%BD%A9%E9%8D%8A%EB%A4%9C&foo=%ED%93%8E%ED%9B%96%E7%A4%B8%E5%83%80%E8%A8%A0%E8%BC%95%EF%B4%8B%E8%80%A4%E5%B2%B3%EC%99%95&qux=%E8%AE%97%EC%A1%86-%E8%8A%8E%E8%8C%9A%EC%B3%8A%EA%8B%94%E8%B0%BE%EB%A2%B2%E9%A6%BE"
    );
    assert_eq!(canon(&FUZZ_KEYS_AND_VALUES), FUZZ_CANON);
    assert_eq!(canon(&[("foo_bar", "2"), ("foo", "1")]), "foo=1&foo_bar=2");
}

#[test]
fn canonical_strings_match_test_canonicalize() {
    let params = Params::from_pairs(FUZZ_KEYS_AND_VALUES);
    assert_eq!(
        canonical_string(SigVersion::V1, &parts(&params, "ignored", b"")),
        format!("POST\nfoo.bar52.com\n/Foo/BaR2/qux\n{FUZZ_CANON}")
    );
    let date = "Fri, 07 Dec 2012 17:18:00 -0000";
    assert_eq!(
        canonical_string(SigVersion::V2, &parts(&params, date, b"")),
        format!("{date}\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n{FUZZ_CANON}")
    );
    let none = Params::new();
    let hashed_body = sha512_hex(JSON_STRING.as_bytes());
    let v4_date = "Tue, 04 Jul 2017 14:12:00";
    assert_eq!(
        canonical_string(
            SigVersion::V4,
            &parts(&none, v4_date, JSON_STRING.as_bytes())
        ),
        format!("{v4_date}\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n\n{hashed_body}")
    );
}

#[test]
fn v5_matches_test_v5_with_json_and_the_header_ordering_test() {
    let none = Params::new();
    let date = "Tue, 17 Nov 2020 14:12:00";
    let hashed_body = sha512_hex(JSON_STRING.as_bytes());
    let one_header = [("X-Duo-Header-1", "header_value_1")];
    let v5 = Canonical {
        x_duo_headers: &one_header,
        ..parts(&none, date, JSON_STRING.as_bytes())
    };
    assert_eq!(
        canonical_string(SigVersion::V5, &v5),
        format!(
            "{date}\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n\n{hashed_body}\n630b4bfe7e9abd03da2eee8f0a5d4e60a254ec880a839bcc2223bb5b9443e8ef24d58f0254f1f5934bf8c017ebd0fd5b1acf86766bdbe74185e712a4092df3ed"
        )
    );
    let two_headers = [("x-duo-A", "header_value_1"), ("X-Duo-B", "header_value_2")];
    let v5 = Canonical {
        x_duo_headers: &two_headers,
        ..parts(&none, date, JSON_STRING.as_bytes())
    };
    assert!(canonical_string(SigVersion::V5, &v5).ends_with(
        "\n60be11a30e0756f2ee2afdce1db849b987dcf86c1133394bd7bbbc9877920330c4d78aceacbb377ab8cbd9a8efe6a410fed4047376635ac71226ab46ca10d2b1"
    ));
    assert_eq!(
        x_duo_headers_hash(&[]),
        sha512_hex(b""),
        "no headers hash the empty string"
    );
}

#[test]
fn signatures_match_test_hmac_sha1_and_test_hmac_sha512() {
    let params = Params::from_pairs(FUZZ_KEYS_AND_VALUES);
    let date = "Fri, 07 Dec 2012 17:18:00 -0000";
    let sha1 = sign(
        "test_ikey",
        SKEY,
        SigVersion::V2,
        Digest::Sha1,
        &parts(&params, date, b""),
    );
    assert_eq!(sha1.hex, "f01811cbbf9561623ab45b893096267fd46a5178");
    assert_eq!(
        sha1.authorization,
        "Basic dGVzdF9pa2V5OmYwMTgxMWNiYmY5NTYxNjIzYWI0NWI4OTMwOTYyNjdmZDQ2YTUxNzg="
    );
    let sha512 = sign(
        "test_ikey",
        SKEY,
        SigVersion::V2,
        Digest::Sha512,
        &parts(&params, date, b""),
    );
    assert_eq!(
        sha512.hex,
        "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698"
    );
}

#[test]
fn v4_and_v5_always_sign_with_sha512() {
    let none = Params::new();
    let v5 = sign(
        "DI",
        SKEY,
        SigVersion::V5,
        Digest::Sha1,
        &parts(&none, "d", b""),
    );
    assert_eq!(v5.hex.len(), 128);
    assert_eq!(Digest::from_hex_len(40), Some(Digest::Sha1));
    assert_eq!(Digest::from_hex_len(128), Some(Digest::Sha512));
    assert_eq!(Digest::from_hex_len(64), None);
}

#[test]
fn hex_round_trips_and_refuses_bad_digits() {
    assert_eq!(from_hex("00ffA0"), Some(vec![0, 255, 160]));
    assert_eq!(to_hex(&[0, 255, 160]), "00ffa0");
    assert_eq!(from_hex("abc"), None);
    assert_eq!(from_hex("zz"), None);
}

#[test]
fn only_x_duo_headers_are_picked() {
    let headers = [
        ("Date", "d"),
        ("X-Duo-Date", "e"),
        ("x-duo-thing", "f"),
        ("X-Du", "g"),
    ];
    assert_eq!(
        x_duo_headers(&headers),
        vec![("X-Duo-Date", "e"), ("x-duo-thing", "f")]
    );
}
