//! The boundary's closed sets: states and kinds that the store and the engine keep as text or as their own
//! types, given one enum each here so the window's types are generated from them and no front door
//! compares strings. Wire names are snake_case, as before they were enums.

use crate::error::{ApiError, Code, Result};
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How a directory sync's scheduled runs stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Runs by itself every interval.
    Scheduled,
    /// Runs only when started.
    Paused,
    /// A new sync: scheduled runs start after the admin's first full run (Preview, then Sync Now).
    Waiting,
}

/// How a directory sync's latest full run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryStatus {
    /// No full run yet.
    NeverSynced,
    /// The latest run applied.
    Ok,
    /// The latest run failed and changed nothing.
    Failed,
    /// The latest run waits for an admin's approval.
    Held,
    /// A run is in progress.
    Running,
}

impl DirectoryStatus {
    /// The name the store keeps.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DirectoryStatus::NeverSynced => "never_synced",
            DirectoryStatus::Ok => "ok",
            DirectoryStatus::Failed => "failed",
            DirectoryStatus::Held => "held",
            DirectoryStatus::Running => "running",
        }
    }
}

/// How a run started, or `preview` for a preview (previews are never recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// The scheduler.
    Schedule,
    /// Sync Now.
    Manual,
    /// One user or administrator.
    Individual,
    /// The Admin API.
    Api,
    /// A SCIM push.
    Scim,
    /// A preview.
    Preview,
}

impl From<roster_store::Trigger> for RunTrigger {
    fn from(t: roster_store::Trigger) -> Self {
        use roster_store::Trigger as T;
        match t {
            T::Schedule => RunTrigger::Schedule,
            T::Manual => RunTrigger::Manual,
            T::Individual => RunTrigger::Individual,
            T::Api => RunTrigger::Api,
            T::Scim => RunTrigger::Scim,
        }
    }
}

/// How a run ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// In progress.
    Running,
    /// Applied.
    Succeeded,
    /// Nothing applied; the message says why.
    Failed,
    /// Nothing applied; waits for an admin's approval.
    Held,
    /// A held run that an admin approved (a later run applied it).
    Approved,
    /// A preview: nothing applied.
    Preview,
    /// Stopped when the process that ran it ended; nothing applied.
    Interrupted,
    /// A held run that an admin discarded: nothing of it was applied.
    Discarded,
}

impl RunOutcome {
    /// The name the store keeps (and the wire's).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::Held => "held",
            RunOutcome::Approved => "approved",
            RunOutcome::Preview => "preview",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::Discarded => "discarded",
        }
    }
}

impl From<roster_engine::Outcome> for RunOutcome {
    fn from(o: roster_engine::Outcome) -> Self {
        use roster_engine::Outcome as O;
        match o {
            O::Succeeded => RunOutcome::Succeeded,
            O::Failed => RunOutcome::Failed,
            O::Held => RunOutcome::Held,
            O::Preview => RunOutcome::Preview,
        }
    }
}

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// It works (as far as Roster knows).
    Ready,
    /// The vendor refused its sign-in: Reauthorize.
    NeedsReauthorization,
    /// Its secret is not in the secret store (after an import): enter it again.
    NeedsCredentials,
}

impl ConnectionStatus {
    /// The name the store keeps.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Ready => "ready",
            ConnectionStatus::NeedsReauthorization => "needs_reauthorization",
            ConnectionStatus::NeedsCredentials => "needs_credentials",
        }
    }
}

/// The phase of a run, in progress events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProgressPhase {
    /// Reading the directory.
    Fetching,
    /// Computing the changes.
    Planning,
    /// Writing them.
    Applying,
    /// Finished and applied (or previewed).
    Done,
    /// Held for approval.
    Held,
    /// Failed; nothing changed.
    Failed,
}

