//! Connections: listing, deleting, testing, the group picker, entering a secret again, and building the
//! connector of a connection (the one place that matches on how a kind is reached).

use crate::error::{ApiError, Code, Result};
use crate::json;
use crate::kinds::{Access, ConnectionKind, ConnectionSecret, BIND_PASSWORD, CLIENT_SECRET};
use crate::session::Session;
use crate::Roster;
use async_trait::async_trait;
use roster_core::access::Permission;
use roster_core::source::Connector;
use roster_core::SyncType;
use roster_store::ConnectionRecord;
use std::sync::Arc;

struct DemoState {
    seed: u64,
    users: usize,
    epoch: u32,
}

fn demo_state(c: &ConnectionRecord) -> Result<DemoState> {
    let seed = c
        .config
        .get("seed")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(7);
    let users = c
        .config
        .get("users")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(300) as usize;
    let epoch = c
        .state
        .get("epoch")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0) as u32;
    Ok(DemoState { seed, users, epoch })
}

/// The kind of a saved connection.
pub(crate) fn kind_of(c: &ConnectionRecord) -> Result<ConnectionKind> {
    ConnectionKind::parse(&c.kind).ok_or_else(|| {
        ApiError::new(
            Code::IncompatibleStore,
            format!(
                "The connection \"{}\" is of a kind this version of Roster does not know (\"{}\"). Update Roster.",
                c.name, c.kind
            ),
        )
    })
}

/// A connection's connector, what its run leaves for the next (the demo's epoch), and a flag a cloud
/// connector raises when the vendor refuses its sign-in.
pub(crate) type Built = (
    Box<dyn Connector>,
    Option<serde_json::Value>,
    Arc<std::sync::atomic::AtomicBool>,
);

