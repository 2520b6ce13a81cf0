//! Duo's request signing: the canonical strings of signature versions 1, 2, 4 and 5, the HMAC over
//! them, a port of duo_client's signer ([`sign`]) and the server's check ([`verify`]).
//!
//! The canonical string is these lines joined with `\n` (duo_client's `canonicalize`):
//! - v1: METHOD, host, path, params
//! - v2: date, METHOD, host, path, params
//! - v4: the v2 lines, then the SHA-512 hex of the body
//! - v5: the v4 lines, then the SHA-512 hex of the `X-Duo-*` headers (names lower-cased and sorted,
//!   `name\0value\0name\0value…`; the hash of the empty string when there are none)
//!
//! METHOD is upper-cased, host lower-cased, path as sent, params [`Params::canonical`]. A v4/v5 POST
//! sends its parameters as a JSON body, so its params line is empty and the raw body bytes are hashed;
//! a GET or DELETE hashes the empty body. The HMAC key is the secret key's UTF-8 bytes. v1 and v2 sign
//! with HMAC-SHA1 (40 hex digits) or HMAC-SHA512 (128; duo_client's default); v4 and v5 only with
//! SHA-512.

mod client;
mod date;
mod verify;

pub use client::{sign, Signature};
pub use date::parse_date;
pub use verify::{verify, Request, Verified, DEFAULT_WINDOW_SECS};

use sha2::{Digest as _, Sha512};

use crate::params::Params;

/// A signature version duo_client can send (3 does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigVersion {
    /// METHOD, host, path, params; no date.
    V1,
    /// date, METHOD, host, path, params.
    V2,
    /// v2 plus the body's hash; SHA-512 only.
    V4,
    /// v4 plus the `X-Duo-*` headers' hash; SHA-512 only. duo_client's default.
    V5,
}

/// The HMAC's hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    /// HMAC-SHA1, 40 hex digits; v1 and v2 only.
    Sha1,
    /// HMAC-SHA512, 128 hex digits.
    Sha512,
}

impl Digest {
    /// The digest a signature of `hex_len` hex digits was made with, if any.
    pub fn from_hex_len(hex_len: usize) -> Option<Digest> {
        match hex_len {
            40 => Some(Digest::Sha1),
            128 => Some(Digest::Sha512),
            _ => None,
        }
    }
}

/// What a request signs, before the canonical string is built.
#[derive(Debug, Clone, Copy)]
pub struct Canonical<'a> {
    /// The HTTP method, any case.
    pub method: &'a str,
    /// The API hostname, without a port, any case.
    pub host: &'a str,
    /// The path as sent, without the query string.
    pub path: &'a str,
    /// The date header's text, exactly as sent (v2, v4, v5).
    pub date: &'a str,
    /// The parameters signed on the params line (empty for a v4/v5 JSON body).
    pub params: &'a Params,
    /// The raw body bytes (v4, v5); empty for GET and DELETE.
    pub body: &'a [u8],
    /// The `X-Duo-*` headers (v5); other headers must not be given.
    pub x_duo_headers: &'a [(&'a str, &'a str)],
}

/// The canonical string `version` signs for `parts`.
pub fn canonical_string(version: SigVersion, parts: &Canonical<'_>) -> String {
    let method = parts.method.to_uppercase();
    let host = parts.host.to_lowercase();
    let params = parts.params.canonical();
    let mut lines: Vec<&str> = Vec::with_capacity(7);
    if version != SigVersion::V1 {
        lines.push(parts.date);
    }
    lines.extend([method.as_str(), host.as_str(), parts.path, params.as_str()]);
    let body_hash;
    let headers_hash;
    if matches!(version, SigVersion::V4 | SigVersion::V5) {
        body_hash = sha512_hex(parts.body);
        lines.push(&body_hash);
    }
    if version == SigVersion::V5 {
        headers_hash = x_duo_headers_hash(parts.x_duo_headers);
        lines.push(&headers_hash);
    }
    lines.join("\n")
}

/// duo_client's `canon_x_duo_headers`: names lower-cased (a later duplicate replaces an earlier one,
/// as in its dict), sorted, `name\0value` pairs joined with `\0`, hashed with SHA-512.
pub fn x_duo_headers_hash(headers: &[(&str, &str)]) -> String {
    let mut lowered: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for (name, value) in headers {
        lowered.insert(name.to_lowercase(), value);
    }
    let mut parts: Vec<&str> = Vec::with_capacity(lowered.len() * 2);
    for (name, value) in &lowered {
        parts.push(name);
        parts.push(value);
    }
    sha512_hex(parts.join("\0").as_bytes())
}

/// Lower-case hex of SHA-512 of `bytes`.
pub fn sha512_hex(bytes: &[u8]) -> String {
    to_hex(&Sha512::digest(bytes))
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes of a hex string of either case; `None` for an odd length or a non-hex digit.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The `X-Duo-*` headers among `headers` (names compared without case).
pub fn x_duo_headers<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    headers
        .iter()
        .filter(|(name, _)| {
            name.as_bytes()
                .get(..6)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"x-duo-"))
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests;
