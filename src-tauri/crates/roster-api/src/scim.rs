//! SCIM integrations: the directories an identity provider pushes to (Okta, or any SCIM 2.0 client),
//! their bearer tokens, and which tenant a request names.
//!
//! Invariants:
//! - a token is 256 random bits, shown once when issued, and stored only as its SHA-256; a presented token
//!   is compared with the stored digest in constant time;
//! - a token works for [`TOKEN_DAYS`] days (as Duo's SCIM tokens do), and a regenerated token replaces the
//!   old one in the same write: the old one stops working at once;
//! - a request names its integration by directory key; the key and its token pick the tenant, whichever
//!   tenant a window shows.
//!
//! The protocol (parsing, filters, PATCH, rendering) is `roster-scim`'s; the HTTP server is
//! `roster-server`'s. Pushes are applied in `scim_push`.

mod door;
mod guides;
pub use guides::ScimSetupGuide;

use crate::error::{ApiError, Result};
use crate::kinds::ConnectionKind;
use crate::session::Session;
use crate::Roster;
use roster_core::access::Permission;
use roster_core::{DirectoryKey, SyncType, Timestamp};
use roster_store::{ResourceKind, ScimToken, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a bearer token works.
pub const TOKEN_DAYS: i64 = 90;
/// How long before a token expires the integration warns.
pub const WARN_DAYS: i64 = 14;
/// What every Roster SCIM token starts with, so secret scanners and people recognise one.
const TOKEN_PREFIX: &str = "roster_scim_";

/// Which client pushes to an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ScimFlavor {
    /// Okta's SCIM provisioning.
    Okta,
    /// Any SCIM 2.0 client (Microsoft Entra ID's provisioning, OneLogin, JumpCloud, scripts).
    Generic,
}

impl ScimFlavor {
    /// Every flavor.
    pub const ALL: [ScimFlavor; 2] = [ScimFlavor::Okta, ScimFlavor::Generic];

    /// Stored and written name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimFlavor::Okta => "okta",
            ScimFlavor::Generic => "generic",
        }
    }

    /// The flavor a written name stands for.
    pub fn parse(s: &str) -> Option<ScimFlavor> {
        ScimFlavor::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A bearer token as issued: the only time the token itself is seen.
#[derive(Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IssuedToken {
    /// The integration.
    pub directory_key: String,
    /// The integration's SCIM base URL (what Okta calls "SCIM connector base URL" and Entra ID
    /// "Tenant URL").
    pub base_url: String,
    /// The bearer token. Shown once; Roster keeps only a digest of it.
    pub token: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// How to set up the identity providers that push to it, with its base URL (its flavor's).
    pub setup: Vec<ScimSetupGuide>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("directory_key", &self.directory_key)
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A SCIM integration, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScimIntegration {
    /// Its directory key.
    pub directory_key: String,
    /// Its name.
    pub name: String,
    /// Which client pushes to it.
    pub flavor: ScimFlavor,
    /// Its SCIM base URL.
    pub base_url: String,
    /// When its token stops working (RFC 3339); `null` if it has none.
    pub token_expires_at: Option<String>,
    /// `ok`, `expires_soon` (within [`WARN_DAYS`] days), `expired` or `no_token`.
    pub token_status: TokenStatus,
    /// A sentence about the token when it needs attention ("The bearer token expires in 9 days…").
    pub token_message: Option<String>,
    /// Users it holds.
    #[ts(type = "number")]
    pub users: u64,
    /// Groups it holds.
    #[ts(type = "number")]
    pub groups: u64,
    /// When a push last changed something (RFC 3339), if ever.
    pub last_push: Option<String>,
}

/// Whether a token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// It works.
    Ok,
    /// It works for less than [`WARN_DAYS`] more days.
    ExpiresSoon,
    /// It no longer works.
    Expired,
    /// The integration has none (regenerate one).
    NoToken,
}

/// The SCIM base URL of integration `key` on a server reached at `origin` (`https://roster.example.com`).
pub fn base_url(origin: &str, key: &str) -> String {
    format!("{}/scim/v2/{key}", origin.trim_end_matches('/'))
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A resource as a request asked to see it, with its version for the `ETag` header: the body's `meta`
/// does not carry it when the request's `attributes` leave `meta` out, and a client that read a resource
/// that way still needs it to send a conditional change.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub body: serde_json::Value,
    pub etag: String,
}

/// A `POST` or `PUT` body, parsed and checked apart from its write: the HTTP door parses it before the
/// request waits its turn among its integration's writes, which run one at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub(crate) kind: ResourceKind,
    /// The normalised document (a group's without `members`).
    pub(crate) doc: serde_json::Value,
    /// A group's members (user ids, each once); `None` for a user.
    pub(crate) members: Option<Vec<String>>,
}

