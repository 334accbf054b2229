//! Reply-signature verification, PROTOCOL.md's revised decision: decrypt `TTPay-Signature` with
//! the secret and check that its lines are `TTPay-Timestamp`, `TTPay-Nonce`, and a JSON text equal
//! (as data, member order aside) to the body or to the body's `data` member, because the live
//! service is reported to sign either. A data-only match leaves `code` and `msg` unauthenticated,
//! so it counts only when it cannot be a rearranged reply (see [`data_member_may_match`]). A
//! reply answers the request it follows: it is refused when timestamped before that request was
//! sent ([`answers_in_time`]), or when the replay table has seen it, whole or spliced (issue 18).

use serde_json::Value;

use super::codes;
use super::error::{Error, ErrorKind};
use super::replay::{Refused, ReplyKeys, SeenNonces};
use super::secret::AppSecret;
use super::sign;
use super::skew::{ClockSkew, SKEW_ALLOWANCE_MS};
use super::text::escape_controls;
use super::wire::without_trailing_commas;

/// A reply older (or newer) than this is refused, as TTPay refuses stale requests.
pub const REPLY_WINDOW_MS: f64 = 5.0 * 60.0 * 1000.0;

/// `verifyResponses`: verify when signed (`Auto`), insist on a signature (`Require`), or skip (`Off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyMode {
    Auto,
    Require,
    Off,
}

/// The three `TTPay-*` reply headers as received; any of them may be missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignatureHeaders<'a> {
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// The three reply headers, all present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplySignature<'a> {
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
}

/// What one reply is checked against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expected<'a> {
    /// The `transaction_id` the request named, if any.
    pub transaction_id: Option<&'a str>,
    /// When the request this reply answers was signed and sent (this machine's clock, ms);
    /// `None` for a reply checked outside a call, whose request is unknown.
    pub sent_ms: Option<f64>,
    /// What verified replies have taught of TTPay's clock ([`SeenNonces::clock`]).
    pub clock: ClockSkew,
}

/// A reply whose signature holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verified {
    /// Its `TTPay-Timestamp`, in ms.
    pub ts_ms: f64,
    /// What the replay table remembers it by.
    pub keys: ReplyKeys,
}

fn refuse(why: impl AsRef<str>) -> Error {
    Error::new(
        ErrorKind::Signature,
        format!("TTPay's reply signature {}", why.as_ref()),
    )
}

/// What the headers say about how the reply must be treated.
enum Presence<'a> {
    Unsigned,
    Partial,
    Signed(ReplySignature<'a>),
}

fn presence<'a>(h: &SignatureHeaders<'a>) -> Presence<'a> {
    match (h.timestamp, h.nonce, h.signature) {
        (None, None, None) => Presence::Unsigned,
        (Some(timestamp), Some(nonce), Some(signature)) => Presence::Signed(ReplySignature {
            timestamp,
            nonce,
            signature,
        }),
        _ => Presence::Partial,
    }
}

/// One reply through `mode`; `Ok(true)` when a signature was checked and holds, `Ok(false)` when
/// the reply is accepted unverified. A verified reply is recorded in `seen` (which learns TTPay's
/// clock from it), and one already there, whole or spliced, is a replay. A refusal carries TTPay's
/// `code` and `msg` when the body has them (unverified), and says so first, so a wrong secret
/// reads as "TTPay answered 103".
#[allow(clippy::too_many_arguments)] // one reply's parts, each needed; a struct would only rename them
pub fn check(
    mode: VerifyMode,
    secret: &AppSecret,
    headers: &SignatureHeaders<'_>,
    status: u16,
    body_text: &str,
    body: Option<&Value>,
    expected: Expected<'_>,
    now_ms: f64,
    seen: &mut SeenNonces,
) -> Result<bool, Error> {
    let outcome = match (mode, presence(headers)) {
        (VerifyMode::Off, _) | (VerifyMode::Auto, Presence::Unsigned) => return Ok(false),
        // A proxy's or CDN's 502/503/429 carries no signature: it stays an `http` error, retried
        // as such, rather than a non-retryable `signature` error.
        (VerifyMode::Require, Presence::Unsigned) if !(200..300).contains(&status) => {
            return Ok(false)
        }
        (VerifyMode::Require, Presence::Unsigned) => Err(refuse(
            "is missing (TTPay-Timestamp, TTPay-Nonce and TTPay-Signature are required by verifyResponses: 'require')",
        )),
        // A stripped header must not downgrade a signed reply to "unsigned".
        (_, Presence::Partial) => Err(refuse(
            "is incomplete (TTPay-Timestamp, TTPay-Nonce and TTPay-Signature come together; one or two arrived)",
        )),
        (_, Presence::Signed(sig)) => verify(secret, &sig, body_text, body, expected, now_ms)
            .and_then(|verified| record(seen, &verified, now_ms))
            .map(|()| true),
    };
    outcome.map_err(|err| with_unverified_reply(err, body))
}

