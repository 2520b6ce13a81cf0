//! OAuth consent for Roster's cloud connections (Entra ID, Google Workspace, Okta), and the tokens it yields.
//!
//! What it owns:
//! - the authorization code flow with PKCE (S256) for native apps (RFC 6749, RFC 7636, RFC 8252): a loopback
//!   listener on 127.0.0.1 with a random port, the authorization URL with a random `state` (and `nonce` when
//!   `openid` is asked), the browser's return checked against that state, a result page for the browser,
//!   the code exchange, and who authorized (from the ID token, or the userinfo endpoint) — [`Consent`];
//! - the tokens: [`TokenSet`], kept as JSON in a [`roster_secrets::SecretStore`] under the caller's key, and
//!   [`StoredBearer`], the [`roster_cloud::Bearer`] that refreshes them before they expire (one refresh at a
//!   time per connection, across processes sharing the secret store, so that a rotated refresh token is
//!   redeemed once) and turns a revoked consent into "needs reauthorization".
//!
//! What it must not do: open the browser itself (the caller passes an [`OpenUrl`]: the app's system
//! browser, the CLI's printer, a test's HTTP client), know any vendor's endpoints (they come in a
//! [`roster_cloud::ConsentConfig`] from the connector), listen anywhere but 127.0.0.1, or let a token, code
//! or client secret reach a log, an error message or `Debug` output.

mod bearer;
mod claims;
mod consent;
mod exchange;
mod loopback;
mod page;

pub use bearer::{StoredBearer, TokenSet, REFRESH_MARGIN_SECS};
pub use consent::{Authorized, Consent};
pub use roster_cloud::{ConsentConfig, LoopbackHost};

use roster_core::source::ConnectorError;
use std::future::Future;
use std::time::Duration;

/// The default time to wait for the browser (the "default 5 minutes").
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Opens the authorization URL for the admin: the app opens the system browser, the CLI prints the URL,
/// tests play the browser with an HTTP client. It must return promptly; the flow waits on the loopback
/// listener afterwards.
pub trait OpenUrl: Send + Sync {
    /// Shows `url` to the admin. The error is a plain sentence for the user.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// Prints the URL alone on one line of standard output and flushes it (`rosterctl ... --no-browser`).
#[derive(Debug, Default, Clone, Copy)]
pub struct PrintUrl;

impl OpenUrl for PrintUrl {
    fn open(&self, url: &str) -> Result<(), String> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{url}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("the address could not be printed: {e}"))
    }
}

/// Runs a whole consent: [`Consent::start`], `opener.open(url)`, [`Consent::finish`].
pub async fn consent(
    config: &ConsentConfig,
    opener: &dyn OpenUrl,
    timeout: Duration,
    cancel: impl Future<Output = ()>,
) -> Result<Authorized, OAuthError> {
    let consent = Consent::start(config)?;
    opener
        .open(consent.authorization_url())
        .map_err(OAuthError::Browser)?;
    consent.finish(timeout, cancel).await
}

