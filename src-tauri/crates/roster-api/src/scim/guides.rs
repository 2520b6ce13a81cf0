//! The identity providers' steps to push to a SCIM integration, with its base URL filled in: the window shows
//! them with a new bearer token, so it words no vendor's console itself.

use super::ScimFlavor;
use serde::Serialize;

/// One identity provider's steps to push users and groups to an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScimSetupGuide {
    /// The identity provider ("Okta", "Microsoft Entra ID").
    pub title: String,
    /// Its steps, in order, naming its console's labels.
    pub steps: Vec<String>,
}

fn okta(base_url: &str) -> ScimSetupGuide {
    ScimSetupGuide {
        title: "Okta".into(),
        steps: vec![
            "In the Okta Admin Console, open Applications → Applications and create (or open) a SCIM 2.0 app integration.".into(),
            "On its General tab choose Edit, set Provisioning to SCIM, and save.".into(),
            format!("On the Provisioning tab → Integration, set “SCIM connector base URL” to {base_url}"),
            "Set “Unique identifier field for users” to userName.".into(),
            "Tick Push New Users, Push Profile Updates and Push Groups; Authentication Mode: HTTP Header.".into(),
            "Paste the bearer token into Authorization, choose Test Connector Configuration, then Save.".into(),
            "On Provisioning → To App, enable Create Users, Update User Attributes and Deactivate Users; then assign people and push groups.".into(),
        ],
    }
}

fn entra(base_url: &str) -> ScimSetupGuide {
    ScimSetupGuide {
        title: "Microsoft Entra ID".into(),
        steps: vec![
            "In the Entra admin center, open Enterprise applications → New application → Create your own application (a non-gallery app).".into(),
            "Open its Provisioning page and set Provisioning Mode to Automatic.".into(),
            format!("Under Admin Credentials, set “Tenant URL” to {base_url}"),
            "Paste the bearer token into “Secret Token”, choose Test Connection, then Save.".into(),
            "Under Mappings, keep userName mapped from userPrincipalName; assign users and groups on Users and groups.".into(),
            "Set Provisioning Status to On and save; Entra ID pushes every 40 minutes or so (Provision on demand pushes one user now).".into(),
        ],
    }
}

impl ScimFlavor {
    /// The setup steps of the identity providers this flavor stands for, first the one it is named for: Okta's
    /// for Okta; for a generic integration Entra ID's (the usual generic SCIM client), then Okta's.
    pub fn setup_guides(self, base_url: &str) -> Vec<ScimSetupGuide> {
        match self {
            ScimFlavor::Okta => vec![okta(base_url)],
            ScimFlavor::Generic => vec![entra(base_url), okta(base_url)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flavor_has_its_providers_steps_with_the_base_url() {
        let url = "http://127.0.0.1:8742/scim/v2/DSABC";
        let okta = ScimFlavor::Okta.setup_guides(url);
        assert_eq!(
            okta.iter().map(|g| g.title.as_str()).collect::<Vec<_>>(),
            ["Okta"]
        );
        assert!(okta[0]
            .steps
            .iter()
            .any(|s| s.ends_with(&format!("“SCIM connector base URL” to {url}"))));
        let generic = ScimFlavor::Generic.setup_guides(url);
        assert_eq!(
            generic.iter().map(|g| g.title.as_str()).collect::<Vec<_>>(),
            ["Microsoft Entra ID", "Okta"]
        );
        assert!(generic[0]
            .steps
            .iter()
            .any(|s| s.contains(&format!("“Tenant URL” to {url}"))));
    }
}
