//! roster-scim against the RFCs' own examples and the requests Okta and Entra ID document sending.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod body;
mod discovery;
mod filter;
mod patch;
mod properties;
mod query;
mod roster;

/// A fixture file's bytes, from `tests/fixtures/`.
#[allow(dead_code)]
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}