/// Why a consent or a refresh failed. Messages are for the person at the keyboard: what happened and what
/// to do next. They never contain a token, a code or a client secret.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The connection's OAuth settings cannot be used (a URL does not parse...).
    #[error(
        "The connection's sign-in settings are not valid: {0}. Check the connection's settings."
    )]
    Config(String),
    /// The loopback listener could not be opened.
    #[error("Roster could not listen on 127.0.0.1 for the browser's answer ({0}). Check that no security software blocks local connections, then try again.")]
    Listen(String),
    /// The browser could not be opened.
    #[error("Roster could not open the browser for the sign-in: {0}.")]
    Browser(String),
    /// The admin clicked Deny (or the vendor denied access).
    #[error("The sign-in was declined: {vendor} reports that access was denied in the browser. Nothing was changed. To connect, start the sign-in again and approve the access (with an administrator account).")]
    Denied {
        /// Vendor name.
        vendor: String,
    },
    /// The authorization server refused the request itself (bad scope, client or redirect URI).
    #[error("{vendor} refused the sign-in request ({error}{description}). Check the client id and the permissions of the app registration against the setup steps, then try again.")]
    Refused {
        /// Vendor name.
        vendor: String,
        /// OAuth error code.
        error: String,
        /// `: description`, or empty.
        description: String,
    },
    /// The token endpoint would not exchange the code.
    #[error("{vendor} would not issue tokens for this sign-in ({error}{description}). {hint}")]
    Exchange {
        /// Vendor name.
        vendor: String,
        /// OAuth error code.
        error: String,
        /// `: description`, or empty.
        description: String,
        /// What to do.
        hint: String,
    },
    /// Cancelled by the user (or the app shutting down).
    #[error("The sign-in was cancelled. Nothing was changed; start it again when you are ready.")]
    Cancelled,
    /// No answer from the browser in time.
    #[error("No answer came from the browser within {}. Nothing was changed; start the sign-in again and finish it in the browser window Roster opens.", human(*.0))]
    TimedOut(Duration),
    /// The vendor could not be reached.
    #[error("{vendor} could not be reached ({detail}). Check the network connection; Roster will try again.")]
    Unreachable {
        /// Vendor name.
        vendor: String,
        /// What failed (never a URL with a query, a token or a code).
        detail: String,
    },
    /// The vendor answered something unusable.
    #[error("{vendor} answered with something Roster could not use ({detail}). Try again; if it keeps happening, check the connection's authorization and token URLs.")]
    Protocol {
        /// Vendor name.
        vendor: String,
        /// What was wrong.
        detail: String,
    },
    /// No tokens are stored for the connection.
    #[error("This connection to {vendor} is not authorized yet. Authorize it (click Reauthorize, or run `rosterctl connection reauthorize ID`) and sign in.")]
    NotAuthorized {
        /// Vendor name.
        vendor: String,
    },
    /// The refresh token was refused: consent revoked or expired.
    #[error("The connection to {vendor} needs reauthorization: {vendor} no longer accepts its sign-in (the consent was revoked or has expired{description}). Click Reauthorize on the connection (or run `rosterctl connection reauthorize ID`) and sign in again.")]
    Revoked {
        /// Vendor name.
        vendor: String,
        /// `: description`, or empty.
        description: String,
    },
    /// The token endpoint refused a refresh for another reason than the grant (client settings).
    #[error("{vendor} refused to renew this connection's access ({error}{description}). Check the client id (and secret) of the app registration, then reauthorize the connection.")]
    RefreshRefused {
        /// Vendor name.
        vendor: String,
        /// OAuth error code.
        error: String,
        /// `: description`, or empty.
        description: String,
    },
    /// The stored tokens could not be read or written.
    #[error("Roster could not read or save this connection's tokens: {0}")]
    Secrets(String),
}

impl From<OAuthError> for ConnectorError {
    fn from(e: OAuthError) -> Self {
        let msg = e.to_string();
        match e {
            OAuthError::Unreachable { .. } | OAuthError::Listen(_) => {
                ConnectorError::Unreachable(msg)
            }
            OAuthError::Protocol { .. } => ConnectorError::Protocol(msg),
            OAuthError::Config(_) | OAuthError::Secrets(_) | OAuthError::Browser(_) => {
                ConnectorError::Configuration(msg)
            }
            OAuthError::Denied { .. }
            | OAuthError::Refused { .. }
            | OAuthError::Exchange { .. }
            | OAuthError::Cancelled
            | OAuthError::TimedOut(_)
            | OAuthError::NotAuthorized { .. }
            | OAuthError::Revoked { .. }
            | OAuthError::RefreshRefused { .. } => ConnectorError::Unauthorized(msg),
        }
    }
}

/// A duration in words: "5 minutes", "1 minute", "30 seconds", "200 milliseconds".
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if s >= 60 && s.is_multiple_of(60) {
        plural(s / 60, "minute")
    } else if s >= 1 {
        plural(s, "second")
    } else {
        plural(u64::try_from(d.as_millis()).unwrap_or(0), "millisecond")
    }
}

/// `: text` for messages, or empty; cut to 300 characters.
pub(crate) fn colon(text: Option<&str>) -> String {
    match text.map(str::trim) {
        Some(t) if !t.is_empty() => format!(": {}", t.chars().take(300).collect::<String>()),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(human(Duration::from_secs(300)), "5 minutes");
        assert_eq!(human(Duration::from_secs(60)), "1 minute");
        assert_eq!(human(Duration::from_secs(90)), "90 seconds");
        assert_eq!(human(Duration::from_millis(250)), "250 milliseconds");
    }

    #[test]
    fn messages_are_plain_and_map_to_connector_errors() {
        let e = OAuthError::TimedOut(DEFAULT_TIMEOUT);
        assert!(e
            .to_string()
            .starts_with("No answer came from the browser within 5 minutes"));
        let c: ConnectorError = OAuthError::Revoked {
            vendor: "Okta".into(),
            description: String::new(),
        }
        .into();
        assert!(matches!(&c, ConnectorError::Unauthorized(m) if m.contains("Reauthorize")));
        let c: ConnectorError = OAuthError::Unreachable {
            vendor: "Okta".into(),
            detail: "timed out".into(),
        }
        .into();
        assert!(c.is_transient());
    }
}
