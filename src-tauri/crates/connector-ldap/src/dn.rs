//! Distinguished names compared as a directory compares them: parsed from their RFC 4514 string form and
//! written out in one canonical form, so that two spellings of the same entry's name give the same key.
//!
//! Servers and people spell one DN many ways. OpenLDAP returns `cn=Doe\2C John,ou=people,…` while a
//! group's member value written by a tool says `CN=Doe\, John, OU=People,…`; both are correct RFC 4514.
//! Comparing the strings would silently drop that member from the sync, so every DN used as a key goes
//! through [`canonical`].
//!
//! What counts as the same (the invariants of the canonical form):
//! - escapes are decoded: `\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=` `\#` `\ ` and hex pairs, including
//!   multi-byte UTF-8 (`\C3\A9` is `é`);
//! - attribute types compare case-insensitively, and a type given as an OID (`2.5.4.3`, also with the
//!   `OID.` prefix) or a long name (`commonName`) is the same as its short name (`cn`);
//! - the attribute-value pairs of a multi-valued RDN (`cn=Ann+uid=ann`) compare in any order;
//! - spaces around `=`, `,` and `+` are insignificant, and values compare as caseIgnoreMatch compares
//!   them (the matching rule of cn, ou, o, l, st, uid and dc; Active Directory compares DNs the same way):
//!   case-insensitively, leading and trailing spaces dropped (escaped or not), inner runs of spaces as one;
//! - a `#`-hex value (a BER encoding) compares as given, its hex digits lower-cased.
//!
//! Not done: RFC 4518's Unicode normalisation (NFKC) and its mapping of invisible characters, which would
//! need a Unicode table crate; servers return names in the form they were stored, so two spellings that
//! differ only there are not expected in member values.
//!
//! Cost: one pass over the DN and one allocation (the output) for the usual DN; a multi-valued RDN also
//! sorts its parts. The resolver canonicalises a DN per distinct member value, about a million per large
//! sync, so no per-character allocation is made.

/// The canonical form of `dn`, for use as a map key: two DNs of the same entry give the same string, and
/// two different DNs give different strings.
///
/// The form is lower-case RFC 4514 with short attribute types, no insignificant spaces, values unescaped
/// except for `\`, `,` and `+` (and a leading `#`), and the parts of a multi-valued RDN sorted. The
/// canonical form of `CN=Doe\2C  John , OU=People,DC=Example,DC=org` is
/// `cn=doe\, john,ou=people,dc=example,dc=org`.
///
/// Text that is not a DN (an unterminated escape, an RDN without `=`, an empty RDN) is lower-cased and
/// marked with a leading `!`, which no canonical DN starts with: it then equals only the same text, never
/// a real DN.
pub fn canonical(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    if write_canonical(dn, &mut out).is_err() {
        out.clear();
        out.push('!');
        out.push_str(&dn.trim().to_lowercase());
    }
    out
}

/// The text is not an RFC 4514 DN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Malformed;

fn write_canonical(dn: &str, out: &mut String) -> Result<(), Malformed> {
    let b = dn.as_bytes();
    let mut i = skip_spaces(b, 0);
    if i == b.len() {
        return Ok(()); // the empty DN (the root)
    }
    loop {
        let rdn_start = out.len();
        // Where each attribute-value pair of a multi-valued RDN ends in `out` (only those need it).
        let mut ends: Vec<usize> = Vec::new();
        loop {
            i = skip_spaces(b, i);
            i = write_type(dn, i, out)?;
            i = skip_spaces(b, i);
            if b.get(i) != Some(&b'=') {
                return Err(Malformed);
            }
            out.push('=');
            i = skip_spaces(b, i + 1);
            i = write_value(dn, i, out)?;
            match b.get(i) {
                Some(b'+') => {
                    ends.push(out.len());
                    out.push('+');
                    i += 1;
                }
                separator => {
                    if !ends.is_empty() {
                        ends.push(out.len());
                        sort_pairs(out, rdn_start, &ends);
                    }
                    match separator {
                        None => return Ok(()),
                        // `;` separated RDNs in RFC 1779 and 2253; RFC 4514 parsers may still accept it.
                        Some(b',' | b';') => {
                            out.push(',');
                            i += 1;
                            break;
                        }
                        Some(_) => return Err(Malformed),
                    }
                }
            }
        }
    }
}

