//! When to try again and how long to wait: the rule and its reason side by side.
//!
//! Every retry is a new, freshly signed request (PROTOCOL.md). Closing an order is idempotent on
//! TTPay's side (closing a CLOSED order answers 0), so a retry after an ambiguous failure (a reset
//! after the server acted, a reply cut short) cannot close anything twice; it finds out the truth.

use super::codes;
use super::error::{Error, ErrorKind};

pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// More than this many retries only multiplies load on a struggling gateway.
pub const MAX_MAX_RETRIES: u32 = 10;
/// Backoff before retry n (1-based) is `min(CAP, BASE · 2^(n-1))`, "equal jitter": half of it
/// fixed, half random, so synchronized clients spread out but never retry instantly.
pub const BACKOFF_BASE_MS: f64 = 250.0;
pub const BACKOFF_CAP_MS: f64 = 4_000.0;
/// A server's `Retry-After` is honoured up to this long.
pub const RETRY_AFTER_CAP_MS: f64 = 30_000.0;

/// Whether the failed attempt should be retried, given what has been tried so far.
/// `retried_104` is whether a 104 (signature expired) was already retried once.
pub fn should_retry(err: &Error, retried_104: bool) -> bool {
    match err.kind {
        // Nothing was answered, or the answer was cut short: ask again (closing is idempotent).
        ErrorKind::Network | ErrorKind::Timeout | ErrorKind::InvalidResponse => true,
        // 5xx and 429 are transient; any other status will not change by asking again.
        ErrorKind::Http => matches!(err.http_status, Some(s) if s >= 500 || s == 429),
        // The codes table says which business codes are transient. 104 means our timestamp was
        // refused: a freshly signed request can pass, but a clock that is really off will not
        // heal, so it is retried only once.
        ErrorKind::Api => err
            .code
            .is_some_and(|c| codes::is_retryable(c) && !(c == 104 && retried_104)),
        // The caller's own decisions, or an answer that must not be trusted blindly.
        ErrorKind::InvalidArgument | ErrorKind::Aborted | ErrorKind::Signature => false,
    }
}

/// The wait before retry number `retry` (1 for the first retry); `jitter` is uniform in [0, 1).
/// A server's `Retry-After` (already converted to ms) wins when it asks for longer.
pub fn delay_ms(retry: u32, jitter: f64, retry_after_ms: Option<f64>) -> f64 {
    let exp = BACKOFF_BASE_MS * f64::from(2u32.saturating_pow(retry.saturating_sub(1).min(16)));
    let full = exp.min(BACKOFF_CAP_MS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let backoff = full / 2.0 + full / 2.0 * jitter;
    match retry_after_ms {
        Some(ra) if ra > backoff => ra.min(RETRY_AFTER_CAP_MS),
        _ => backoff,
    }
}

/// `Retry-After` as milliseconds from `now_ms`: delay-seconds or an HTTP date (IMF-fixdate).
/// Unparseable values are ignored, as RFC 9110 asks.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<f64> {
    let v = value.trim_ascii();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.parse::<u64>().ok()? as f64 * 1000.0);
    }
    let at = parse_http_date(v)?;
    Some((at - now_ms).max(0.0))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` → ms since the epoch.
pub fn parse_http_date(s: &str) -> Option<f64> {
    // Unsigned: a date has no signs (and one integer parser keeps the wasm smaller).
    let num = |s: &str| s.parse::<u64>().ok().map(|n| n as i64);
    let mut parts = s.split(' ');
    let _weekday = parts.next().filter(|w| w.len() == 4 && w.ends_with(','))?;
    let day = num(parts.next().filter(|d| d.len() == 2)?)?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year = num(parts.next().filter(|y| y.len() == 4)?)?;
    let mut hms = parts.next()?.split(':');
    let mut field = |max: i64| -> Option<i64> {
        let n = num(hms.next().filter(|x| x.len() == 2)?)?;
        (n <= max).then_some(n)
    };
    let (h, m, sec) = (field(23)?, field(59)?, field(60)?);
    if parts.next()? != "GMT" || parts.next().is_some() || !(1..=31).contains(&day) {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3_600 + m * 60 + sec) * 1000) as f64)
}
