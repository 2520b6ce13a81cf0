//! The settings of an Okta connection (never a token: those live in the keychain, behind
//! [`roster_cloud::Bearer`]).

use roster_cloud::ConsentConfig;
use serde::{Deserialize, Serialize};

/// The scopes Roster asks for: who authorized (`openid profile`), a refresh token (`offline_access`), and
/// read-only access to users and groups. Only the org authorization server mints `okta.*` scopes.
pub const SCOPES: [&str; 5] = [
    "openid",
    "profile",
    "offline_access",
    "okta.users.read",
    "okta.groups.read",
];

/// Settings of one Okta connection.
///
/// The customer creates an OIDC *Native* app in their Okta org (grant type Authorization Code, client
/// authentication None, PKCE required, sign-in redirect URI `http://127.0.0.1:{port}/callback`), grants it
/// the `okta.users.read` and `okta.groups.read` scopes on its "Okta API Scopes" tab, and leaves DPoP off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The org URL, e.g. `https://northwind.okta.com` (not the `-admin` console URL). `https://` is
    /// required; `http://` only for a loopback address (the offline demo's emulator).
    pub org_url: String,
    /// The client id of the Native app (public client: no secret).
    pub client_id: String,
    /// Authorization endpoint. Default: `{org_url}/oauth2/v1/authorize`, the org authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
    /// Token endpoint. Default: `{org_url}/oauth2/v1/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Management API base. Default: the org URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

fn loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Checks one endpoint URL; `what` names it in the message.
fn check_url(what: &str, value: &str, base_only: bool) -> Result<url::Url, String> {
    let u = url::Url::parse(value.trim()).map_err(|_| {
        format!("The {what} \"{value}\" is not a URL. Write it in full, for example \"https://northwind.okta.com\".")
    })?;
    let host = u
        .host()
        .ok_or_else(|| format!("The {what} \"{value}\" has no host name."))?;
    match u.scheme() {
        "https" => {}
        "http" if loopback(&host) => {}
        _ => {
            return Err(format!(
                "The {what} \"{value}\" must start with https:// (plain http is allowed only for 127.0.0.1 or localhost)."
            ))
        }
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!(
            "The {what} must not contain a user name or password."
        ));
    }
    if base_only && (!u.path().trim_end_matches('/').is_empty() || u.query().is_some()) {
        return Err(format!(
            "The {what} \"{value}\" must be the address alone, without a path, for example \"https://northwind.okta.com\"."
        ));
    }
    Ok(u)
}

fn trimmed(u: &str) -> String {
    u.trim().trim_end_matches('/').to_string()
}

impl Settings {
    /// Checks the settings; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let org = check_url("org URL", &self.org_url, true)?;
        if org
            .host_str()
            .is_some_and(|h| h.to_ascii_lowercase().contains("-admin."))
        {
            return Err(format!(
                "\"{}\" is the Okta admin console's address. Use the org URL without \"-admin\", for example \"https://northwind.okta.com\".",
                self.org_url
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err("Give the client id of your Okta Native app (Applications > your app > General > Client ID).".into());
        }
        if let Some(u) = &self.authorize_url {
            check_url("authorization URL", u, false)?;
        }
        if let Some(u) = &self.token_url {
            check_url("token URL", u, false)?;
        }
        if let Some(u) = &self.api_url {
            check_url("API URL", u, true)?;
        }
        Ok(())
    }

    /// The org URL without a trailing slash.
    pub fn org(&self) -> String {
        trimmed(&self.org_url)
    }

    /// The Management API base without a trailing slash (`{api}/api/v1/...`).
    pub fn api(&self) -> String {
        self.api_url
            .as_deref()
            .map(trimmed)
            .unwrap_or_else(|| self.org())
    }

    /// What an OAuth consent for this connection needs: the org authorization server (the only one that
    /// mints `okta.*` scopes; a custom server such as `/oauth2/default` cannot), PKCE and no secret.
    pub fn consent(&self) -> ConsentConfig {
        let org = self.org();
        ConsentConfig {
            vendor: "Okta".into(),
            authorize_url: self
                .authorize_url
                .as_deref()
                .map(|u| u.trim().to_string())
                .unwrap_or_else(|| format!("{org}/oauth2/v1/authorize")),
            token_url: self
                .token_url
                .as_deref()
                .map(|u| u.trim().to_string())
                .unwrap_or_else(|| format!("{org}/oauth2/v1/token")),
            client_id: self.client_id.trim().to_string(),
            client_secret: None,
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            extra_params: Vec::new(),
            userinfo_url: Some(format!("{org}/oauth2/v1/userinfo")),
            ..ConsentConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(org: &str) -> Settings {
        Settings {
            org_url: org.into(),
            client_id: "0oa1".into(),
            authorize_url: None,
            token_url: None,
            api_url: None,
        }
    }

    #[test]
    fn org_urls_must_be_https_or_loopback() {
        assert!(s("https://northwind.okta.com").validate().is_ok());
        assert!(s("https://northwind.okta.com/").validate().is_ok());
        assert!(s("http://127.0.0.1:8080").validate().is_ok());
        assert!(s("http://localhost:8080").validate().is_ok());
        assert!(s("http://[::1]:8080").validate().is_ok());
        let e = s("http://northwind.okta.com").validate().unwrap_err();
        assert!(e.contains("https://"), "{e}");
        let e = s("https://northwind-admin.okta.com")
            .validate()
            .unwrap_err();
        assert!(e.contains("-admin"), "{e}");
        let e = s("https://northwind.okta.com/oauth2/default")
            .validate()
            .unwrap_err();
        assert!(e.contains("without a path"), "{e}");
        assert!(s("northwind.okta.com").validate().is_err());
        let mut no_client = s("https://northwind.okta.com");
        no_client.client_id = " ".into();
        assert!(no_client.validate().is_err());
    }

    #[test]
    fn consent_uses_the_org_authorization_server_with_pkce_and_no_secret() {
        let c = s("https://northwind.okta.com/").consent();
        assert_eq!(
            c.authorize_url,
            "https://northwind.okta.com/oauth2/v1/authorize"
        );
        assert_eq!(c.token_url, "https://northwind.okta.com/oauth2/v1/token");
        assert_eq!(c.client_secret, None);
        for scope in [
            "openid",
            "profile",
            "offline_access",
            "okta.users.read",
            "okta.groups.read",
        ] {
            assert!(c.scopes.iter().any(|x| x == scope), "{scope}");
        }
        let parsed: Settings = serde_json::from_value(serde_json::json!({
            "org_url": "https://a.okta.com", "client_id": "x", "token_url": "https://a.okta.com/t"
        }))
        .unwrap();
        assert_eq!(parsed.consent().token_url, "https://a.okta.com/t");
        assert!(
            serde_json::from_value::<Settings>(serde_json::json!({
                "org_url": "https://a.okta.com", "client_id": "x", "secret": "nope"
            }))
            .is_err(),
            "unknown fields are refused"
        );
    }
}