/// Rewrites the RDN written from `start` (pairs ending at `ends`, joined by `+`) with its pairs sorted.
fn sort_pairs(out: &mut String, start: usize, ends: &[usize]) {
    let mut pairs: Vec<String> = Vec::with_capacity(ends.len());
    let mut from = start;
    for &end in ends {
        pairs.push(out.get(from..end).unwrap_or_default().to_string());
        from = end + 1; // past the '+'
    }
    pairs.sort_unstable();
    out.truncate(start);
    for (n, p) in pairs.iter().enumerate() {
        if n > 0 {
            out.push('+');
        }
        out.push_str(p);
    }
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// Reads an attribute type at `i` and writes its canonical name; returns where it ends.
fn write_type(dn: &str, i: usize, out: &mut String) -> Result<usize, Malformed> {
    let b = dn.as_bytes();
    let mut i = i;
    // "OID.2.5.4.3" (RFC 1779) is "2.5.4.3".
    if b.get(i..i + 4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"oid."))
        && b.get(i + 4).is_some_and(u8::is_ascii_digit)
    {
        i += 4;
    }
    let start = i;
    let first = *b.get(i).ok_or(Malformed)?;
    let written = out.len();
    if first.is_ascii_digit() {
        // numericoid = number 1*( DOT number ): no empty arcs.
        let mut arcs = 0;
        let mut digits = 0;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => digits += 1,
                b'.' if digits > 0 => {
                    arcs += 1;
                    digits = 0;
                }
                _ => break,
            }
            i += 1;
        }
        if digits == 0 || arcs == 0 {
            return Err(Malformed);
        }
    } else if first.is_ascii_alphabetic() {
        // descr = ALPHA *( ALPHA / DIGIT / HYPHEN )
        while b
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            i += 1;
        }
    } else {
        return Err(Malformed);
    }
    let name = dn.get(start..i).ok_or(Malformed)?;
    for c in name.chars() {
        out.push(c.to_ascii_lowercase());
    }
    if let Some(short) = out.get(written..).and_then(short_name) {
        out.truncate(written);
        out.push_str(short);
    }
    Ok(i)
}

/// The short name of an attribute type commonly found in DNs, given as an OID or a long name (lower
/// case). Types not listed compare by their name as written (case-insensitively).
fn short_name(lower: &str) -> Option<&'static str> {
    Some(match lower {
        "2.5.4.3" | "commonname" => "cn",
        "2.5.4.4" | "surname" => "sn",
        "2.5.4.5" => "serialnumber",
        "2.5.4.6" | "countryname" => "c",
        "2.5.4.7" | "localityname" => "l",
        "2.5.4.8" | "stateorprovincename" => "st",
        "2.5.4.9" | "streetaddress" => "street",
        "2.5.4.10" | "organizationname" => "o",
        "2.5.4.11" | "organizationalunitname" => "ou",
        "2.5.4.12" => "title",
        "2.5.4.42" | "gn" => "givenname",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationqualifier",
        "2.5.4.46" => "dnqualifier",
        "2.5.4.65" => "pseudonym",
        "0.9.2342.19200300.100.1.1" | "userid" => "uid",
        "0.9.2342.19200300.100.1.3" | "rfc822mailbox" => "mail",
        "0.9.2342.19200300.100.1.25" | "domaincomponent" => "dc",
        "1.2.840.113549.1.9.1" | "emailaddress" => "email",
        _ => return None,
    })
}

/// Whether `i` ends a value: the end of the DN or an unescaped separator.
fn at_separator(b: &[u8], i: usize) -> bool {
    matches!(b.get(i), None | Some(b',' | b';' | b'+'))
}

