//! TTPay's wire JSON, as serde types: the close-order body we send and the reply envelope we read.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The close-order body. Field order is the wire order (PROTOCOL.md): serialised once per call,
/// and those exact bytes are signed and sent.
#[derive(Debug, Serialize)]
pub struct CloseOrderBody<'a> {
    pub app_id: &'a str,
    pub mch_id: &'a str,
    /// Always present in a close the client sends; optional here so that any documented body
    /// (vectors.json signs one without it) can be built and signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<&'a str>,
}

impl CloseOrderBody<'_> {
    /// Compact JSON.
    pub fn to_json(&self) -> String {
        // Serialising string fields to a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// TTPay's reply: `{"code":…,"msg":…,"request_id":…,"data":…}`; other members are ignored.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReplyEnvelope {
    pub code: i64,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    /// Kept as a JSON value: reply verification compares it with what was signed.
    #[serde(default)]
    pub data: Option<Value>,
}

impl ReplyEnvelope {
    /// The envelope of a parsed body; the error says what about it is not TTPay's.
    pub fn from_value(value: &Value) -> Result<ReplyEnvelope, String> {
        if !value.is_object() {
            return Err("is not a JSON object".into());
        }
        ReplyEnvelope::deserialize(value).map_err(|e| format!("is not TTPay's reply ({e})"))
    }
}

/// The body as text and as JSON; the error says why it is not JSON.
pub fn parse(body: &[u8]) -> Result<(&str, Value), String> {
    let text = std::str::from_utf8(body).map_err(|_| "is not valid UTF-8".to_string())?;
    let value = serde_json::from_str(&without_trailing_commas(text))
        .map_err(|e| format!("is not JSON ({e})"))?;
    Ok((text, value))
}

/// `text` with each comma that directly precedes a closing `}` or `]` (whitespace aside) removed.
/// TTPay's documented reply ends `"request_id": "…",}`; strict JSON otherwise (PROTOCOL.md).
pub fn without_trailing_commas(text: &str) -> Cow<'_, str> {
    if !text.contains(',') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut drop = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => {
                let next = bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(next, Some(b'}' | b']')) {
                    drop.push(i);
                }
            }
            _ => {}
        }
    }
    if drop.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for i in drop {
        out.push_str(&text[from..i]);
        from = i + 1;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comma_before_a_closing_bracket_goes_and_nothing_else_does() {
        assert_eq!(without_trailing_commas(r#"{"a":1,}"#), r#"{"a":1}"#);
        assert_eq!(without_trailing_commas("[1,2 ,\n]"), "[1,2 \n]");
        assert_eq!(without_trailing_commas(r#"{"a":",}"}"#), r#"{"a":",}"}"#);
        assert_eq!(
            without_trailing_commas(r#"{"a":"\",}"}"#),
            r#"{"a":"\",}"}"#
        );
        // Only one comma is a typo the docs show; two are not JSON after the pass either.
        assert!(parse(br#"{"code":0,,}"#).is_err());
    }
}
