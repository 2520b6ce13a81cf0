//! `rosterctl api …`: Admin API applications (Duo-compatible scripts such as duo_client use them). The
//! API hostname printed is the server's public host from its saved settings (`server.json`), which
//! `rosterctl serve` serves, unless the application names its own with `--host`.

use crate::{print_json, Failure};
use roster_api::api_apps::IssuedApiKeys;
use roster_api::Session;
use roster_server::ServerSettings;

/// Admin API application commands.
#[derive(clap::Subcommand)]
pub(crate) enum ApiCmd {
    /// Add an Admin API application; prints its integration key, secret key (shown this once) and API
    /// hostname.
    Create {
        #[arg(long)]
        name: String,
        /// Permissions, comma-separated or repeated: read_resource, write_resource, admins, info,
        /// read_log, settings, integrations (or Duo's adminapi_… names).
        #[arg(long = "grant", value_name = "GRANTS")]
        grants: Vec<String>,
        /// The API hostname clients sign and connect to, when not this server's public host.
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List Admin API applications, with their permissions and when each was last used.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Give an application a new secret key; the old one stops working at once.
    ResetSecret {
        ikey: String,
        #[arg(long)]
        json: bool,
    },
    /// Replace an application's permissions.
    Grants {
        ikey: String,
        #[arg(long = "grant", value_name = "GRANTS")]
        grants: Vec<String>,
    },
    /// Delete an application; its keys stop working at once.
    Delete { ikey: String },
}

/// The API hostname of this server: the host of its public origin.
pub(crate) fn default_host(data_dir: &std::path::Path) -> Result<String, Failure> {
    let settings = ServerSettings::load(data_dir).map_err(|e| {
        Failure::Api(roster_api::ApiError::validation(format!(
            "The server settings cannot be read: {e}"
        )))
    })?;
    Ok(url::Url::parse(&settings.origin())
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "127.0.0.1".into()))
}

fn print_keys(k: &IssuedApiKeys, json: bool, what: &str) -> Result<(), Failure> {
    if json {
        return print_json(k);
    }
    say!("{what}");
    say!("Integration key: {}", k.ikey);
    say!("Secret key:      {}", k.skey);
    say!("API hostname:    {}", k.host);
    say!("Roster keeps the secret key only in the secret store and shows it this once: copy it into your script now, and run `rosterctl serve` so the script can reach Roster.");
    Ok(())
}

pub(crate) fn run(s: &Session<'_>, data_dir: &std::path::Path, cmd: ApiCmd) -> Result<(), Failure> {
    let host = default_host(data_dir)?;
    match cmd {
        ApiCmd::Create {
            name,
            grants,
            host: own,
            json,
        } => {
            let k = s.create_api_application(&name, &grants, own.as_deref(), &host)?;
            print_keys(
                &k,
                json,
                &format!("Added the Admin API application \"{name}\" ({}).", k.ikey),
            )
        }
        ApiCmd::List { json } => {
            let all = s.api_applications(&host)?;
            if json {
                return print_json(&all);
            }
            for a in all {
                say!(
                    "{}  {:<28} {}  [{}]  last used {}",
                    a.ikey,
                    a.name,
                    a.host,
                    a.grants.join(", "),
                    a.last_used.as_deref().unwrap_or("never")
                );
            }
            Ok(())
        }
        ApiCmd::ResetSecret { ikey, json } => {
            let k = s.reset_api_secret(&ikey, &host)?;
            print_keys(
                &k,
                json,
                "A new secret key replaces the old one, which no longer works.",
            )
        }
        ApiCmd::Grants { ikey, grants } => {
            s.set_api_grants(&ikey, &grants)?;
            say!("The permissions of {ikey} are now: {}.", grants.join(", "));
            Ok(())
        }
        ApiCmd::Delete { ikey } => {
            s.delete_api_application(&ikey)?;
            say!("Deleted the Admin API application {ikey}; its keys no longer work.");
            Ok(())
        }
    }
}