/// Reads a value at `i` (spaces before it already skipped) and writes its canonical form; returns where
/// it ends (at a separator or the end).
fn write_value(dn: &str, i: usize, out: &mut String) -> Result<usize, Malformed> {
    let b = dn.as_bytes();
    match b.get(i) {
        Some(b'#') => {
            // hexstring = SHARP 1*hexpair. Text that is not one ("#1 fan", unescaped) is read as a string,
            // as a lenient parser would; RFC 4514 asks for the leading '#' to be escaped.
            let mut j = i + 1;
            while b.get(j).is_some_and(u8::is_ascii_hexdigit)
                && b.get(j + 1).is_some_and(u8::is_ascii_hexdigit)
            {
                j += 2;
            }
            let end = skip_spaces(b, j);
            if j > i + 1 && at_separator(b, end) {
                out.push('#');
                for c in dn.get(i + 1..j).ok_or(Malformed)?.chars() {
                    out.push(c.to_ascii_lowercase());
                }
                return Ok(end);
            }
            write_string(dn, i, out, false)
        }
        // A quoted value (RFC 1779 and 2253, not RFC 4514): separators inside are literal.
        Some(b'"') => {
            let end = write_string(dn, i + 1, out, true)?;
            if b.get(end) != Some(&b'"') {
                return Err(Malformed);
            }
            let end = skip_spaces(b, end + 1);
            if at_separator(b, end) {
                Ok(end)
            } else {
                Err(Malformed)
            }
        }
        _ => write_string(dn, i, out, false),
    }
}

/// Reads a string value (escapes decoded) up to an unescaped separator (or, `quoted`, the closing quote)
/// and writes it prepared as caseIgnoreMatch prepares it.
fn write_string(
    dn: &str,
    mut i: usize,
    out: &mut String,
    quoted: bool,
) -> Result<usize, Malformed> {
    let b = dn.as_bytes();
    let mut value = Prepared::new(out);
    loop {
        match b.get(i) {
            None => break,
            Some(b'"') if quoted => break,
            Some(b',' | b';' | b'+') if !quoted => break,
            Some(b'\\') => {
                let (c, next) = unescape(dn, i + 1)?;
                value.push(c);
                i = next;
            }
            Some(&c) if c.is_ascii() => {
                value.push(char::from(c));
                i += 1;
            }
            Some(_) => {
                let c = dn
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .ok_or(Malformed)?;
                value.push(c);
                i += c.len_utf8();
            }
        }
    }
    value.finish();
    Ok(i)
}

/// Decodes the escape whose backslash was just before `i`: a hex pair (with the pairs that complete a
/// multi-byte UTF-8 character) or an escaped character. Returns the character and where it ends.
fn unescape(dn: &str, i: usize) -> Result<(char, usize), Malformed> {
    let b = dn.as_bytes();
    let Some(&first) = b.get(i) else {
        return Err(Malformed); // a trailing backslash
    };
    if !first.is_ascii_hexdigit() {
        // `\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=` `\#` `\ `, and (leniently) any other character.
        let c = dn
            .get(i..)
            .and_then(|s| s.chars().next())
            .ok_or(Malformed)?;
        return Ok((c, i + c.len_utf8()));
    }
    let lead = hex_pair(b, i)?;
    let len = match lead {
        0x00..=0x7f => return Ok((char::from(lead), i + 2)),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Err(Malformed),
    };
    let mut bytes = [lead, 0, 0, 0];
    let mut j = i + 2;
    for slot in bytes.iter_mut().take(len).skip(1) {
        if b.get(j) != Some(&b'\\') {
            return Err(Malformed);
        }
        *slot = hex_pair(b, j + 1)?;
        j += 3;
    }
    let text = std::str::from_utf8(bytes.get(..len).ok_or(Malformed)?).map_err(|_| Malformed)?;
    let c = text.chars().next().ok_or(Malformed)?;
    Ok((c, j))
}

fn hex_pair(b: &[u8], i: usize) -> Result<u8, Malformed> {
    let digit = |c: Option<&u8>| -> Result<u8, Malformed> {
        match c {
            Some(c @ b'0'..=b'9') => Ok(c - b'0'),
            Some(c @ b'a'..=b'f') => Ok(c - b'a' + 10),
            Some(c @ b'A'..=b'F') => Ok(c - b'A' + 10),
            _ => Err(Malformed),
        }
    };
    Ok((digit(b.get(i))? << 4) | digit(b.get(i + 1))?)
}

