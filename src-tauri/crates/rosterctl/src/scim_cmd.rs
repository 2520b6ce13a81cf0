//! `rosterctl scim …`: SCIM integrations (Okta or any SCIM 2.0 client pushes to Roster). The base URLs
//! printed use the server's saved settings (`server.json`), which `rosterctl serve` serves.

use crate::{print_json, Failure};
use roster_api::scim::{IssuedToken, ScimFlavor};
use roster_api::Session;
use roster_server::ServerSettings;

/// SCIM integration commands.
#[derive(clap::Subcommand)]
pub(crate) enum ScimCmd {
    /// Add a SCIM integration; prints its base URL and bearer token (shown this once).
    Create {
        #[arg(long)]
        name: String,
        /// `okta` (Okta's SCIM provisioning) or `generic` (Entra ID, OneLogin, JumpCloud, scripts).
        #[arg(long, value_parser = parse_flavor)]
        flavor: ScimFlavor,
        #[arg(long)]
        json: bool,
    },
    /// Replace an integration's bearer token; the old one stops working at once.
    Regenerate {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// List SCIM integrations, with their token expiry and last push.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// A flavor as written on the command line, or which ones there are.
fn parse_flavor(s: &str) -> Result<ScimFlavor, String> {
    ScimFlavor::parse(s).ok_or_else(|| {
        let names: Vec<&str> = ScimFlavor::ALL.iter().map(|f| f.as_str()).collect();
        format!("the flavor is one of: {}", names.join(", "))
    })
}

fn origin(data_dir: &std::path::Path) -> Result<String, Failure> {
    let settings = ServerSettings::load(data_dir).map_err(|e| {
        Failure::Api(roster_api::ApiError::validation(format!(
            "The server settings cannot be read: {e}"
        )))
    })?;
    Ok(settings.origin())
}

fn print_issued(t: &IssuedToken, json: bool, what: &str) -> Result<(), Failure> {
    if json {
        return print_json(t);
    }
    say!("{what}");
    say!("SCIM base URL: {}", t.base_url);
    say!("Bearer token:  {}", t.token);
    say!("The token works until {}. Roster keeps only a digest of it: copy it into your identity provider now (Okta: the app's Provisioning > Integration; Entra ID: the enterprise app's Provisioning > Admin Credentials), and run `rosterctl serve` so the provider can reach Roster.", t.expires_at);
    Ok(())
}

pub(crate) fn run(
    s: &Session<'_>,
    data_dir: &std::path::Path,
    cmd: ScimCmd,
) -> Result<(), Failure> {
    let origin = origin(data_dir)?;
    match cmd {
        ScimCmd::Create { name, flavor, json } => {
            let t = s.create_scim_integration(&name, flavor, &origin)?;
            print_issued(
                &t,
                json,
                &format!(
                    "Added the SCIM integration \"{name}\" ({}).",
                    t.directory_key
                ),
            )
        }
        ScimCmd::Regenerate { key, json } => {
            let t = s.regenerate_scim_token(&key, &origin)?;
            print_issued(
                &t,
                json,
                "A new bearer token replaces the old one, which no longer works.",
            )
        }
        ScimCmd::List { json } => {
            let all = s.scim_integrations(&origin)?;
            if json {
                return print_json(&all);
            }
            for i in all {
                say!(
                    "{}  {:<28} {:<8} {} users, {} groups; token until {}; last push {}",
                    i.directory_key,
                    i.name,
                    i.flavor.as_str(),
                    i.users,
                    i.groups,
                    i.token_expires_at.as_deref().unwrap_or("(none)"),
                    i.last_push.as_deref().unwrap_or("never")
                );
                if let Some(m) = i.token_message {
                    say!("    {m}");
                }
            }
            Ok(())
        }
    }
}
