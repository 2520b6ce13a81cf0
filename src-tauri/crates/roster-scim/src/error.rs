//! SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` and a plain-English detail.
//!
//! Details say what was wrong and what to send instead. They name attributes and positions, never the
//! values a client sent for `password`, and never a filter's string literals.

use serde_json::{json, Value};

/// The URN of an error response body.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` of a 400 (or 409) error: RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// The filter's syntax is invalid, or the attribute and operator cannot be combined.
    InvalidFilter,
    /// The filter yields more results than the server is willing to compute.
    TooMany,
    /// A value that must be unique is already taken (409).
    Uniqueness,
    /// The operation would change a read-only or immutable attribute.
    Mutability,
    /// The body's structure is invalid or does not follow the request schema.
    InvalidSyntax,
    /// The PATCH `path` is invalid or malformed.
    InvalidPath,
    /// The PATCH `path` selected nothing to operate on.
    NoTarget,
    /// A required value is missing, or a value does not fit its attribute's type or schema.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// Sensitive information was passed in the request URI.
    Sensitive,
}

impl ScimType {
    /// The wire spelling, e.g. `invalidFilter`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl std::fmt::Display for ScimType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}{}: {detail}", scim_type.map(|t| format!(" {t}")).unwrap_or_default())]
pub struct ScimError {
    /// The HTTP status code.
    pub status: u16,
    /// The SCIM error type, for 400 and 409 errors.
    pub scim_type: Option<ScimType>,
    /// What was wrong and what to send instead.
    pub detail: String,
}

impl ScimError {
    /// An error with any status and type.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError::new(400, Some(scim_type), detail)
    }

    /// 400 `invalidSyntax`: the body is not JSON or does not follow the request schema.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidValue`: a required value is missing or a value has the wrong type.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidFilter, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidPath, detail)
    }

    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::NoTarget, detail)
    }

    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::Mutability, detail)
    }

    /// 400 `tooMany`.
    pub fn too_many(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::TooMany, detail)
    }

    /// 400 `invalidVers`.
    pub fn invalid_vers(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidVers, detail)
    }

    /// 403 `sensitive`: the request put sensitive data in its URI; it should use `POST …/.search`.
    pub fn sensitive(detail: impl Into<String>) -> Self {
        ScimError::new(403, Some(ScimType::Sensitive), detail)
    }

    /// 409 `uniqueness`: e.g. a second user with the same `userName`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        ScimError::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 404: no such resource (or endpoint).
    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(404, None, detail)
    }

    /// 412: the `If-Match` version is not the resource's current one.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        ScimError::new(412, None, detail)
    }

    /// 500: something on Roster's side went wrong; the detail must not leak internals.
    pub fn internal(detail: impl Into<String>) -> Self {
        ScimError::new(500, None, detail)
    }

    /// The response body (RFC 7644 §3.12): `status` is a string, `scimType` only when there is one.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(obj)) = (self.scim_type, body.as_object_mut()) {
            obj.insert("scimType".into(), Value::String(t.as_str().into()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_follows_rfc_7644_section_3_12() {
        let e = ScimError::invalid_filter("bad");
        assert_eq!(
            e.to_json(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidFilter",
                "detail": "bad",
            }),
            "status is a string and scimType is present for a 400"
        );
        let nf = ScimError::not_found("no user").to_json();
        assert!(nf.get("scimType").is_none(), "a 404 has no scimType: {nf}");
        assert_eq!(nf["status"], "404");
    }
}