/// A value being written as caseIgnoreMatch prepares it (RFC 4518, insignificant space handling): lower
/// case; no leading or trailing spaces; each inner run of spaces (any white space) one space. A value of
/// spaces only is one space, so that it stays apart from the empty value. `\`, `,` and `+` are escaped,
/// and so is a leading `#`, so that the canonical form reads back unambiguously.
struct Prepared<'o> {
    out: &'o mut String,
    started: bool,
    space: bool,
}

impl<'o> Prepared<'o> {
    fn new(out: &'o mut String) -> Self {
        Prepared {
            out,
            started: false,
            space: false,
        }
    }

    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.space = true;
            return;
        }
        if self.space && self.started {
            self.out.push(' ');
        }
        self.space = false;
        if c.is_ascii() {
            self.write(c.to_ascii_lowercase());
        } else {
            for l in c.to_lowercase() {
                self.write(l);
            }
        }
    }

    fn write(&mut self, c: char) {
        if matches!(c, '\\' | ',' | '+') || (c == '#' && !self.started) {
            self.out.push('\\');
        }
        self.out.push(c);
        self.started = true;
    }

    fn finish(self) {
        if !self.started && self.space {
            self.out.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[track_caller]
    fn equal(a: &str, b: &str) {
        assert_eq!(
            canonical(a),
            canonical(b),
            "{a:?} and {b:?} name the same entry"
        );
    }

    #[track_caller]
    fn differ(a: &str, b: &str) {
        assert_ne!(
            canonical(a),
            canonical(b),
            "{a:?} and {b:?} are different entries"
        );
    }

    /// RFC 4514 section 4's examples, each against an equivalent spelling and its canonical form.
    #[test]
    fn rfc_4514_examples() {
        let uid = "UID=jsmith,DC=example,DC=net";
        assert_eq!(canonical(uid), "uid=jsmith,dc=example,dc=net");
        equal(
            uid,
            "0.9.2342.19200300.100.1.1=jsmith,0.9.2342.19200300.100.1.25=example,dc=net",
        );

        let multi = "OU=Sales+CN=J.  Smith,DC=example,DC=net";
        assert_eq!(canonical(multi), "cn=j. smith+ou=sales,dc=example,dc=net");
        equal(multi, "cn=J. Smith+ou=Sales,dc=example,dc=net");
        differ(multi, "CN=J. Smith,DC=example,DC=net");

        let quoted = "CN=James \\\"Jim\\\" Smith\\, III,DC=example,DC=net";
        assert_eq!(
            canonical(quoted),
            "cn=james \"jim\" smith\\, iii,dc=example,dc=net"
        );
        equal(
            quoted,
            "cn=James \\22Jim\\22 Smith\\2C III,dc=example,dc=net",
        );
        equal(
            quoted,
            "cn=\"James \\\"Jim\\\" Smith, III\",dc=example,dc=net",
        );

        // A carriage return is white space to caseIgnoreMatch (RFC 4518 maps it to a space).
        let cr = "CN=Before\\0dAfter,DC=example,DC=net";
        equal(cr, "cn=before after,dc=example,dc=net");
        differ(cr, "cn=BeforeAfter,dc=example,dc=net");

        let ber = "1.3.6.1.4.1.1466.0=#FE04024869";
        assert_eq!(canonical(ber), "1.3.6.1.4.1.1466.0=#fe04024869");
        equal(ber, "1.3.6.1.4.1.1466.0=#fe04024869");
        differ(ber, "1.3.6.1.4.1.1466.0=\\#FE04024869");

        let utf8 = "CN=Lu\\C4\\8Di\\C4\\87";
        assert_eq!(canonical(utf8), "cn=lučić");
        equal(utf8, "cn=LUČIĆ");
    }

    #[test]
    fn escaped_specials_decode() {
        equal("cn=Doe\\, John,ou=people", "cn=Doe\\2C John,ou=people");
        equal("cn=Doe\\, John,ou=people", "cn=doe\\2c john,ou=people");
        differ("cn=Doe\\, John,ou=people", "cn=Doe,cn=John,ou=people");
        equal("cn=a\\+b", "cn=a\\2Bb");
        differ("cn=a\\+b", "cn=a+b=c");
        equal("cn=\\\"q\\\"", "cn=\\22q\\22");
        equal("cn=back\\\\slash", "cn=back\\5Cslash");
        differ("cn=back\\\\slash", "cn=backslash");
        equal("cn=\\<x\\>\\;y\\=z", "cn=\\3Cx\\3E\\3By\\3Dz");
        equal("cn=\\#1 fan C#", "cn=\\231 Fan C\\23");
        assert_eq!(canonical("cn=\\#1 fan C#"), "cn=\\#1 fan c#");
        equal("cn=x=y", "cn=x\\=y");
    }

    #[test]
    fn non_ascii_compares_case_insensitively_however_it_is_spelt() {
        equal("cn=Renée Ça", "cn=Ren\\C3\\A9e \\C3\\87a");
        equal("cn=Renée Ça", "CN=RENÉE ÇA");
        equal("cn=Renée", "cn=REN\\C3\\89E");
        differ("cn=Renée", "cn=Renee");
        // A hex escape that is not UTF-8 (a lone continuation byte, a truncated sequence) is not a DN.
        assert!(canonical("cn=\\A9").starts_with('!'));
        assert!(canonical("cn=\\C3x").starts_with('!'));
    }

    #[test]
    fn types_compare_by_name_oid_or_long_name() {
        equal(
            "cn=x,ou=y,o=z,dc=w",
            "2.5.4.3=x,2.5.4.11=y,2.5.4.10=z,0.9.2342.19200300.100.1.25=w",
        );
        equal("cn=x", "OID.2.5.4.3=x");
        equal("cn=x", "oid.2.5.4.3=x");
        equal("cn=x", "commonName=x");
        equal("CN=x", "cn=x");
        equal("uid=x", "userid=x");
        equal("1.2.3.4=x", "OID.1.2.3.4=x");
        differ("cn=x", "sn=x");
        differ("cn=x", "2.5.4.4=x");
    }

    #[test]
    fn multi_valued_rdns_compare_in_any_order() {
        equal("cn=Ann+uid=ann,ou=people", "uid=ann+cn=ann,ou=people");
        equal("cn=Ann + uid=ann,ou=people", "UID=ann+CN=Ann , ou=people");
        differ("cn=Ann+uid=ann,ou=people", "cn=Ann,uid=ann,ou=people");
        differ("cn=Ann+uid=ann", "cn=Ann+uid=bob");
    }

    #[test]
    fn insignificant_spaces() {
        equal(
            "cn=Alice Smith,ou=People,dc=example",
            "CN = Alice Smith , OU=People ,  DC=Example",
        );
        equal("cn=Alice Smith", "cn=Alice    Smith");
        equal("cn=\\ Padded\\ ", "cn=Padded");
        equal("cn=\\20 Padded Name \\20", "cn=padded name");
        equal("cn=a\\20\\20b", "cn=a b");
        equal("  cn=x  ", "cn=x");
        differ("cn=ab", "cn=a b");
        assert_eq!(canonical("cn=\\ \\ "), "cn= ", "spaces only is one space");
        differ("cn=\\ ", "cn=");
    }

    #[test]
    fn canonical_form_of_plain_dns_is_lower_case_without_separator_spaces() {
        assert_eq!(
            canonical("CN=Alice Smith, OU=People ,DC=Example,DC=org"),
            "cn=alice smith,ou=people,dc=example,dc=org"
        );
        assert_eq!(canonical(""), "", "the root DSE's empty DN");
        assert_eq!(canonical("   "), "");
    }

    #[test]
    fn text_that_is_not_a_dn_only_equals_itself() {
        for bad in [
            "cn=x\\",
            "cn",
            "=x",
            "cn=x,,dc=y",
            "cn=x,",
            "cn=\"open",
            "cn=\\4",
            "1.=x",
            "cn;lang-en=x",
            "alice",
        ] {
            let c = canonical(bad);
            assert!(c.starts_with('!'), "{bad:?} is not a DN: {c:?}");
            assert_eq!(
                c,
                canonical(&bad.to_uppercase()),
                "compared case-insensitively"
            );
        }
        differ("cn=x\\", "cn=x");
        differ("alice", "cn=alice");
    }
}
