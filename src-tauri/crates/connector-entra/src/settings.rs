//! The connection settings of an Entra ID tenant (no secret: the app registration is a public client and
//! the tokens live in the keychain), the consent they call for, and the default attribute mapping.

use roster_cloud::{ConsentConfig, LoopbackHost};
use roster_core::AttributeMap;
use serde::{Deserialize, Serialize};

/// Which Microsoft cloud the tenant lives in: decides the sign-in and Graph hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// Microsoft's global service.
    #[default]
    Global,
    /// Azure Government (US Government L4).
    UsGovernment,
    /// Microsoft Azure operated by 21Vianet (China).
    China,
}

impl Cloud {
    /// The Microsoft identity platform's host for this cloud.
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovernment => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }
    /// Microsoft Graph's host for this cloud.
    pub fn graph(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovernment => "https://graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }
}

/// Settings of one Entra ID connection (a spec file's `connection` object without `kind` and `name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The tenant: its id (a GUID) or one of its domains (`contoso.onmicrosoft.com`).
    pub tenant: String,
    /// The application (client) id of the customer's own app registration, a public client.
    pub client_id: String,
    /// Which Microsoft cloud.
    #[serde(default)]
    pub cloud: Cloud,
    /// Overrides the sign-in host (`https://login.microsoftonline.com`); the emulator sets it.
    #[serde(default)]
    pub authority_url: Option<String>,
    /// Overrides the Graph host (`https://graph.microsoft.com`, without `/v1.0`); the emulator sets it.
    #[serde(default)]
    pub graph_url: Option<String>,
    /// Whether guests (B2B users, `userType` Guest) are synced. Default: no.
    #[serde(default)]
    pub include_guests: bool,
}

/// Delegated scopes Roster asks for: who signed in, a refresh token, and read-only access to users and to
/// group memberships. Nothing that can write.
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "offline_access",
    "User.Read.All",
    "GroupMember.Read.All",
];

fn trim_slash(s: &str) -> String {
    s.trim().trim_end_matches('/').to_string()
}

fn check_url(name: &str, url: &str) -> Result<(), String> {
    let u = url::Url::parse(url.trim()).map_err(|_| {
        format!("The {name} \"{url}\" is not a web address. Enter it as https://host, or leave it empty to use the cloud's own.")
    })?;
    let loopback = matches!(
        u.host_str(),
        Some("127.0.0.1") | Some("localhost") | Some("[::1]")
    );
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "The {name} \"{url}\" must start with https:// (plain http is only allowed on this computer, for the demo)."
        )),
    }
}

impl Settings {
    /// The sign-in host, without a trailing slash.
    pub fn authority(&self) -> String {
        match &self.authority_url {
            Some(u) if !u.trim().is_empty() => trim_slash(u),
            _ => self.cloud.authority().to_string(),
        }
    }

    /// The Graph host, without `/v1.0` or a trailing slash.
    pub fn graph(&self) -> String {
        match &self.graph_url {
            Some(u) if !u.trim().is_empty() => trim_slash(u).trim_end_matches("/v1.0").to_string(),
            _ => self.cloud.graph().to_string(),
        }
    }

    /// Checks the settings; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let t = self.tenant.trim();
        if t.is_empty() {
            return Err("The tenant is empty. Enter your tenant's id (a GUID, from the Entra admin center's Overview page) or its primary domain, such as contoso.onmicrosoft.com.".into());
        }
        if ["common", "organizations", "consumers"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(t))
        {
            return Err(format!("\"{t}\" is not one tenant. Enter your own tenant's id or primary domain, so that Roster signs in to and reads your directory only."));
        }
        let ok = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok {
            return Err(format!("The tenant \"{t}\" is neither a tenant id nor a domain name. Enter the id (a GUID) or the primary domain, such as contoso.onmicrosoft.com."));
        }
        let c = self.client_id.trim();
        if c.is_empty() {
            return Err("The client id is empty. Enter the Application (client) ID of the app registration you created for Roster (see the setup steps).".into());
        }
        if c.chars()
            .any(|ch| ch.is_whitespace() || ch == '/' || ch == '?')
        {
            return Err(format!("The client id \"{c}\" is not valid. Copy the Application (client) ID from the app registration's Overview page."));
        }
        if let Some(u) = self
            .authority_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            check_url("sign-in address", u)?;
        }
        if let Some(u) = self.graph_url.as_deref().filter(|u| !u.trim().is_empty()) {
            check_url("Microsoft Graph address", u)?;
        }
        Ok(())
    }

    /// What the consent for this connection needs: the tenant's authorization and token endpoints, the
    /// public client's id (no secret: Microsoft refuses one from a public client, AADSTS700025), delegated
    /// read-only scopes, and `http://localhost` redirects (the only loopback form Entra's "Mobile and desktop"
    /// platform registers; the port is ignored).
    ///
    /// National clouds need the Graph scopes named with their own Graph host (a bare scope means the global
    /// Graph); the global cloud and overridden hosts use the bare names.
    pub fn consent(&self) -> ConsentConfig {
        let base = format!("{}/{}/oauth2/v2.0", self.authority(), self.tenant.trim());
        let prefix = match (self.cloud, &self.graph_url) {
            (Cloud::Global, _) => None,
            (_, Some(u)) if !u.trim().is_empty() => None,
            (c, _) => Some(c.graph()),
        };
        let scopes = SCOPES
            .iter()
            .map(|s| match prefix {
                Some(p) if s.contains('.') => format!("{p}/{s}"),
                _ => s.to_string(),
            })
            .collect();
        ConsentConfig {
            vendor: "Microsoft Entra ID".into(),
            authorize_url: format!("{base}/authorize"),
            token_url: format!("{base}/token"),
            client_id: self.client_id.trim().to_string(),
            client_secret: None,
            scopes,
            extra_params: Vec::new(),
            loopback_host: LoopbackHost::Localhost,
            ..ConsentConfig::default()
        }
    }
}

