//! A group's status (Duo's group status): it applies to the group's members. Operators set it; a
//! directory never carries it, so a sync neither reads nor changes it.

use serde::{Deserialize, Serialize};

/// A group's status, with Duo's API strings (the Admin API's group objects capitalise them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ts_rs::TS)]
pub enum GroupStatus {
    /// Members must complete two-factor authentication.
    #[default]
    #[serde(rename = "active")]
    Active,
    /// Members skip two-factor authentication after primary authentication.
    #[serde(rename = "bypass")]
    Bypass,
    /// Members are denied.
    #[serde(rename = "disabled")]
    Disabled,
}

impl GroupStatus {
    /// Duo's string, as the store keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Active => "active",
            GroupStatus::Bypass => "bypass",
            GroupStatus::Disabled => "disabled",
        }
    }

    /// The Admin API's form of it ("Active", "Bypass", "Disabled").
    pub fn admin_api(self) -> &'static str {
        match self {
            GroupStatus::Active => "Active",
            GroupStatus::Bypass => "Bypass",
            GroupStatus::Disabled => "Disabled",
        }
    }

    /// Parses Duo's string, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "active" => Some(GroupStatus::Active),
            "bypass" => Some(GroupStatus::Bypass),
            "disabled" => Some(GroupStatus::Disabled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GroupStatus;

    #[test]
    fn strings_round_trip() {
        for s in [
            GroupStatus::Active,
            GroupStatus::Bypass,
            GroupStatus::Disabled,
        ] {
            assert_eq!(GroupStatus::parse(s.as_str()), Some(s));
            assert_eq!(GroupStatus::parse(s.admin_api()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.as_str()))
            );
        }
        assert_eq!(GroupStatus::parse("locked out"), None);
    }
}