impl Session<'_> {
    /// Every connection of the tenant.
    pub fn list_connections(&self) -> Result<Vec<json::Connection>> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        let dirs = t.store.directories()?;
        let mut out = Vec::new();
        for c in t.store.connections()? {
            out.push(json::Connection {
                used_by: dirs
                    .iter()
                    .filter(|d| d.connection_id == c.id)
                    .map(|d| d.name.clone())
                    .collect(),
                kind: kind_of(&c)?,
                secret: entered_secret(kind_of(&c)?, &c.config).map(str::to_string),
                id: c.id,
                name: c.name,
                config: c.config,
                status: json::decode("connection status", &c.status)?,
                authorized_by: c.authorized_by,
                authorized_at: c.authorized_at.map(roster_core::Timestamp::to_rfc3339),
            });
        }
        Ok(out)
    }

    /// Refuses a change to a saved connection (its secret, its sign-in, deleting it) unless the caller
    /// may configure user syncs, or, when an admin sync reads the connection, admin syncs: whoever signs it
    /// in or sets its secret decides which administrators that sync finds, and with which roles.
    pub(crate) fn require_connection_change(&self, id: &str) -> Result<()> {
        let admin_sync = self
            .tenant
            .store
            .directories()?
            .into_iter()
            .find(|d| d.connection_id == id && d.sync_type == SyncType::Admin);
        match admin_sync {
            None => self.require(Permission::ConfigureUserSyncs),
            Some(_) if self.acting.authority.allows(Permission::ConfigureAdminSyncs) => Ok(()),
            Some(d) => Err(self.refusal(
                &format!(
                    "Changing the connection of the admin directory sync \"{}\" (its secret or its sign-in)",
                    d.name
                ),
                Permission::ConfigureAdminSyncs.needs(),
            )),
        }
    }

    /// Deletes a connection no directory sync uses, and its secrets.
    pub fn delete_connection(&self, id: &str) -> Result<()> {
        self.require_connection_change(id)?;
        let t = self.tenant.clone();
        let c = t.store.connection(id)?;
        t.store.delete_connection(id)?;
        if !kind_of(&c)?.info().secrets.is_empty() {
            self.roster.delete_secrets(&t.id, id)?;
        }
        Ok(())
    }

    /// The connector of a connection: the one place that builds connectors, by how the kind is reached.
    pub(crate) async fn connector(&self, c: &ConnectionRecord) -> Result<Built> {
        let never = || Arc::new(std::sync::atomic::AtomicBool::new(false));
        let kind = kind_of(c)?;
        match kind.info().access {
            Access::Builtin => {
                let s = demo_state(c)?;
                let next = serde_json::json!({"epoch": s.epoch + 1});
                Ok((
                    Box::new(roster_demo::DemoConnector::new(s.seed, s.users, s.epoch)),
                    Some(next),
                    never(),
                ))
            }
            Access::Ldap(flavor) => {
                let ldap = self.ldap_connector(flavor, c)?;
                if ldap.needs_password() {
                    // Every call fails with what to do, so the run is recorded as failed and says it.
                    let message = self.missing_secret(c, BIND_PASSWORD);
                    self.mark_needs_credentials(c)?;
                    return Ok((Box::new(MissingSecret(message)), None, never()));
                }
                Ok((Box::new(ldap), None, never()))
            }
            Access::Cloud(_) => {
                let (connector, refused) = self.cloud_connector(&self.tenant.id, c).await?;
                Ok((connector, None, refused))
            }
            Access::Inbound => Err(ApiError::validation(format!(
                "{} is not read by Roster: the directory pushes to it. Nothing was changed.",
                kind.info().name
            ))),
        }
    }

    fn ldap_connector(
        &self,
        flavor: roster_connector_ldap::Flavor,
        c: &ConnectionRecord,
    ) -> Result<roster_connector_ldap::LdapConnector> {
        let tenant = &self.tenant.id;
        let settings: roster_connector_ldap::Settings = serde_json::from_value(c.config.clone()).map_err(|e| {
            ApiError::new(
                Code::IncompatibleStore,
                format!("The saved settings of the connection \"{}\" cannot be read ({e}). Add the connection again.", c.name),
            )
        })?;
        let password = match (&settings.bind_dn, settings.bind_method) {
            (Some(_), roster_connector_ldap::BindMethod::Simple) => self
                .roster
                .secrets
                .get(&Roster::secret_key(tenant, &c.id, BIND_PASSWORD))?
                .map(|p| p.0),
            _ => None,
        };
        Ok(roster_connector_ldap::LdapConnector::new(
            flavor, settings, password,
        ))
    }

    /// What to say when a connection's secret is not in the secret store (after a tenant import, or when
    /// it was removed from the keychain): which store, and how to enter it again.
    pub(crate) fn missing_secret(&self, c: &ConnectionRecord, secret: &str) -> String {
        let store = match self.roster.secrets.kind() {
            "keychain" => "the OS keychain",
            "encrypted file" => "Roster's encrypted secrets file",
            _ => "the secret store",
        };
        let what = secret_words(secret);
        format!(
            "The {what} of the connection \"{}\" is not in {store} (a tenant import never carries secrets, or it was removed). Enter it again: in the app, Connections → Enter {what}; or run `rosterctl connection set-secret {}`.",
            c.name, c.id
        )
    }

    /// Enters a connection's secret again (the LDAP bind password, or a Google client secret): it goes to
    /// the secret store, and a connection that needed it is ready again.
    pub fn set_connection_secret(
        &self,
        id: &str,
        value: roster_secrets::Sensitive<String>,
    ) -> Result<json::Connection> {
        self.require_connection_change(id)?;
        let t = self.tenant.clone();
        let c = t.store.connection(id)?;
        let kind = kind_of(&c)?;
        // The secret an admin types: a bind password, or a client secret (tokens come from signing in).
        let secret = kind
            .info()
            .secrets
            .iter()
            .find(|s| {
                matches!(
                    s,
                    ConnectionSecret::BindPassword | ConnectionSecret::ClientSecret
                )
            })
            .map(|s| s.as_str())
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "The connection \"{}\" keeps no secret to enter: {}",
                    c.name,
                    if kind.vendor().is_some() {
                        "sign in again with Reauthorize."
                    } else {
                        "it needs none."
                    }
                ))
            })?;
        if value.expose().is_empty() {
            return Err(ApiError::validation(
                "The secret is empty. Type it, or paste it, again.",
            ));
        }
        self.roster
            .secrets
            .set(&Roster::secret_key(&t.id, &c.id, secret), &value)?;
        if json::decode::<json::ConnectionStatus>("connection status", &c.status)?
            == json::ConnectionStatus::NeedsCredentials
        {
            t.store
                .set_connection_status(&c.id, json::ConnectionStatus::Ready.as_str())?;
        }
        self.connection_json(&c.id)
    }

    /// "Test connection": each step with what was found and what to do. The demo directory always passes.
    pub async fn test_connection(&self, id: &str) -> Result<Vec<json::ConnectionCheck>> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        let c = t.store.connection(id)?;
        let flavor = match kind_of(&c)?.info().access {
            Access::Builtin | Access::Inbound => {
                return Ok(vec![json::ConnectionCheck {
                    step: json::CheckStep::Builtin,
                    server: c.name.clone(),
                    ok: true,
                    detail: "Nothing to test: Roster does not reach out to this directory over the network.".into(),
                }]);
            }
            Access::Cloud(_) => return self.test_cloud_connection(&c).await,
            Access::Ldap(flavor) => flavor,
        };
        let ldap = self.ldap_connector(flavor, &c)?;
        if ldap.needs_password() {
            return Ok(vec![json::ConnectionCheck {
                step: json::CheckStep::Bind,
                server: c.name.clone(),
                ok: false,
                detail: self.missing_secret(&c, BIND_PASSWORD),
            }]);
        }
        ldap.diagnose()
            .await
            .into_iter()
            .map(json::ConnectionCheck::from_ldap)
            .collect()
    }

    /// Groups of a connection whose name contains `query`, for the group picker.
    pub async fn search_groups(
        &self,
        id: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<roster_core::source::GroupSummary>> {
        self.require(Permission::View)?;
        let c = self.tenant.store.connection(id)?;
        let (connector, _, refused) = self.connector(&c).await?;
        let found = connector
            .search_groups(query, limit.clamp(1, 500))
            .await
            .map_err(connector_error);
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(&c.id)?;
        }
        found
    }

    /// An LDAP connector for a connection spec that is not saved yet (the "Add directory" form): nothing is
    /// stored, and the password stays in memory for this one call.
    fn draft_connector(
        connection: serde_json::Value,
    ) -> Result<roster_connector_ldap::LdapConnector> {
        let spec = crate::spec::parse_connection(connection, "connection")?;
        // Testing before saving: the password is required only if a bind DN is given, as when saving.
        spec.validate()?;
        match spec {
            crate::spec::ConnectionSpec::ActiveDirectory(l) => {
                Ok(roster_connector_ldap::LdapConnector::new(
                    roster_connector_ldap::Flavor::ActiveDirectory,
                    l.settings,
                    l.bind_password.map(|p| p.0),
                ))
            }
            crate::spec::ConnectionSpec::Openldap(l) => {
                Ok(roster_connector_ldap::LdapConnector::new(
                    roster_connector_ldap::Flavor::Openldap,
                    l.settings,
                    l.bind_password.map(|p| p.0),
                ))
            }
            ref other => Err(ApiError::validation(format!(
                "Testing \"{}\" connections before saving is not available.",
                other.kind().info().name
            ))),
        }
    }

    /// "Test connection" for connection settings that are not saved yet.
    pub async fn test_connection_draft(
        &self,
        connection: serde_json::Value,
    ) -> Result<Vec<json::ConnectionCheck>> {
        self.require(Permission::ConfigureUserSyncs)?;
        Self::draft_connector(connection)?
            .diagnose()
            .await
            .into_iter()
            .map(json::ConnectionCheck::from_ldap)
            .collect()
    }

    /// The group picker for connection settings that are not saved yet.
    pub async fn search_groups_draft(
        &self,
        connection: serde_json::Value,
        query: &str,
        limit: usize,
    ) -> Result<Vec<roster_core::source::GroupSummary>> {
        self.require(Permission::ConfigureUserSyncs)?;
        Self::draft_connector(connection)?
            .search_groups(query, limit.clamp(1, 500))
            .await
            .map_err(connector_error)
    }

    /// Marks a connection whose secret is missing as needing credentials (what the window shows).
    fn mark_needs_credentials(&self, c: &ConnectionRecord) -> Result<()> {
        let needs = json::ConnectionStatus::NeedsCredentials;
        if json::decode::<json::ConnectionStatus>("connection status", &c.status)? != needs {
            self.tenant
                .store
                .set_connection_status(&c.id, needs.as_str())?;
        }
        Ok(())
    }
}

