//! A port of duo_client's `sign`: what a Duo client sends as `Authorization`. Roster's own tests (and
//! any Rust client of the emulated API) sign with it; the verifier checks against the same canonical
//! strings.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha512;

use super::{canonical_string, to_hex, Canonical, Digest, SigVersion};

/// A request's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The HMAC in lower-case hex.
    pub hex: String,
    /// The `Authorization` header: `Basic base64(ikey:hex)`.
    pub authorization: String,
}

/// Signs `parts` as duo_client does: HMAC of the canonical string keyed with the secret key's bytes.
/// v4 and v5 always use SHA-512, whatever `digest` says (as duo_client forces it).
pub fn sign(
    ikey: &str,
    skey: &str,
    version: SigVersion,
    digest: Digest,
    parts: &Canonical<'_>,
) -> Signature {
    let digest = match version {
        SigVersion::V4 | SigVersion::V5 => Digest::Sha512,
        SigVersion::V1 | SigVersion::V2 => digest,
    };
    let canonical = canonical_string(version, parts);
    let hex = to_hex(&hmac(skey.as_bytes(), digest, canonical.as_bytes()));
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ikey}:{hex}"))
    );
    Signature { hex, authorization }
}

/// HMAC of `message` keyed with `key`.
pub(crate) fn hmac(key: &[u8], digest: Digest, message: &[u8]) -> Vec<u8> {
    match digest {
        Digest::Sha1 => match Hmac::<Sha1>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(), // unreachable: HMAC takes keys of any length
        },
        Digest::Sha512 => match Hmac::<Sha512>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
    }
}

/// Whether `expected` is the HMAC of `message` under `key`, compared in constant time.
pub(crate) fn hmac_matches(key: &[u8], digest: Digest, message: &[u8], expected: &[u8]) -> bool {
    match digest {
        Digest::Sha1 => Hmac::<Sha1>::new_from_slice(key)
            .map(|mut mac| {
                mac.update(message);
                mac.verify_slice(expected).is_ok()
            })
            .unwrap_or(false),
        Digest::Sha512 => Hmac::<Sha512>::new_from_slice(key)
            .map(|mut mac| {
                mac.update(message);
                mac.verify_slice(expected).is_ok()
            })
            .unwrap_or(false),
    }
}
