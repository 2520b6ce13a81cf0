//! The connection settings of a Google Workspace directory, and what its OAuth consent asks for.
//!
//! The client secret of the customer's Desktop OAuth client is not here: Google's token endpoint requires
//! it, so Roster keeps it, like the tokens, in the OS keychain, and passes it to [`Settings::consent`].

use roster_cloud::ConsentConfig;
use roster_core::AttributeMap;
use serde::{Deserialize, Serialize};

/// Google's authorization endpoint.
pub const AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The Admin SDK's host.
pub const API_URL: &str = "https://admin.googleapis.com";
/// Google's OpenID Connect userinfo endpoint (who authorized, when the ID token is not enough).
pub const USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";

/// Read users (`users.list`, `users.get`).
pub const SCOPE_USERS: &str = "https://www.googleapis.com/auth/admin.directory.user.readonly";
/// Read groups (`groups.list`, `groups.get`).
pub const SCOPE_GROUPS: &str = "https://www.googleapis.com/auth/admin.directory.group.readonly";
/// Read group members (`members.list`, `members.hasMember`).
pub const SCOPE_MEMBERS: &str =
    "https://www.googleapis.com/auth/admin.directory.group.member.readonly";

/// Settings of one Google Workspace connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The client id of the customer's Desktop OAuth client (`….apps.googleusercontent.com`).
    pub client_id: String,
    /// Whose users to read: `my_customer` (the account of whoever authorized) or a customer id (`C0…`).
    #[serde(default = "my_customer")]
    pub customer: String,
    /// Read only this one of the customer's domains (multi-domain accounts). Absent: every domain.
    #[serde(default)]
    pub domain: Option<String>,
    /// Authorization endpoint (overridable for the emulator).
    #[serde(default = "authorize_url")]
    pub authorize_url: String,
    /// Token endpoint (overridable for the emulator).
    #[serde(default = "token_url")]
    pub token_url: String,
    /// The Admin SDK's base URL, without `/admin/directory/v1` (overridable for the emulator).
    #[serde(default = "api_url")]
    pub api_url: String,
}

fn my_customer() -> String {
    "my_customer".into()
}
fn authorize_url() -> String {
    AUTHORIZE_URL.into()
}
fn token_url() -> String {
    TOKEN_URL.into()
}
fn api_url() -> String {
    API_URL.into()
}

impl Settings {
    /// Settings with Google's endpoints for `client_id` and the authorizing admin's own account.
    pub fn new(client_id: impl Into<String>) -> Settings {
        Settings {
            client_id: client_id.into(),
            customer: my_customer(),
            domain: None,
            authorize_url: authorize_url(),
            token_url: token_url(),
            api_url: api_url(),
        }
    }

    /// Checks the settings; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.client_id.trim().is_empty() {
            return Err("The client id is empty. Create an OAuth client of type \"Desktop app\" in the Google Cloud console (APIs & Services > Credentials) and paste its client id.".into());
        }
        if self.client_id.chars().any(char::is_whitespace) {
            return Err(
                "The client id contains spaces. Paste it exactly as the Google Cloud console shows it."
                    .into(),
            );
        }
        let customer = self.customer.trim();
        let customer_ok = customer == "my_customer"
            || (!customer.is_empty() && customer.chars().all(|c| c.is_ascii_alphanumeric()));
        if !customer_ok {
            return Err(format!("The customer \"{}\" is not valid. Use my_customer (the account of the administrator who authorizes) or a customer id such as C03az79cb (Admin console > Account > Account settings).", self.customer));
        }
        if let Some(domain) = &self.domain {
            let d = domain.trim();
            let ok = d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !ok {
                return Err(format!("The domain \"{domain}\" is not a domain name. Use one of the account's domains, such as example.com, or leave it empty to read every domain."));
            }
        }
        for (what, value) in [
            ("authorization URL", &self.authorize_url),
            ("token URL", &self.token_url),
            ("API URL", &self.api_url),
        ] {
            check_url(what, value)?;
        }
        Ok(())
    }

    /// What the OAuth consent needs: the Admin SDK's read-only scopes (users, groups, group members), the
    /// OpenID scopes that say who authorized, and `access_type=offline` with `prompt=consent` so that Google
    /// issues a refresh token every time (it otherwise does so only on the first consent).
    pub fn consent(&self, client_secret: String) -> ConsentConfig {
        // Google's userinfo lives on its own host; an emulator serves it beside its token endpoint.
        let userinfo = match url::Url::parse(&self.token_url) {
            Ok(u) if self.token_url != TOKEN_URL => {
                format!("{}/v1/userinfo", u.origin().ascii_serialization())
            }
            _ => USERINFO_URL.to_string(),
        };
        ConsentConfig {
            vendor: "Google Workspace".into(),
            authorize_url: self.authorize_url.clone(),
            token_url: self.token_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: Some(client_secret),
            scopes: vec![
                "openid".into(),
                "email".into(),
                "profile".into(),
                SCOPE_USERS.into(),
                SCOPE_GROUPS.into(),
                SCOPE_MEMBERS.into(),
            ],
            extra_params: vec![
                ("access_type".into(), "offline".into()),
                ("prompt".into(), "consent".into()),
            ],
            userinfo_url: Some(userinfo),
            ..ConsentConfig::default()
        }
    }
}