/// A secret an admin types, in words.
fn secret_words(secret: &str) -> &'static str {
    match secret {
        CLIENT_SECRET => "client secret",
        _ => "bind password",
    }
}

/// The secret of a connection that an admin can enter again, in words, if it keeps one: the bind password
/// of an LDAP connection that binds with a DN and password (not anonymously, not with Kerberos), or the
/// client secret of a cloud connection whose kind keeps one (not its offline demo, which brings its own).
pub(crate) fn entered_secret(
    kind: ConnectionKind,
    config: &serde_json::Value,
) -> Option<&'static str> {
    let secrets = kind.info().secrets;
    match kind.info().access {
        Access::Ldap(_) if secrets.contains(&ConnectionSecret::BindPassword) => {
            let s: roster_connector_ldap::Settings = serde_json::from_value(config.clone()).ok()?;
            let binds = s.bind_dn.is_some_and(|dn| !dn.trim().is_empty())
                && s.bind_method == roster_connector_ldap::BindMethod::Simple;
            binds.then(|| secret_words(BIND_PASSWORD))
        }
        Access::Cloud(_) if secrets.contains(&ConnectionSecret::ClientSecret) => {
            let demo = config.get("demo").and_then(serde_json::Value::as_bool) == Some(true);
            (!demo).then(|| secret_words(CLIENT_SECRET))
        }
        Access::Builtin | Access::Ldap(_) | Access::Cloud(_) | Access::Inbound => None,
    }
}