/// The default mapping for Entra ID: username = userPrincipalName (Duo's default for Azure sync).
pub fn default_attributes() -> AttributeMap {
    AttributeMap {
        username: "userPrincipalName".into(),
        email: Some("mail".into()),
        realname: Some("displayName".into()),
        firstname: Some("givenName".into()),
        lastname: Some("surname".into()),
        phones: vec!["mobilePhone".into(), "businessPhones".into()],
        ..AttributeMap::ldap_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(tenant: &str) -> Settings {
        Settings {
            tenant: tenant.into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            cloud: Cloud::Global,
            authority_url: None,
            graph_url: None,
            include_guests: false,
        }
    }

    #[test]
    fn validation_explains_what_to_fix() {
        assert!(s("contoso.onmicrosoft.com").validate().is_ok());
        assert!(s("72f988bf-86f1-41af-91ab-2d7cd011db47").validate().is_ok());
        assert!(s("").validate().unwrap_err().contains("tenant is empty"));
        assert!(s("common")
            .validate()
            .unwrap_err()
            .contains("not one tenant"));
        assert!(s("con toso").validate().is_err());
        let mut x = s("contoso.com");
        x.client_id = " ".into();
        assert!(x.validate().unwrap_err().contains("client id is empty"));
        x.client_id = "abc".into();
        x.graph_url = Some("http://graph.example.com".into());
        assert!(x.validate().unwrap_err().contains("https://"));
        x.graph_url = Some("http://127.0.0.1:8080".into());
        assert!(x.validate().is_ok(), "loopback http is the demo");
    }

    #[test]
    fn clouds_choose_hosts_and_overrides_win() {
        let mut x = s("contoso.us");
        x.cloud = Cloud::UsGovernment;
        let c = x.consent();
        assert_eq!(
            c.authorize_url,
            "https://login.microsoftonline.us/contoso.us/oauth2/v2.0/authorize"
        );
        assert_eq!(x.graph(), "https://graph.microsoft.us");
        assert!(c
            .scopes
            .contains(&"https://graph.microsoft.us/User.Read.All".to_string()));
        assert!(c.scopes.contains(&"offline_access".to_string()));
        assert!(c.client_secret.is_none());
        x.cloud = Cloud::China;
        assert_eq!(
            x.consent().token_url,
            "https://login.chinacloudapi.cn/contoso.us/oauth2/v2.0/token"
        );
        assert_eq!(x.graph(), "https://microsoftgraph.chinacloudapi.cn");
        x.authority_url = Some("http://127.0.0.1:9/".into());
        x.graph_url = Some("http://127.0.0.1:9/v1.0".into());
        assert_eq!(x.graph(), "http://127.0.0.1:9");
        assert_eq!(
            x.consent().authorize_url,
            "http://127.0.0.1:9/contoso.us/oauth2/v2.0/authorize"
        );
        assert!(x.consent().scopes.contains(&"User.Read.All".to_string()));
        let g = s("contoso.com").consent();
        assert_eq!(
            g.scopes.join(" "),
            "openid profile offline_access User.Read.All GroupMember.Read.All"
        );
        assert_eq!(g.loopback_host, LoopbackHost::Localhost);
    }

    #[test]
    fn settings_refuse_unknown_fields() {
        let bad = serde_json::json!({"tenant": "t", "client_id": "c", "secret": "x"});
        assert!(serde_json::from_value::<Settings>(bad).is_err());
        let ok = serde_json::json!({"tenant": "t", "client_id": "c", "cloud": "us_government"});
        assert_eq!(
            serde_json::from_value::<Settings>(ok).unwrap().cloud,
            Cloud::UsGovernment
        );
    }
}