fn check_url(what: &str, value: &str) -> Result<(), String> {
    let parsed = url::Url::parse(value.trim()).map_err(|_| {
        format!("The {what} \"{value}\" is not a URL. Leave it empty to use Google's.")
    })?;
    let loopback = matches!(
        parsed.host_str(),
        Some("127.0.0.1") | Some("localhost") | Some("[::1]")
    );
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "The {what} \"{value}\" must start with https:// (plain http is allowed only on this computer, for the demo). Leave it empty to use Google's."
        )),
    }
}

/// The attribute mapping a new Google sync starts with: the primary email is the username and the email;
/// names from `name.*`; every phone number.
pub fn default_attributes() -> AttributeMap {
    AttributeMap {
        username: "primaryEmail".into(),
        aliases: Vec::new(),
        email: Some("primaryEmail".into()),
        realname: Some("name.fullName".into()),
        firstname: Some("name.givenName".into()),
        lastname: Some("name.familyName".into()),
        phones: vec!["phones".into()],
        notes: None,
        custom: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_and_unknown_fields_are_refused() {
        let s: Settings =
            serde_json::from_str(r#"{"client_id":"abc.apps.googleusercontent.com"}"#).unwrap();
        assert_eq!(s, Settings::new("abc.apps.googleusercontent.com"));
        assert_eq!(s.customer, "my_customer");
        assert_eq!(s.api_url, API_URL);
        assert!(s.validate().is_ok());
        let err = serde_json::from_str::<Settings>(r#"{"client_id":"a","client_secret":"s"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("client_secret"),
            "the secret belongs in the keychain, not the settings: {err}"
        );
    }

    #[test]
    fn validation_names_what_to_fix() {
        let mut s = Settings::new(" ");
        assert!(s.validate().unwrap_err().contains("client id"));
        s.client_id = "abc".into();
        s.customer = "my customer".into();
        assert!(s.validate().unwrap_err().contains("customer"));
        s.customer = "C03az79cb".into();
        s.domain = Some("not a domain".into());
        assert!(s.validate().unwrap_err().contains("domain"));
        s.domain = Some("example.com".into());
        s.api_url = "http://admin.example.com".into();
        assert!(s.validate().unwrap_err().contains("https://"));
        s.api_url = "http://127.0.0.1:8080".into();
        assert!(s.validate().is_ok(), "the emulator is on loopback");
    }

    #[test]
    fn consent_asks_for_read_only_admin_scopes_and_a_refresh_token() {
        let c = Settings::new("abc").consent("shh".into());
        assert_eq!(c.client_secret.as_deref(), Some("shh"));
        for s in [
            "openid",
            "email",
            "profile",
            SCOPE_USERS,
            SCOPE_GROUPS,
            SCOPE_MEMBERS,
        ] {
            assert!(c.scopes.iter().any(|x| x == s), "{s}");
        }
        assert!(c
            .scopes
            .iter()
            .all(|s| !s.contains("directory") || s.ends_with(".readonly")));
        assert!(c
            .extra_params
            .contains(&("access_type".into(), "offline".into())));
        assert!(c
            .extra_params
            .contains(&("prompt".into(), "consent".into())));
        assert!(!format!("{c:?}").contains("shh"), "Debug hides the secret");
        assert_eq!(default_attributes().username, "primaryEmail");
        assert!(default_attributes().validate().is_ok());
    }
}
