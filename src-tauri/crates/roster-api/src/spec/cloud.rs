//! Cloud connection settings (Entra ID, Google Workspace, Okta) as Roster keeps them: parsed and checked by
//! the connector crates, and the consent each asks for. Pure: nothing here signs in or reads the network
//! (the application layer's `cloud` module builds connectors over them; `consent` signs in).

use super::CloudSpec;
use crate::error::{ApiError, Result};
use crate::kinds::{ConnectionKind, Vendor};
use roster_cloud::ConsentConfig;

/// A cloud connection's parsed settings.
pub(crate) enum CloudSettings {
    Entra(roster_connector_entra::Settings),
    Google(roster_connector_google::Settings),
    Okta(roster_connector_okta::Settings),
}

fn unreadable(kind: ConnectionKind, e: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!(
        "The {} connection settings are not valid: {e}. The README lists every field of a {} connection.",
        kind.info().name,
        kind.as_str()
    ))
}

/// The vendor of a cloud connection's kind, or what to do instead.
pub(crate) fn vendor_of(kind: ConnectionKind) -> Result<Vendor> {
    kind.vendor().ok_or_else(|| {
        ApiError::validation(format!(
            "A {} connection does not sign in through a browser; only Entra ID, Google Workspace and Okta connections do.",
            kind.info().name
        ))
    })
}

impl CloudSettings {
    pub(crate) fn parse(kind: ConnectionKind, config: &serde_json::Value) -> Result<CloudSettings> {
        let mut config = config.clone();
        if let Some(o) = config.as_object_mut() {
            o.remove("demo");
        }
        let s = match vendor_of(kind)? {
            Vendor::Entra => CloudSettings::Entra(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            Vendor::Google => CloudSettings::Google(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            Vendor::Okta => CloudSettings::Okta(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
        };
        let checked = match &s {
            CloudSettings::Entra(x) => x.validate(),
            CloudSettings::Google(x) => x.validate(),
            CloudSettings::Okta(x) => x.validate(),
        };
        checked.map_err(ApiError::validation)?;
        Ok(s)
    }

    pub(crate) fn consent(&self, client_secret: Option<String>) -> Result<ConsentConfig> {
        Ok(match self {
            CloudSettings::Entra(s) => s.consent(),
            CloudSettings::Google(s) => s.consent(client_secret.ok_or_else(|| {
                ApiError::validation("Give the client secret of your Google Desktop OAuth client (\"client_secret\"); Google's token endpoint requires it. Roster keeps it in the OS keychain.")
            })?),
            CloudSettings::Okta(s) => s.consent(),
        })
    }
}

/// Checks a spec's cloud connection; the error says what to fix.
pub(crate) fn validate(kind: ConnectionKind, c: &CloudSpec) -> Result<()> {
    if c.demo {
        return Ok(());
    }
    let settings = CloudSettings::parse(kind, &serde_json::Value::Object(c.settings.clone()))?;
    settings
        .consent(c.client_secret.as_ref().map(|s| s.expose().to_string()))
        .map(|_| ())
}

/// A cloud connection's display name when the spec gives none.
pub(crate) fn default_name(kind: ConnectionKind, c: &CloudSpec) -> String {
    if c.demo {
        return kind.demo_name();
    }
    let s = |k: &str| {
        c.settings
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let given = match kind.vendor() {
        Some(Vendor::Entra) => s("tenant"),
        Some(Vendor::Google) => s("domain"),
        Some(Vendor::Okta) => s("org_url"),
        None => None,
    };
    given.unwrap_or_else(|| kind.info().name.to_string())
}