impl Body {
    /// Parses and checks a body for `kind`: a malformed or invalid one is the SCIM error to answer.
    pub fn parse(
        kind: ResourceKind,
        body: &[u8],
    ) -> std::result::Result<Body, roster_scim::ScimError> {
        Ok(match kind {
            ResourceKind::User => Body {
                kind,
                doc: roster_scim::user_from_body(body)?,
                members: None,
            },
            ResourceKind::Group => {
                let g = roster_scim::group_from_body(body)?;
                Body {
                    kind,
                    doc: g.doc,
                    members: Some(g.members),
                }
            }
        })
    }
}

/// What a SCIM PATCH answers ([`ScimDoor::patch_answering`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Patched {
    /// 200 with the resource as the request's projection shows it.
    Resource(Shown),
    /// 204 with only the resource's new version, its `ETag`.
    Version(String),
}

/// The integration a SCIM request may act on, once its token has been checked: the only permission a
/// SCIM client has is to push to its own integration.
#[derive(Clone)]
pub struct ScimDoor {
    pub(crate) tenant: std::sync::Arc<crate::OpenTenant>,
    pub(crate) key: DirectoryKey,
    pub(crate) clock: std::sync::Arc<dyn roster_core::Clock>,
    /// The integration's SCIM base URL as the client reaches it (for `meta.location` and `$ref`).
    pub(crate) base_url: String,
}

impl std::fmt::Debug for ScimDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimDoor")
            .field("tenant", &self.tenant.id)
            .field("key", &self.key)
            .finish()
    }
}

impl ScimDoor {
    /// The integration's directory key.
    pub fn key(&self) -> &str {
        self.key.as_str()
    }

    /// The tenant's id.
    pub fn tenant(&self) -> &str {
        &self.tenant.id
    }

    /// The door as reached at `origin` (`https://roster.example.com:8742`): locations in answers use it.
    pub fn at(mut self, origin: &str) -> Self {
        self.base_url = base_url(origin, self.key.as_str());
        self
    }
}