/// Records a verified reply received at `now_ms`, refusing a replay; only an accepted reply
/// teaches the clock, so a refused one cannot move it.
fn record(seen: &mut SeenNonces, verified: &Verified, now_ms: f64) -> Result<(), Error> {
    seen.insert(&verified.keys, verified.ts_ms, now_ms)
        .map_err(|why| {
            refuse(match why {
                Refused::Seen => {
                    "was seen before (a replayed TTPay-Nonce inside the 5-minute window)"
                }
                Refused::Spliced => {
                    "was seen before under another TTPay-Nonce (blocks of verified replies spliced together inside the 5-minute window)"
                }
                Refused::Forgotten => {
                    "cannot be told from a replay (more replies inside the 5-minute window than the replay table holds)"
                }
            })
        })?;
    seen.learn_clock(verified.ts_ms, now_ms);
    Ok(())
}

/// Puts what an unverified TTPay reply said on a signature error, its cause first.
fn with_unverified_reply(mut err: Error, body: Option<&Value>) -> Error {
    let Some(code) = body.and_then(|b| b.get("code")).and_then(Value::as_i64) else {
        return err;
    };
    let msg = body
        .and_then(|b| b.get("msg"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let said = if code == 0 {
        format!(
            "the reply claims success (code 0): {}",
            escape_controls(msg)
        )
    } else {
        format!(
            "TTPay refused the request: {}: {}",
            codes::describe(code),
            escape_controls(msg)
        )
    };
    err.message = format!("{said}; unverified, because {}", err.message);
    err.code = Some(code);
    err.msg = Some(msg.to_string());
    err.request_id = body
        .and_then(|b| b.get("request_id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    err
}

/// Verifies one signed reply received at `now_ms`.
pub fn verify(
    secret: &AppSecret,
    sig: &ReplySignature<'_>,
    body_text: &str,
    body: Option<&Value>,
    expected: Expected<'_>,
    now_ms: f64,
) -> Result<Verified, Error> {
    let ts = sig.timestamp;
    let ts_ms = match ts.len() {
        10 | 13 if ts.bytes().all(|b| b.is_ascii_digit()) => {
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
        let seconds = (skew.abs() / 1000.0) as u64;
        let window = (REPLY_WINDOW_MS / 1000.0) as u64;
        let direction = if skew > 0.0 { "old" } else { "in the future" };
        return Err(refuse(format!(
            "is outside the {window} s window (TTPay-Timestamp is {seconds} s {direction}; check this machine's clock)"
        )));
    }
    answers_in_time(ts_ms, &expected)?;
    let raw = sign::decode_signature(sig.signature).ok_or_else(|| refuse("is not base64"))?;
    let plain = secret
        .decrypt(&raw)
        .ok_or_else(|| refuse("does not decrypt with this app's secret (check appSecret)"))?;
    let plain = std::str::from_utf8(&plain).map_err(|_| refuse("does not decrypt to text"))?;
    let mut lines = plain.splitn(3, '\n');
    let (signed_ts, signed_nonce, signed_body) = (lines.next(), lines.next(), lines.next());
    if signed_ts != Some(ts) {
        return Err(refuse("covers another TTPay-Timestamp"));
    }
    if signed_nonce != Some(sig.nonce) {
        return Err(refuse("covers another TTPay-Nonce"));
    }
    let signed_body = signed_body.ok_or_else(|| refuse("covers no body"))?;
    if signed_body != body_text {
        let signed_value = serde_json::from_str(&without_trailing_commas(signed_body))
            .map_err(|_| refuse("does not match the body"))?;
        let Some(body) = body else {
            return Err(refuse("does not match the body"));
        };
        if !same_data(&signed_value, body) {
            match body.get("data") {
                Some(data) if same_data(&signed_value, data) => {
                    data_member_may_match(body, data, &expected)?
                }
                _ => return Err(refuse("does not match the body")),
            }
        }
    }
    same_order(body, expected)?;
    Ok(Verified {
        ts_ms,
        keys: ReplyKeys::new(ts, sig.nonce, signed_body),
    })
}

/// A reply is signed after its request arrives, so one timestamped well before the request was
/// sent was captured earlier and is played back (PROTOCOL.md, revised decision; issue 18).
/// TTPay's clock is read through the offset verified replies taught, with
/// [`SKEW_ALLOWANCE_MS`] for what that offset has not caught up with.
fn answers_in_time(ts_ms: f64, expected: &Expected<'_>) -> Result<(), Error> {
    let Some(sent_ms) = expected.sent_ms else {
        return Ok(());
    };
    if ts_ms >= expected.clock.earliest_answer_ms(sent_ms) {
        return Ok(());
    }
    let offset_s = expected.clock.offset_ms() / 1000.0;
    let early_s = (sent_ms + expected.clock.offset_ms() - ts_ms) / 1000.0;
    let allowed_s = SKEW_ALLOWANCE_MS / 1000.0;
    Err(refuse(format!(
        "predates its request by {early_s:.1} s (TTPay-Timestamp against the moment the request was sent, after the learned clock offset of {offset_s:+.1} s; {allowed_s} s is allowed): a reply captured earlier and played back, or this machine's clock is ahead of TTPay's"
    )))
}

/// Any signed reply, whole or `data` only, about another order is refused: a man in the middle
/// could otherwise answer a close request with a genuine success captured for another order (a
/// replay the nonce table cannot see when it was captured by another process). A reply without
/// `data.transaction_id` (TTPay's errors) names no order and cannot be bound to one.
fn same_order(body: Option<&Value>, expected: Expected<'_>) -> Result<(), Error> {
    let answered = body
        .and_then(|b| b.get("data"))
        .and_then(|d| d.get("transaction_id"));
    match (expected.transaction_id, answered) {
        (Some(asked), Some(answered)) if answered.as_str() != Some(asked) => Err(refuse(format!(
            "covers another order (data.transaction_id is not the requested {asked})"
        ))),
        _ => Ok(()),
    }
}

/// A signature over `data` alone proves `data`, not `code` (PROTOCOL.md, revised decisions), so
/// the match counts just when the signed member cannot be a whole TTPay reply (an object with a
/// `code`) moved under `data` beside an unsigned code, and when the unsigned `code` says what the
/// signed `data` says: a success only beside `data` showing the requested order `CLOSED`, and an
/// error never beside `CLOSED`. The order's identity is compared by [`same_order`].
fn data_member_may_match(body: &Value, data: &Value, expected: &Expected<'_>) -> Result<(), Error> {
    if data.get("code").is_some() {
        return Err(refuse(
            "covers a whole TTPay reply placed under `data`, not this reply's code",
        ));
    }
    let closed = data.get("trade_state").and_then(Value::as_str) == Some("CLOSED");
    let names_order = data.get("transaction_id").is_some() && expected.transaction_id.is_some();
    match body.get("code").and_then(Value::as_i64) {
        Some(0) if !closed => Err(refuse(
            "covers only `data`, which does not say the order is CLOSED, so it cannot vouch for code 0",
        )),
        Some(0) if !names_order => Err(refuse(
            "covers only `data`, which names no requested order, so it cannot vouch for code 0",
        )),
        Some(code) if code != 0 && closed => Err(refuse(format!(
            "covers only `data`, which says the order is CLOSED, beside code {code}"
        ))),
        _ => Ok(()),
    }
}

/// Equality as data, as JavaScript sees it: objects compare as sets of members (serde_json's map
/// ignores order), and numbers by value, so `1.0` equals `1`.
pub fn same_data(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_data(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_data(v, w)))
        }
        _ => a == b,
    }
}
