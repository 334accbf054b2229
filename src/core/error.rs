//! The one error type every failure becomes. Its `kind` strings are public API: documented in the
//! README and `index.d.ts`, asserted by tests, never renamed.

use std::fmt;

use serde::{Serialize, Serializer};

/// What went wrong, as a stable lowercase string a caller can branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The caller passed something the client refuses before any network traffic.
    InvalidArgument,
    /// The request could not be sent or the reply could not be read (DNS, refused, reset).
    Network,
    /// `timeoutMs` elapsed before the reply was read in full.
    Timeout,
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The server answered with an HTTP status outside 2xx.
    Http,
    /// TTPay answered with a business `code` other than 0.
    Api,
    /// The reply was not the JSON TTPay documents.
    InvalidResponse,
    /// The reply's signature did not verify.
    Signature,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Aborted,
        ErrorKind::Http,
        ErrorKind::Api,
        ErrorKind::InvalidResponse,
        ErrorKind::Signature,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Http => "http",
            ErrorKind::Api => "api",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Signature => "signature",
        }
    }
}

/// A failed call. Never holds the app secret: messages are built from field names, rules and
/// what the server sent, and the secret is not reachable from any of those.
/// Serialised as the fields of the JavaScript `TTPayError` (camelCase, absent ones `null`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// TTPay's business code, when the reply carried one.
    #[serde(serialize_with = "as_js_number")]
    pub code: Option<i64>,
    /// TTPay's `msg`, when the reply carried one.
    pub msg: Option<String>,
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
    /// Whether sending the same call again (freshly signed) may succeed.
    pub retryable: bool,
    /// How many attempts were made before giving up (0 when refused before sending).
    pub attempts: u32,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            code: None,
            msg: None,
            http_status: None,
            request_id: None,
            retryable: false,
            attempts: 0,
        }
        .with_retryable()
    }

    /// Sets `retryable` from the one retry rule ([`super::retry::should_retry`]).
    pub fn with_retryable(mut self) -> Error {
        self.retryable = super::retry::should_retry(&self, false);
        self
    }

    /// A bad argument, with a message that starts with the field's name.
    pub fn invalid(field: &str, rule: impl AsRef<str>) -> Error {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{field}: {}", rule.as_ref()),
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A code as the JavaScript number it was in the reply's JSON (a code past 2^53 stays a number,
/// not a BigInt).
fn as_js_number<S: Serializer>(code: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    code.map(|c| c as f64).serialize(s)
}
