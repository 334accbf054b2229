//! Reply-signature verification, PROTOCOL.md's decision: decrypt `TTPay-Signature` with the
//! secret and check that its lines are `TTPay-Timestamp`, `TTPay-Nonce`, and a JSON text equal
//! (as data, member order aside) to the body or to the body's `data` member, because the live
//! service is reported to sign either.

use super::error::{Error, ErrorKind};
use super::json::{self, Value};
use super::secret::AppSecret;
use super::sign;
use super::text;

/// A reply older (or newer) than this is refused, as TTPay refuses stale requests.
pub const REPLY_WINDOW_MS: f64 = 5.0 * 60.0 * 1000.0;

/// `verifyResponses`: verify when signed (`Auto`), insist on a signature (`Require`), or skip (`Off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyMode {
    Auto,
    Require,
    Off,
}

/// The three reply headers, when all were present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplySignature {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
}

fn refuse(why: impl AsRef<str>) -> Error {
    Error::new(
        ErrorKind::Signature,
        text::cat(&["TTPay's reply signature ", why.as_ref()]),
    )
}

/// Applies `mode` to one reply; `Ok(true)` when a signature was checked and holds.
pub fn check(
    mode: VerifyMode,
    secret: &AppSecret,
    signed: Option<&ReplySignature>,
    body_text: &str,
    body: Option<&Value>,
    now_ms: f64,
) -> Result<bool, Error> {
    match (mode, signed) {
        (VerifyMode::Off, _) => Ok(false),
        (VerifyMode::Auto, None) => Ok(false),
        (VerifyMode::Require, None) => Err(refuse(
            "is missing (TTPay-Timestamp, TTPay-Nonce and TTPay-Signature are required by verifyResponses: 'require')",
        )),
        (_, Some(sig)) => verify(secret, sig, body_text, body, now_ms).map(|()| true),
    }
}

/// Verifies one signed reply.
pub fn verify(
    secret: &AppSecret,
    sig: &ReplySignature,
    body_text: &str,
    body: Option<&Value>,
    now_ms: f64,
) -> Result<(), Error> {
    let ts = &sig.timestamp;
    let ts_ms = match ts.len() {
        10 | 13 if ts.bytes().all(|b| b.is_ascii_digit()) => {
            // An integer parse: `f64::from_str` would bring float parsing and its tables along.
            let n = ts
                .parse::<u64>()
                .map_err(|_| refuse("has an invalid TTPay-Timestamp"))? as f64;
            if ts.len() == 10 {
                n * 1000.0
            } else {
                n
            }
        }
        _ => return Err(refuse("has an invalid TTPay-Timestamp")),
    };
    let skew = now_ms - ts_ms;
    if skew.abs() > REPLY_WINDOW_MS {
        // Whole seconds only: formatting an f64 would pull float printing into the wasm.
        let seconds = (skew.abs() / 1000.0) as u64;
        let window = (REPLY_WINDOW_MS / 1000.0) as u64;
        let direction = if skew > 0.0 { "old" } else { "in the future" };
        return Err(refuse(text::cat(&[
            "is outside the ",
            &text::uint(window),
            " s window (TTPay-Timestamp is ",
            &text::uint(seconds),
            " s ",
            direction,
            ")",
        ])));
    }
    let raw = sign::decode_signature(&sig.signature).ok_or_else(|| refuse("is not base64"))?;
    let plain = secret
        .decrypt(&raw)
        .ok_or_else(|| refuse("does not decrypt with this app's secret"))?;
    let plain = std::str::from_utf8(&plain).map_err(|_| refuse("does not decrypt to text"))?;
    let mut lines = plain.splitn(3, '\n');
    let (signed_ts, signed_nonce, signed_body) = (lines.next(), lines.next(), lines.next());
    if signed_ts != Some(ts.as_str()) {
        return Err(refuse("covers another TTPay-Timestamp"));
    }
    if signed_nonce != Some(sig.nonce.as_str()) {
        return Err(refuse("covers another TTPay-Nonce"));
    }
    let signed_body = signed_body.ok_or_else(|| refuse("covers no body"))?;
    if signed_body == body_text {
        return Ok(());
    }
    let signed_value = json::parse(signed_body).map_err(|_| refuse("does not match the body"))?;
    let matches = body.is_some_and(|b| {
        signed_value.same_as(b) || b.get("data").is_some_and(|d| signed_value.same_as(d))
    });
    if matches {
        Ok(())
    } else {
        Err(refuse("does not match the body"))
    }
}