impl Roster {
    /// Whether any tenant has a SCIM integration: the desktop app serves SCIM only then.
    pub fn has_scim_integrations(&self) -> Result<bool> {
        for t in self.list_tenants()? {
            let Ok(open) = self.tenant(&t.id) else {
                continue;
            };
            if open.tenant.store.scim_integration_count()? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn token_status(token: Option<&ScimToken>, now: Timestamp) -> (TokenStatus, Option<String>) {
    let Some(t) = token else {
        return (
            TokenStatus::NoToken,
            Some("This integration has no bearer token: use Regenerate Bearer Token, then paste the new token into your identity provider.".into()),
        );
    };
    let left = t.expires_at.0 - now.0;
    if left <= 0 {
        return (
            TokenStatus::Expired,
            Some("The bearer token has expired, so pushes are refused. Use Regenerate Bearer Token, then paste the new token into your identity provider.".into()),
        );
    }
    let days = (left + 86_399) / 86_400; // whole days left, rounded up
    if days <= WARN_DAYS {
        let when = if days == 1 {
            "within a day".to_string()
        } else {
            format!("in {days} days")
        };
        return (
            TokenStatus::ExpiresSoon,
            Some(format!("The bearer token expires {when}. Use Regenerate Bearer Token and paste the new token into your identity provider before then.")),
        );
    }
    (TokenStatus::Ok, None)
}

impl Session<'_> {
    /// Adds a SCIM integration named `name` and issues its first bearer token. `origin` is where Roster's
    /// server is reached (for the base URL).
    pub fn create_scim_integration(
        &self,
        name: &str,
        flavor: ScimFlavor,
        origin: &str,
    ) -> Result<IssuedToken> {
        self.require(Permission::ConfigureUserSyncs)?;
        let spec = crate::spec::parse(
            &serde_json::json!({
                "name": name,
                "type": "user",
                "connection": {"kind": ConnectionKind::Scim.as_str(), "flavor": flavor.as_str(), "name": name},
            })
            .to_string(),
        )?;
        let added = self.add_directory_of(spec, true)?;
        match self.issue_token(&added.directory_key, origin) {
            Ok(issued) => Ok(issued),
            Err(e) => {
                // Without a token the integration is of no use: take it away again.
                let _ = self.delete_directory(&added.directory_key);
                Err(e)
            }
        }
    }

    /// Replaces an integration's bearer token: the old one stops working at once.
    pub fn regenerate_scim_token(&self, key: &str, origin: &str) -> Result<IssuedToken> {
        self.require(Permission::ConfigureUserSyncs)?;
        self.scim_directory(key)?;
        self.issue_token(key, origin)
    }

    fn issue_token(&self, key: &str, origin: &str) -> Result<IssuedToken> {
        let now = self.roster.clock.now();
        let token = new_token();
        let expires_at = Timestamp(now.0 + TOKEN_DAYS * 86_400);
        self.tenant.store.set_scim_token(
            &DirectoryKey(key.to_string()),
            &ScimToken {
                sha256: digest(&token),
                created_at: now,
                expires_at,
            },
        )?;
        self.roster.scim_index_put(key, &self.tenant.id);
        let base_url = base_url(origin, key);
        let connection = self.tenant.store.directory(key)?.connection_id;
        let flavor = scim_flavor(&self.tenant.store, &connection)?.unwrap_or(ScimFlavor::Generic);
        Ok(IssuedToken {
            directory_key: key.to_string(),
            setup: flavor.setup_guides(&base_url),
            base_url,
            token,
            expires_at: expires_at.to_rfc3339(),
        })
    }

    /// The tenant's SCIM integrations, by name.
    pub fn scim_integrations(&self, origin: &str) -> Result<Vec<ScimIntegration>> {
        self.require(Permission::View)?;
        let store = &self.tenant.store;
        let now = self.roster.clock.now();
        let mut out = Vec::new();
        for d in store.directories()? {
            let Some(flavor) = scim_flavor(store, &d.connection_id)? else {
                continue;
            };
            let token = store.scim_token(&d.key)?;
            let (token_status, token_message) = token_status(token.as_ref(), now);
            let counts = store.scim_counts(&d.key)?;
            out.push(ScimIntegration {
                directory_key: d.key.to_string(),
                name: d.name.clone(),
                flavor,
                base_url: base_url(origin, d.key.as_str()),
                token_expires_at: token.map(|t| t.expires_at.to_rfc3339()),
                token_status,
                token_message,
                users: counts.users,
                groups: counts.groups,
                last_push: counts.last_push.map(|t| t.to_rfc3339()),
            });
        }
        Ok(out)
    }

    /// The directory record of SCIM integration `key`, or a clear error if `key` is a directory sync.
    fn scim_directory(&self, key: &str) -> Result<roster_store::DirectoryRecord> {
        let d = self.tenant.store.directory(key)?;
        if d.sync_type != SyncType::User
            || scim_flavor(&self.tenant.store, &d.connection_id)?.is_none()
        {
            return Err(ApiError::validation(format!(
                "\"{}\" is a directory sync, not a SCIM integration. List SCIM integrations with `rosterctl scim list`.",
                d.name
            )));
        }
        Ok(d)
    }
}

/// The flavor of connection `id`, if it is a SCIM integration's.
pub(crate) fn scim_flavor(store: &Store, id: &str) -> Result<Option<ScimFlavor>> {
    let c = store.connection(id)?;
    if ConnectionKind::parse(&c.kind) != Some(ConnectionKind::Scim) {
        return Ok(None);
    }
    Ok(c.config
        .get("flavor")
        .and_then(|f| f.as_str())
        .and_then(ScimFlavor::parse)
        .or(Some(ScimFlavor::Generic)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_are_never_alike() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        let body = a.strip_prefix(TOKEN_PREFIX).unwrap();
        assert_eq!(body.len(), 43, "32 bytes in unpadded base64url");
        assert_eq!(digest(&a).len(), 32);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn token_status_warns_two_weeks_ahead() {
        let now = Timestamp(1_800_000_000);
        let t = |days: i64| ScimToken {
            sha256: vec![0; 32],
            created_at: now,
            expires_at: Timestamp(now.0 + days * 86_400),
        };
        assert_eq!(token_status(Some(&t(90)), now).0, TokenStatus::Ok);
        assert_eq!(token_status(Some(&t(15)), now).0, TokenStatus::Ok);
        let (s, m) = token_status(Some(&t(14)), now);
        assert_eq!(s, TokenStatus::ExpiresSoon);
        assert!(m.unwrap().contains("in 14 days"));
        assert_eq!(token_status(Some(&t(0)), now).0, TokenStatus::Expired);
        assert_eq!(token_status(None, now).0, TokenStatus::NoToken);
    }

    #[test]
    fn issued_tokens_do_not_show_in_debug_output() {
        let t = IssuedToken {
            directory_key: "DSX".into(),
            base_url: "http://127.0.0.1:8742/scim/v2/DSX".into(),
            token: "roster_scim_secret".into(),
            expires_at: "2027-01-01T00:00:00Z".into(),
            setup: Vec::new(),
        };
        assert!(!format!("{t:?}").contains("secret"));
    }
}
