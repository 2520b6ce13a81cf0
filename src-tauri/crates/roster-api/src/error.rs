//! The boundary error: a small `{code, message}` shared by every front door.

use serde::Serialize;

/// What the caller can act on. Grows only when a front door acts on a new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The input is wrong; the message says what to fix.
    Validation,
    /// The thing asked for does not exist.
    NotFound,
    /// The caller's role does not allow it; the message names the role needed.
    Forbidden,
    /// The action conflicts with the current state (a run in progress, a name taken, a connection in use).
    Conflict,
    /// The run was held for approval.
    Held,
    /// The source directory could not be reached.
    SourceUnreachable,
    /// The source refused our credentials.
    Unauthorized,
    /// A cloud connection needs consent again.
    ConsentRequired,
    /// The admin cancelled (a consent in the browser).
    Cancelled,
    /// Nobody answered in time (a consent in the browser).
    Timeout,
    /// No OS keychain; the message explains the opt-in.
    KeychainUnavailable,
    /// The tenant file is not a usable Roster database (foreign, damaged, or from a newer Roster).
    IncompatibleStore,
    /// Anything else.
    Unknown,
}

/// An error as every front door shows it. The message is plain English, says what to do next, and never
/// contains secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct ApiError {
    /// What kind.
    pub code: Code,
    /// What happened and what to do.
    pub message: String,
}

impl Code {
    /// Every code, for front doors that list them (the window's generated `CODES`).
    pub const ALL: [Code; 13] = [
        Code::Validation,
        Code::NotFound,
        Code::Forbidden,
        Code::Conflict,
        Code::Held,
        Code::SourceUnreachable,
        Code::Unauthorized,
        Code::ConsentRequired,
        Code::Cancelled,
        Code::Timeout,
        Code::KeychainUnavailable,
        Code::IncompatibleStore,
        Code::Unknown,
    ];
}

impl ApiError {
    /// A new error.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    /// A validation error.
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new(Code::Validation, message)
    }
    /// A not-found error.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(Code::NotFound, message)
    }
    /// A conflict.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(Code::Conflict, message)
    }
}

impl From<roster_store::StoreError> for ApiError {
    fn from(e: roster_store::StoreError) -> Self {
        use roster_store::StoreError as S;
        let code = match &e {
            S::NotADatabase(_)
            | S::Foreign(_)
            | S::Empty(_)
            | S::TooNew(_)
            | S::Corrupt(_)
            | S::Decode(_) => Code::IncompatibleStore,
            S::NotFound(_) => Code::NotFound,
            S::Conflict(_) | S::Stale(_) => Code::Conflict,
            S::Sqlite(_) => Code::Unknown,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<roster_secrets::SecretError> for ApiError {
    fn from(e: roster_secrets::SecretError) -> Self {
        let code = match e {
            roster_secrets::SecretError::KeychainUnavailable(_) => Code::KeychainUnavailable,
            roster_secrets::SecretError::Configuration(_) => Code::Validation,
            _ => Code::Unknown,
        };
        ApiError::new(code, e.to_string())
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, ApiError>;
