//! Duo's failure codes and the error every function of this crate returns.
//!
//! A Duo failure is a five-digit `code` whose first three digits are the HTTP status (40301 is a 403),
//! a fixed `message` per code, and an optional `message_detail` (for 40002, the parameter's name).
//! The messages are Duo's own where a source shows them (40002, 40102, 40103, 40112, 40401, 42901);
//! the others are plain English of our own.

use std::fmt;

/// A Duo Admin API failure code. Each carries its HTTP status ([`Code::http_status`]), its number on the
/// wire ([`Code::number`]) and Duo's message ([`Code::message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// 40002 (400): a parameter is missing, ill-typed, out of range, unknown or not UTF-8; the
    /// `message_detail` names it.
    InvalidParameters,
    /// 40101 (401): no `Authorization` header, or not `Basic base64(ikey:signature)`.
    MissingCredentials,
    /// 40102 (401): no Admin API application has this integration key.
    InvalidIntegrationKey,
    /// 40103 (401): the signature does not match (or was already used: a replay).
    InvalidSignature,
    /// 40104 (401): the request's date is missing, unreadable or more than the allowed window away
    /// from the server's clock.
    InvalidDate,
    /// 40112 (401): the signature is not hex of a length Duo signs with (SHA-1 or SHA-512).
    UnsupportedSignature,
    /// 40301 (403): the application lacks the API permission (grant) the endpoint needs.
    Forbidden,
    /// 40401 (404): no such endpoint, or no such object.
    NotFound,
    /// 40501 (405): the path exists, the method does not.
    MethodNotAllowed,
    /// 413 with code 40002: the body is larger than the server accepts. Duo documents no code of its
    /// own for this, so the number is the invalid-parameters one and only the HTTP status differs.
    BodyTooLarge,
    /// 42901 (429): the application's rate limit for this kind of call is spent; see `retry_after`.
    TooManyRequests,
    /// 50000 (500): the server failed; nothing the caller can change.
    Internal,
}

impl Code {
    /// The number sent as `code`.
    pub fn number(self) -> u32 {
        match self {
            Code::InvalidParameters | Code::BodyTooLarge => 40002,
            Code::MissingCredentials => 40101,
            Code::InvalidIntegrationKey => 40102,
            Code::InvalidSignature => 40103,
            Code::InvalidDate => 40104,
            Code::UnsupportedSignature => 40112,
            Code::Forbidden => 40301,
            Code::NotFound => 40401,
            Code::MethodNotAllowed => 40501,
            Code::TooManyRequests => 42901,
            Code::Internal => 50000,
        }
    }

    /// The HTTP status of the response.
    pub fn http_status(self) -> u16 {
        match self {
            Code::BodyTooLarge => 413,
            other => u16::try_from(other.number() / 100).unwrap_or(500),
        }
    }

    /// The fixed `message` Duo sends with this code.
    pub fn message(self) -> &'static str {
        match self {
            Code::InvalidParameters => "Invalid request parameters",
            Code::MissingCredentials => "Missing request credentials",
            Code::InvalidIntegrationKey => "Invalid integration key in request credentials",
            Code::InvalidSignature => "Invalid signature in request credentials",
            Code::InvalidDate => "Request date is missing or too far from the server's time",
            Code::UnsupportedSignature => "Signature type is not supported",
            Code::Forbidden => "Access forbidden",
            Code::NotFound => "Resource not found",
            Code::MethodNotAllowed => "Method not allowed",
            Code::BodyTooLarge => "Request body too large",
            Code::TooManyRequests => "Too Many Requests",
            Code::Internal => "Internal server error",
        }
    }
}

/// A failure to send as `{"stat":"FAIL","code","message","message_detail"?}` with
/// [`Code::http_status`]; render it with [`crate::envelope::fail`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DuoError {
    /// What failed.
    pub code: Code,
    /// Duo's `message_detail`: for 40002 the parameter's name; otherwise a short reason, or none.
    /// Never a secret, a signature or a parameter's value.
    pub detail: Option<String>,
    /// For 42901 (and a full replay cache), the seconds to send as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl DuoError {
    /// A failure with no detail.
    pub fn new(code: Code) -> Self {
        DuoError {
            code,
            detail: None,
            retry_after: None,
        }
    }

    /// A failure with a `message_detail`.
    pub fn with_detail(code: Code, detail: impl Into<String>) -> Self {
        DuoError {
            code,
            detail: Some(detail.into()),
            retry_after: None,
        }
    }

    /// 40002 naming the parameter, as Duo reports a missing, ill-typed or unknown parameter.
    pub fn invalid_param(name: &str) -> Self {
        DuoError::with_detail(Code::InvalidParameters, name)
    }

    /// 42901 with the seconds until a retry can succeed.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        DuoError {
            code: Code::TooManyRequests,
            detail: None,
            retry_after: Some(retry_after_secs.max(1)),
        }
    }
}

impl fmt::Display for DuoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.number(), self.code.message())?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_carries_its_http_status_in_its_first_three_digits() {
        let all = [
            Code::InvalidParameters,
            Code::MissingCredentials,
            Code::InvalidIntegrationKey,
            Code::InvalidSignature,
            Code::InvalidDate,
            Code::UnsupportedSignature,
            Code::Forbidden,
            Code::NotFound,
            Code::MethodNotAllowed,
            Code::TooManyRequests,
            Code::Internal,
        ];
        for code in all {
            assert_eq!(
                u32::from(code.http_status()),
                code.number() / 100,
                "{code:?}"
            );
            assert!(!code.message().is_empty());
        }
        assert_eq!(Code::BodyTooLarge.http_status(), 413);
        assert_eq!(Code::BodyTooLarge.number(), 40002);
        assert_eq!(Code::MethodNotAllowed.http_status(), 405);
        assert_eq!(Code::TooManyRequests.http_status(), 429);
    }

    #[test]
    fn display_reads_like_duo_clients_report_it() {
        let e = DuoError::invalid_param("limit");
        assert_eq!(e.to_string(), "40002 Invalid request parameters (limit)");
        assert_eq!(
            DuoError::new(Code::NotFound).to_string(),
            "40401 Resource not found"
        );
        assert_eq!(DuoError::too_many_requests(0).retry_after, Some(1));
    }
}