impl From<roster_engine::phase::Phase> for ProgressPhase {
    fn from(p: roster_engine::phase::Phase) -> Self {
        use roster_engine::phase::Phase as P;
        match p {
            P::Fetching => ProgressPhase::Fetching,
            P::Planning => ProgressPhase::Planning,
            P::Applying => ProgressPhase::Applying,
            P::Done => ProgressPhase::Done,
            P::Held => ProgressPhase::Held,
            P::Failed => ProgressPhase::Failed,
        }
    }
}

/// A step of "Test connection".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckStep {
    /// A directory Roster does not reach over the network (the demo): nothing to test.
    Builtin,
    /// LDAP: the server's name resolves.
    Resolve,
    /// LDAP: the port accepts connections.
    Connect,
    /// LDAP: the TLS handshake and the certificate.
    Tls,
    /// LDAP: the bind.
    Bind,
    /// LDAP: the base DN can be read.
    BaseDn,
    /// Cloud: the saved settings are usable.
    Settings,
    /// Cloud: the sign-in is still accepted.
    SignIn,
    /// Cloud: groups can be read.
    ReadGroups,
}

/// Each enum prints as its wire name, so `rosterctl` shows what `--json` shows.
macro_rules! display_as_wire_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::String(s)) => f.pad(&s),
                    _ => write!(f, "{self:?}"),
                }
            }
        }
    )*};
}

display_as_wire_name!(
    Schedule,
    DirectoryStatus,
    RunTrigger,
    RunOutcome,
    ConnectionStatus,
    ProgressPhase,
    CheckStep
);

/// A name kept as text by the store or a connector (`"needs_credentials"`, `"base_dn"`), as its enum. A
/// name no version of Roster wrote means the file is not one this Roster can use.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T> {
    parse_name(text).ok_or_else(|| {
        ApiError::new(
            Code::IncompatibleStore,
            format!("Roster found a {what} it does not know (\"{text}\"): the tenant may come from a newer Roster. Update Roster."),
        )
    })
}

/// The variant of `T` whose wire name is `text`.
pub(crate) fn parse_name<T: for<'de> Deserialize<'de>>(text: &str) -> Option<T> {
    T::deserialize(StrDeserializer::<ValueError>::new(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_the_wire_names() {
        for s in [
            DirectoryStatus::NeverSynced,
            DirectoryStatus::Ok,
            DirectoryStatus::Failed,
            DirectoryStatus::Held,
            DirectoryStatus::Running,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.as_str().into()),
                "the store and the wire spell {s:?} alike"
            );
            assert_eq!(decode::<DirectoryStatus>("status", s.as_str()).unwrap(), s);
        }
        for s in [
            ConnectionStatus::Ready,
            ConnectionStatus::NeedsReauthorization,
            ConnectionStatus::NeedsCredentials,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.as_str().into()),
                "the store and the wire spell {s:?} alike"
            );
            assert_eq!(decode::<ConnectionStatus>("status", s.as_str()).unwrap(), s);
        }
        for t in [
            roster_store::Trigger::Schedule,
            roster_store::Trigger::Manual,
            roster_store::Trigger::Individual,
            roster_store::Trigger::Api,
            roster_store::Trigger::Scim,
        ] {
            assert_eq!(
                decode::<RunTrigger>("trigger", t.as_str()).unwrap(),
                RunTrigger::from(t),
                "a recorded trigger reads back as itself"
            );
        }
        for o in [
            roster_engine::Outcome::Succeeded,
            roster_engine::Outcome::Failed,
            roster_engine::Outcome::Held,
            roster_engine::Outcome::Preview,
        ] {
            assert_eq!(
                decode::<RunOutcome>("outcome", o.as_str()).unwrap(),
                RunOutcome::from(o),
                "the engine's outcome names are the wire's"
            );
        }
        let e = decode::<RunOutcome>("run outcome", "exploded").unwrap_err();
        assert_eq!(e.code, Code::IncompatibleStore, "{e:?}");
    }
}