fn connector_error(e: roster_core::source::ConnectorError) -> ApiError {
    let code = match e {
        roster_core::source::ConnectorError::Unreachable(_) => Code::SourceUnreachable,
        roster_core::source::ConnectorError::Unauthorized(_) => Code::Unauthorized,
        roster_core::source::ConnectorError::Configuration(_) => Code::Validation,
        roster_core::source::ConnectorError::Protocol(_) => Code::Unknown,
    };
    ApiError::new(code, e.to_string())
}

/// A connection that cannot work until a secret is entered again: every call says so.
struct MissingSecret(String);

#[async_trait]
impl Connector for MissingSecret {
    async fn fetch(
        &self,
        _: &roster_core::source::FetchRequest,
    ) -> std::result::Result<roster_core::source::SourceBatch, roster_core::source::ConnectorError>
    {
        Err(roster_core::source::ConnectorError::Unauthorized(
            self.0.clone(),
        ))
    }
    async fn fetch_user(
        &self,
        _: &roster_core::source::FetchRequest,
        _: &str,
        _: &str,
    ) -> std::result::Result<roster_core::source::SourceLookup, roster_core::source::ConnectorError>
    {
        Err(roster_core::source::ConnectorError::Unauthorized(
            self.0.clone(),
        ))
    }
    async fn search_groups(
        &self,
        _: &str,
        _: usize,
    ) -> std::result::Result<
        Vec<roster_core::source::GroupSummary>,
        roster_core::source::ConnectorError,
    > {
        Err(roster_core::source::ConnectorError::Unauthorized(
            self.0.clone(),
        ))
    }
}
