//! Percent-decoding of what clients send (`application/x-www-form-urlencoded` rules: `+` is a space) and
//! the canonical re-encoding Duo signs (RFC 3986: only `A-Z a-z 0-9 - . _ ~` kept, everything else
//! `%XX` in upper case, so a space is `%20`), as Python's `urllib.parse.quote(s, '~')` does.

/// `s` percent-decoded into bytes, `+` read as a space. A `%` not followed by two hex digits is kept as
/// it is, as Python's `unquote_plus` does, so a client's odd but signed text still verifies.
pub fn decode_component(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match b? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `s` encoded as Duo's canonical string wants it: its UTF-8 bytes, unreserved ones kept.
pub fn encode_canonical(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The `key=value` pairs of a query string or form body, each side decoded; empty segments (`a&&b`)
/// are skipped and a key without `=` has the empty value. Returns the first key (decoded as far as it
/// can be) whose key or value is not UTF-8 as the error.
pub fn split_pairs(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for segment in s.split('&').filter(|seg| !seg.is_empty()) {
        let (raw_key, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
        let key = String::from_utf8(decode_component(raw_key))
            .map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())?;
        let value = String::from_utf8(decode_component(raw_value)).map_err(|_| key.clone())?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_a_space_and_percent_escapes_decode() {
        assert_eq!(decode_component("First+Last"), b"First Last");
        assert_eq!(decode_component("a%2Bb%20c"), b"a+b c");
        assert_eq!(decode_component("%e2%a0%95"), "\u{2815}".as_bytes());
    }

    #[test]
    fn malformed_escapes_are_kept_as_text() {
        assert_eq!(decode_component("100%"), b"100%");
        assert_eq!(decode_component("%zz%4"), b"%zz%4");
    }

    #[test]
    fn canonical_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(encode_canonical("First Last"), "First%20Last");
        assert_eq!(
            encode_canonical("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
            "%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~"
        );
        assert_eq!(encode_canonical("\t\n\x0b\x0c\r "), "%09%0A%0B%0C%0D%20");
        assert_eq!(encode_canonical("\u{c8}"), "%C3%88");
    }

    #[test]
    fn pairs_split_on_the_first_equals_sign() {
        assert_eq!(
            split_pairs("a=1&&b=x%3Dy=z&c").ok(),
            Some(vec![
                ("a".into(), "1".into()),
                ("b".into(), "x=y=z".into()),
                ("c".into(), String::new()),
            ])
        );
        assert_eq!(split_pairs("").ok(), Some(vec![]));
    }

    #[test]
    fn non_utf8_is_reported_with_its_key() {
        assert_eq!(split_pairs("ok=1&name=%FF").err(), Some("name".to_string()));
        assert!(split_pairs("%FF=1").is_err());
    }
}
