//! Turning what the server sent (status and body bytes) into a result or a typed error.

use super::codes;
use super::error::{Error, ErrorKind};
use super::json::{self, Value};
use super::text::{cat, escape_controls, int, uint};

/// A successful reply: TTPay's `code` 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Success {
    pub msg: String,
    pub request_id: String,
    pub http_status: u16,
    /// How many attempts the call made (set by the call; 1 here).
    pub attempts: u32,
    /// Whether the reply's signature was checked and held.
    pub verified: bool,
}

/// The body as text and as JSON; the error says why it is not (lenient) JSON.
pub fn parse_body(body: &[u8]) -> Result<(&str, Value), String> {
    let text = std::str::from_utf8(body).map_err(|_| "is not valid UTF-8".to_string())?;
    let value = json::parse(text).map_err(|e| {
        cat(&[
            "is not JSON (",
            e.what,
            " at byte ",
            &uint(e.offset as u64),
            ")",
        ])
    })?;
    Ok((text, value))
}

/// Classifies one reply. Business errors come as HTTP 200 with `code != 0` (`api`); statuses
/// outside 2xx are `http` errors (5xx and 429 retryable), carrying TTPay's fields when the body
/// has them; a 2xx body that is not TTPay's JSON is `invalid_response`.
pub fn classify(http_status: u16, body: &[u8]) -> Result<Success, Error> {
    classify_parsed(http_status, parse_body(body).map(|(_, v)| v))
}

/// [`classify`] over a body already parsed by [`parse_body`].
pub fn classify_parsed(http_status: u16, parsed: Result<Value, String>) -> Result<Success, Error> {
    if !(200..300).contains(&http_status) {
        let mut err = Error::new(
            ErrorKind::Http,
            cat(&["TTPay answered HTTP ", &uint(http_status.into())]),
        );
        err.http_status = Some(http_status);
        if let Ok(value) = &parsed {
            err.code = value.get("code").and_then(Value::as_i64);
            err.msg = value.get("msg").and_then(Value::as_str).map(str::to_string);
            err.request_id = request_id(value);
            if let (Some(code), Some(msg)) = (err.code, &err.msg) {
                err.message = cat(&[
                    "TTPay answered HTTP ",
                    &uint(http_status.into()),
                    ": code ",
                    &int(code),
                    ": ",
                    &escape_controls(msg),
                ]);
            }
        }
        return Err(err.with_retryable());
    }

    let invalid = |why: String, value: Option<&Value>| {
        let mut err = Error::new(ErrorKind::InvalidResponse, cat(&["TTPay's reply ", &why]));
        err.http_status = Some(http_status);
        err.request_id = value.and_then(request_id);
        err
    };
    let value = parsed.map_err(|why| invalid(why, None))?;
    if !matches!(value, Value::Object(_)) {
        return Err(invalid("is not a JSON object".into(), None));
    }
    let code = match value.get("code") {
        Some(v) => v
            .as_i64()
            .ok_or_else(|| invalid("has a `code` that is not an integer".into(), Some(&value)))?,
        None => return Err(invalid("has no `code` member".into(), Some(&value))),
    };
    let msg = match value.get("msg") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(invalid(
                "has a `msg` that is not a string".into(),
                Some(&value),
            ))
        }
    };
    if code != 0 {
        let mut err = Error::new(
            ErrorKind::Api,
            cat(&[
                "TTPay refused the request: ",
                &codes::describe(code),
                ": ",
                &escape_controls(&msg),
            ]),
        );
        err.code = Some(code);
        err.msg = Some(msg);
        err.http_status = Some(http_status);
        err.request_id = request_id(&value);
        return Err(err.with_retryable());
    }
    Ok(Success {
        msg,
        request_id: request_id(&value).unwrap_or_default(),
        http_status,
        attempts: 1,
        verified: false,
    })
}

fn request_id(value: &Value) -> Option<String> {
    value
        .get("request_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}
