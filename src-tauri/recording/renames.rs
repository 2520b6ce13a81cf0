//! The recording's text: what Roster drew at random renamed, so two recordings of one session are one file.

use serde_json::Value;

/// Renames what Roster drew at random, in the order it first appears, so two recordings of the same
/// session are the same file. Each pattern's first group is the random part; the same random part gets
/// the same new name wherever it appears (a port in a URL and in an encoded redirect URI alike).
struct Renames {
    patterns: Vec<(regex::Regex, NewName)>,
    seen: std::collections::HashMap<(usize, String), String>,
    counts: std::collections::HashMap<usize, usize>,
}

/// The `n`th new name for a random part.
type NewName = fn(usize, &str) -> String;

/// `n` in the alphabet of Roster's ids (base32), 18 characters.
fn id18(n: usize) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = vec![b'A'; 18];
    let mut n = n;
    for c in out.iter_mut().rev() {
        *c = ALPHABET[n % 32];
        n /= 32;
    }
    String::from_utf8(out).unwrap()
}

impl Renames {
    fn new() -> Self {
        let p = |s: &str| regex::Regex::new(s).unwrap();
        Renames {
            patterns: vec![
                // Directory keys and the ids derived from them: users, groups, administrators.
                (p(r"\b(D[SUGE][A-Z2-7]{18})\b"), |n, old| {
                    format!("{}{}", &old[..2], id18(n))
                }),
                (p(r"\b(conn-[0-9a-f]{12})\b"), |n, _| {
                    format!("conn-{n:012x}")
                }),
                // Loopback ports of the emulator and of the sign-in listener, also URL-encoded.
                (
                    p(r"(?:127\.0\.0\.1|localhost)(?::|%3A)([1-9]\d*)"),
                    |n, _| (50000 + n).to_string(),
                ),
                // Admin API integration keys, and secret keys (a whole string of 40 letters and digits).
                (p(r"\b(DI[A-Z0-9]{18})\b"), |n, _| format!("DI{}", id18(n))),
                (p(r"\A([A-Za-z0-9]{40})\z"), |n, _| {
                    format!("RecordedSecretKey{n:023}")
                }),
                // SCIM bearer tokens (32 random bytes, base64url).
                (p(r"\b(roster_scim_[A-Za-z0-9_\-]{43})"), |n, _| {
                    format!("roster_scim_recorded{n}")
                }),
                // The consent page's one-time values.
                (
                    p(r"\b(?:state|code_challenge|nonce)=([A-Za-z0-9_\-%.~]+)"),
                    |n, _| format!("recorded{n}"),
                ),
            ],
            seen: Default::default(),
            counts: Default::default(),
        }
    }

    fn text(&mut self, s: &str) -> String {
        let mut out = s.to_string();
        for i in 0..self.patterns.len() {
            let make = self.patterns[i].1;
            // Each match, and where its random part sits in it (only that part is renamed: the `0`s of
            // `127.0.0.1` are not the port).
            let found: Vec<(String, String, usize)> = self.patterns[i]
                .0
                .captures_iter(&out)
                .map(|c| {
                    let (whole, random) = (c.get(0).unwrap(), c.get(1).unwrap());
                    (
                        whole.as_str().to_string(),
                        random.as_str().to_string(),
                        random.start() - whole.start(),
                    )
                })
                .collect();
            for (whole, random, at) in found {
                let key = (i, random.clone());
                let new = match self.seen.get(&key) {
                    Some(n) => n.clone(),
                    None => {
                        let n = self.counts.entry(i).or_insert(0);
                        *n += 1;
                        let new = make(*n, &random);
                        self.seen.insert(key, new.clone());
                        new
                    }
                };
                let renamed = format!("{}{new}{}", &whole[..at], &whole[at + random.len()..]);
                out = out.replace(&whole, &renamed);
            }
        }
        out
    }

    fn value(&mut self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.value(x)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, x)| (self.text(&k), self.value(x)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// The recording's text: the renamed calls, one per line, so a change shows as a change of calls.
pub(super) fn render(calls: Vec<Value>) -> String {
    let mut renames = Renames::new();
    let mut out = String::from("{\n  \"about\": \"Recorded by src-tauri/recording.rs through the real Tauri commands; `npm run --prefix ui record` writes it again. Do not edit.\",\n  \"calls\": [\n");
    let n = calls.len();
    for (i, c) in calls.into_iter().enumerate() {
        out.push_str("    ");
        out.push_str(&renames.value(c).to_string());
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    out
}
