//! Turning what the server sent (status and body bytes) into a result or a typed error.

use serde::Serialize;
use serde_json::Value;

use super::codes;
use super::error::{Error, ErrorKind};
use super::text::escape_controls;
use super::wire::{self, ReplyEnvelope};

/// A successful reply: TTPay's `code` 0. Serialised as the result `closeOrder` resolves to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Success {
    /// Always 0.
    pub code: i64,
    pub msg: String,
    pub request_id: String,
    pub http_status: u16,
    /// How many attempts the call made (set by the call; 1 here).
    pub attempts: u32,
    /// Whether the reply's signature was checked and held.
    pub verified: bool,
}

/// Classifies one reply. Business errors come as HTTP 200 with `code != 0` (`api`); statuses
/// outside 2xx are `http` errors (5xx and 429 retryable), carrying TTPay's fields when the body
/// has them; a 2xx body that is not TTPay's JSON is `invalid_response`.
pub fn classify(http_status: u16, body: &[u8]) -> Result<Success, Error> {
    classify_parsed(http_status, wire::parse(body).map(|(_, v)| v))
}

/// [`classify`] over a body already parsed by [`wire::parse`].
pub fn classify_parsed(http_status: u16, parsed: Result<Value, String>) -> Result<Success, Error> {
    if !(200..300).contains(&http_status) {
        let mut err = Error::new(
            ErrorKind::Http,
            format!("TTPay answered HTTP {http_status}"),
        );
        err.http_status = Some(http_status);
        // A proxy's HTML page has none of TTPay's fields; TTPay's own JSON keeps them.
        if let Some(reply) = parsed.ok().and_then(|v| ReplyEnvelope::from_value(&v).ok()) {
            if let Some(msg) = &reply.msg {
                err.message = format!(
                    "TTPay answered HTTP {http_status}: code {}: {}",
                    reply.code,
                    escape_controls(msg)
                );
            }
            err.code = Some(reply.code);
            err.msg = reply.msg;
            err.request_id = reply.request_id;
        }
        return Err(err.with_retryable());
    }

    let invalid = |why: String, request_id: Option<String>| {
        let mut err = Error::new(ErrorKind::InvalidResponse, format!("TTPay's reply {why}"));
        err.http_status = Some(http_status);
        err.request_id = request_id;
        err
    };
    let value = parsed.map_err(|why| invalid(why, None))?;
    let reply =
        ReplyEnvelope::from_value(&value).map_err(|why| invalid(why, request_id(&value)))?;
    let msg = reply.msg.unwrap_or_default();
    if reply.code != 0 {
        let mut err = Error::new(
            ErrorKind::Api,
            format!(
                "TTPay refused the request: {}: {}",
                codes::describe(reply.code),
                escape_controls(&msg)
            ),
        );
        err.code = Some(reply.code);
        err.msg = Some(msg);
        err.http_status = Some(http_status);
        err.request_id = reply.request_id;
        return Err(err.with_retryable());
    }
    Ok(Success {
        code: 0,
        msg,
        request_id: reply.request_id.unwrap_or_default(),
        http_status,
        attempts: 1,
        verified: false,
    })
}

/// The `request_id` of a body that is not a whole TTPay reply, when it has a string one.
fn request_id(value: &Value) -> Option<String> {
    value
        .get("request_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}
