//! The offline demo of the cloud directories: Roster's own emulators of Microsoft Graph, the Google
//! Directory API and the Okta Management API, with their authorization servers, started in this process
//! on 127.0.0.1 when a demo connection is first used. Behind the `demo` feature: the application layer's
//! types never name the emulators.

use crate::error::{ApiError, Code, Result};
use crate::kinds::Vendor;
use crate::Roster;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How often the demo organisations change while the app runs.
const DEMO_CHURN_EVERY: Duration = Duration::from_secs(600);

fn emulated(vendor: Vendor) -> roster_emulator::Vendor {
    match vendor {
        Vendor::Entra => roster_emulator::Vendor::Entra,
        Vendor::Google => roster_emulator::Vendor::Google,
        Vendor::Okta => roster_emulator::Vendor::Okta,
    }
}

#[derive(Default)]
pub(crate) struct DemoServers {
    running: tokio::sync::Mutex<HashMap<roster_emulator::Vendor, roster_emulator::Running>>,
}

impl std::fmt::Debug for DemoServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoServers")
    }
}

impl Roster {
    /// The demo emulator of `vendor`, started if it is not running; returns its connection settings
    /// (endpoints on 127.0.0.1) and the Google demo client's secret.
    pub(crate) async fn demo_settings(
        &self,
        kind: Vendor,
    ) -> Result<(serde_json::Map<String, serde_json::Value>, Option<String>)> {
        let vendor = emulated(kind);
        let mut running = self.demo_servers.running.lock().await;
        let server = match running.entry(vendor) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut options = roster_emulator::Options::demo(vendor);
                options.users = 500;
                let server = roster_emulator::serve(vendor, options).await.map_err(|e| {
                ApiError::new(
                    Code::Unknown,
                    format!("The offline demo of {} could not start ({e}). Close other copies of Roster and try again.", kind.kind().info().name),
                )
            })?;
                // The demo organisation changes over time, as a real one does: a few changes every few
                // minutes, so scheduled syncs have something to show. The task ends with the server.
                let state = Arc::downgrade(&server.state);
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(DEMO_CHURN_EVERY).await;
                        match state.upgrade() {
                            Some(s) => {
                                s.write().churn(3);
                            }
                            None => break,
                        }
                    }
                });
                e.insert(server)
            }
        };
        let mut spec = match server.connection_spec() {
            serde_json::Value::Object(o) => o,
            _ => serde_json::Map::new(),
        };
        spec.remove("kind");
        spec.remove("name");
        let secret = spec
            .remove("client_secret")
            .and_then(|v| v.as_str().map(str::to_string));
        Ok((spec, secret))
    }

    /// Lets the demo emulator honour the consent a demo connection was given before, by an emulator of an
    /// earlier start of the app (the real vendors remember consents; an emulator that forgot them on every
    /// start would make the demo ask again each time). `scopes` are those the consent asked for, used when
    /// the token response did not list the granted ones.
    pub(crate) async fn demo_remember(
        &self,
        kind: Vendor,
        tokens: &roster_oauth::TokenSet,
        scopes: &[String],
    ) {
        let vendor = emulated(kind);
        let running = self.demo_servers.running.lock().await;
        if let (Some(server), Some(refresh)) = (running.get(&vendor), tokens.refresh_token.as_ref())
        {
            let admin = server
                .state
                .read()
                .admin()
                .map(|p| p.id.clone())
                .unwrap_or_default();
            server.state.tokens.adopt_refresh(
                refresh,
                roster_emulator::tokens::Grant {
                    client_id: server.state.options.client_id.clone(),
                    subject: admin,
                    scopes: match &tokens.scope {
                        Some(granted) => granted.split_whitespace().map(str::to_string).collect(),
                        None => scopes.to_vec(),
                    },
                },
            );
        }
    }
}
