//! The API permissions ("grants") of an Admin API application, as Duo names them: the field names of
//! the integration object (`adminapi_read_resource`) and the Admin Panel's labels ("Grant read
//! resource").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One API permission of an Admin API application. Serde and [`fmt::Display`] use the integration
/// object's field name (`adminapi_admins`); [`Grant::label`] gives the Admin Panel's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grant {
    /// "Grant administrators": read and change administrators, run admin directory sync.
    #[serde(rename = "adminapi_admins")]
    Admins,
    /// "Grant read information": account summary and reports.
    #[serde(rename = "adminapi_info")]
    Info,
    /// "Grant read log": authentication, administrator and telephony logs.
    #[serde(rename = "adminapi_read_log")]
    ReadLog,
    /// "Grant read resource": users, groups, phones, tokens.
    #[serde(rename = "adminapi_read_resource")]
    ReadResource,
    /// "Grant settings": read and change account settings.
    #[serde(rename = "adminapi_settings")]
    Settings,
    /// "Grant write resource": create, change and delete users and groups, run user directory sync.
    #[serde(rename = "adminapi_write_resource")]
    WriteResource,
    /// "Grant applications": integrations.
    #[serde(rename = "adminapi_integrations")]
    Integrations,
}

impl Grant {
    /// Every grant, in the order the integration object lists its fields.
    pub const ALL: [Grant; 7] = [
        Grant::Admins,
        Grant::Info,
        Grant::Integrations,
        Grant::ReadLog,
        Grant::ReadResource,
        Grant::Settings,
        Grant::WriteResource,
    ];

    /// The integration object's field name, e.g. `adminapi_read_resource`.
    pub fn field(self) -> &'static str {
        match self {
            Grant::Admins => "adminapi_admins",
            Grant::Info => "adminapi_info",
            Grant::ReadLog => "adminapi_read_log",
            Grant::ReadResource => "adminapi_read_resource",
            Grant::Settings => "adminapi_settings",
            Grant::WriteResource => "adminapi_write_resource",
            Grant::Integrations => "adminapi_integrations",
        }
    }

    /// The Admin Panel's label, e.g. "Grant read resource".
    pub fn label(self) -> &'static str {
        match self {
            Grant::Admins => "Grant administrators",
            Grant::Info => "Grant read information",
            Grant::ReadLog => "Grant read log",
            Grant::ReadResource => "Grant read resource",
            Grant::Settings => "Grant settings",
            Grant::WriteResource => "Grant write resource",
            Grant::Integrations => "Grant applications",
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field())
    }
}

/// The text was neither a grant's field name nor its label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an Admin API permission; use a name such as adminapi_read_resource")]
pub struct UnknownGrant(pub String);

impl FromStr for Grant {
    type Err = UnknownGrant;

    /// Accepts the field name (`adminapi_read_log`) or the label ("Grant read log"), as written.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grant::ALL
            .into_iter()
            .find(|g| g.field() == s || g.label() == s)
            .ok_or_else(|| UnknownGrant(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_serde_agree() {
        for g in Grant::ALL {
            assert_eq!(g.field().parse::<Grant>(), Ok(g));
            assert_eq!(g.label().parse::<Grant>(), Ok(g));
            assert_eq!(g.to_string(), g.field());
            let json = serde_json::to_string(&g).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", g.field()));
            assert_eq!(serde_json::from_str::<Grant>(&json).ok(), Some(g));
        }
        assert_eq!(Grant::Integrations.label(), "Grant applications");
        assert_eq!(Grant::Admins.label(), "Grant administrators");
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!("adminapi_everything".parse::<Grant>().is_err());
        assert!("ADMINAPI_INFO".parse::<Grant>().is_err(), "names are exact");
        assert!(serde_json::from_str::<Grant>("\"read\"").is_err());
    }
}
