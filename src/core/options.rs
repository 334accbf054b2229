//! Client options and call parameters: each raw value the caller passed is checked here, before
//! any network traffic, and every refusal names the field and the rule it broke.

use super::base_url::BaseUrl;
use serde::Deserialize;

use super::error::{Error, ErrorKind};
pub use super::input::Input;
use super::limiter::{
    FailurePolicy, Rule, DEFAULT_MARGIN_MS, DEFAULT_RATE_PER_SECOND, MAX_MARGIN_MS,
    MAX_RATE_PER_SECOND, MIN_RATE_PER_SECOND,
};
use super::retry::{DEFAULT_MAX_RETRIES, MAX_MAX_RETRIES};
use super::secret::AppSecret;
use super::verify::VerifyMode;

pub const DEFAULT_BASE_URL: &str = "https://api.ttpay.io";
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// `setTimeout` takes a signed 32-bit delay; a larger one fires at once.
pub const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;
/// The largest reply cap: what a JavaScript ArrayBuffer length safely holds everywhere.
pub const MAX_RESPONSE_BYTES: f64 = 2_147_483_647.0;
pub const MAX_ID_CHARS: usize = 128;
pub const DEFAULT_USER_AGENT: &str = concat!("ttpay-wasm/", env!("CARGO_PKG_VERSION"));
pub const DEFAULT_MAX_RESPONSE_BYTES: u32 = 1024 * 1024;
/// How long a shared limiter's `take` may take before `onRateLimiterError` applies: a store that
/// answers in a millisecond on a good day and not at all on a bad one.
pub const DEFAULT_RATE_LIMITER_TIMEOUT_MS: u32 = 1_000;

/// `closeOrder(params)`, raw.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloseOrderParams {
    pub transaction_id: Input,
    pub mch_id: Input,
}

/// Option names `new TTPayClient(options)` accepts. `fetch` is checked by the wasm layer.
pub const CLIENT_OPTIONS: &[&str] = &[
    "appId",
    "appSecret",
    "mchId",
    "baseUrl",
    "timeoutMs",
    "userAgent",
    "timestampUnit",
    "fetch",
    "maxRetries",
    "deadlineMs",
    "rateLimitPerSecond",
    "rateLimitMarginMs",
    "rateLimiter",
    "rateLimiterTimeoutMs",
    "onRateLimiterError",
    "verifyResponses",
    "maxResponseBytes",
    "hooks",
];
/// Parameter names of `client.closeOrder(params)`.
pub const CLOSE_ORDER_PARAMS: &[&str] = &["transactionId", "mchId"];
/// Names of the per-call options object (`closeOrder(params, { signal })`).
pub const CALL_OPTIONS: &[&str] = &["signal", "timeoutMs", "deadlineMs", "maxRetries"];
/// Names the one-shot `closeOrder({...})` takes on top of the client options.
pub const ONE_SHOT_EXTRA: &[&str] = &["transactionId", "signal"];

impl Input {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Input::Missing => "undefined",
            Input::Str(_) => "string",
            Input::Num(_) => "number",
            Input::Other(t) => t,
            Input::TooLong(_) => "string",
            Input::Unreadable(_) => "unreadable value",
        }
    }
}

/// The longest string the shell copies out of JavaScript; a longer one is [`Input::TooLong`].
/// Twice the longest rule below, since a character may take two UTF-16 code units.
pub const MAX_STRING_UNITS: usize = 2 * MAX_BASE_URL_CHARS;
pub const MAX_BASE_URL_CHARS: usize = 2048;

/// The most characters `field` accepts.
fn max_chars(field: &str) -> usize {
    match field {
        "appSecret" => 32,
        "userAgent" => 256,
        "baseUrl" => MAX_BASE_URL_CHARS,
        _ => MAX_ID_CHARS,
    }
}

fn too_long(field: &str, got: usize) -> Error {
    let max = max_chars(field);
    Error::invalid(
        field,
        format!("must be at most {max} characters (got {got})"),
    )
}

/// Refuses what could not be read at all, before any rule of the field's own.
fn readable<'a>(field: &str, input: &'a Input) -> Result<&'a Input, Error> {
    match *input {
        Input::TooLong(units) => Err(too_long(field, units)),
        Input::Unreadable(why) => Err(Error::invalid(field, why)),
        ref ok => Ok(ok),
    }
}

impl Input {
    /// Overwrites a string's bytes before they are freed: used for the secret, so its bytes do
    /// not linger in the wasm's linear memory once the AES key is expanded.
    pub fn wipe(&mut self) {
        if let Input::Str(s) = self {
            zeroize::Zeroize::zeroize(s);
        }
    }
}

/// Both results, or one error naming every bad field of both.
pub fn all_of<T>(first: Result<(), Error>, second: Result<T, Error>) -> Result<T, Error> {
    let mut bad = Refusals::default();
    bad.keep(first);
    let second = bad.keep(second);
    match second {
        Some(v) if bad.0.is_empty() => Ok(v),
        _ => Err(bad.into_error()),
    }
}

/// Three results, or one error naming every bad field of the three.
pub fn all_of3<A, B, C>(
    a: Result<A, Error>,
    b: Result<B, Error>,
    c: Result<C, Error>,
) -> Result<(A, B, C), Error> {
    let mut bad = Refusals::default();
    match (bad.keep(a), bad.keep(b), bad.keep(c)) {
        (Some(a), Some(b), Some(c)) => Ok((a, b, c)),
        _ => Err(bad.into_error()),
    }
}

/// Gathers the refusals of several fields, so one error names every bad field.
#[derive(Default)]
struct Refusals(Vec<Error>);

impl Refusals {
    fn keep<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    fn into_error(self) -> Error {
        let messages: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        Error::new(ErrorKind::InvalidArgument, messages.join("; "))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampUnit {
    Millis,
    Seconds,
}

impl TimestampUnit {
    /// The timestamp text for a JavaScript clock reading (milliseconds since the epoch).
    pub fn format(self, now_ms: f64) -> String {
        let ms = if now_ms.is_finite() && now_ms > 0.0 {
            now_ms.floor() as u64
        } else {
            0
        };
        match self {
            TimestampUnit::Millis => ms.to_string(),
            TimestampUnit::Seconds => (ms / 1000).to_string(),
        }
    }
}

/// Everything a client needs, validated. Built once per client.
#[derive(Debug)]
pub struct ClientConfig {
    pub app_id: String,
    pub secret: AppSecret,
    pub mch_id: String,
    pub base_url: BaseUrl,
    pub user_agent: String,
    pub timestamp_unit: TimestampUnit,
    /// Defaults for each call; `closeOrder(params, options)` may override them.
    pub policy: CallPolicy,
    /// The spacing of one app_id's sends, shared by every client in the process; `None` is off.
    pub rate_limit: Option<Rule>,
    /// How a shared limiter (`rateLimiter`) is bounded, when there is one.
    pub shared_limiter: SharedLimiterPolicy,
    pub verify: VerifyMode,
    pub max_response_bytes: u32,
}

/// `rateLimiterTimeoutMs` and `onRateLimiterError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedLimiterPolicy {
    pub timeout_ms: u32,
    pub on_error: FailurePolicy,
}

/// The limits of one call: per attempt, in total, and how often to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallPolicy {
    pub timeout_ms: u32,
    pub deadline_ms: Option<u32>,
    pub max_retries: u32,
}

/// Per-call overrides, raw.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawCallOptions {
    pub timeout_ms: Input,
    pub deadline_ms: Input,
    pub max_retries: Input,
}

impl RawCallOptions {
    pub fn apply(&self, defaults: CallPolicy) -> Result<CallPolicy, Error> {
        let mut bad = Refusals::default();
        let timeout_ms = bad.keep(millis("timeoutMs", &self.timeout_ms));
        let deadline_ms = bad.keep(millis("deadlineMs", &self.deadline_ms));
        let max_retries = bad.keep(retries(&self.max_retries));
        let (Some(timeout_ms), Some(deadline_ms), Some(max_retries)) =
            (timeout_ms, deadline_ms, max_retries)
        else {
            return Err(bad.into_error());
        };
        Ok(CallPolicy {
            timeout_ms: timeout_ms.unwrap_or(defaults.timeout_ms),
            deadline_ms: deadline_ms.or(defaults.deadline_ms),
            max_retries: max_retries.unwrap_or(defaults.max_retries),
        })
    }
}

/// A positive, finite number of milliseconds that `setTimeout` can take; `None` when absent.
fn millis(field: &str, input: &Input) -> Result<Option<u32>, Error> {
    match *readable(field, input)? {
        Input::Missing => Ok(None),
        Input::Num(n) if n.is_finite() && n > 0.0 && n <= MAX_TIMEOUT_MS => {
            Ok(Some(n.ceil() as u32))
        }
        Input::Num(_) => Err(Error::invalid(
            field,
            "must be a positive finite number of milliseconds, at most 2147483647",
        )),
        ref other => Err(Error::invalid(
            field,
            format!("must be a number (got {})", other.type_name()),
        )),
    }
}

fn retries(input: &Input) -> Result<Option<u32>, Error> {
    match *readable("maxRetries", input)? {
        Input::Missing => Ok(None),
        Input::Num(n) if n.fract() == 0.0 && (0.0..=f64::from(MAX_MAX_RETRIES)).contains(&n) => {
            Ok(Some(n as u32))
        }
        _ => Err(Error::invalid(
            "maxRetries",
            format!("must be a whole number from 0 to {MAX_MAX_RETRIES}"),
        )),
    }
}

/// The raw client options, one [`Input`] per known name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawClientOptions {
    pub app_id: Input,
    pub app_secret: Input,
    pub mch_id: Input,
    pub base_url: Input,
    pub timeout_ms: Input,
    pub user_agent: Input,
    pub timestamp_unit: Input,
    pub max_retries: Input,
    pub deadline_ms: Input,
    pub rate_limit_per_second: Input,
    pub rate_limit_margin_ms: Input,
    /// Whether a `rateLimiter` object was given (the shell checks the object itself).
    #[serde(skip)]
    pub shared_limiter: bool,
    pub rate_limiter_timeout_ms: Input,
    pub on_rate_limiter_error: Input,
    pub verify_responses: Input,
    pub max_response_bytes: Input,
}

impl RawClientOptions {
    /// Every option checked; one error naming each bad field (in the order of the README's
    /// table), so a misconfigured deployment is fixed in one round.
    pub fn validate(&self) -> Result<ClientConfig, Error> {
        let mut bad = Refusals::default();
        let app_id = bad.keep(header_id("appId", &self.app_id));
        let secret = bad.keep(app_secret(&self.app_secret));
        let mch_id = bad.keep(mch_id(&self.mch_id));
        let base_url = bad.keep(base_url(&self.base_url));
        let timeout_ms = bad.keep(millis("timeoutMs", &self.timeout_ms));
        let user_agent = bad.keep(user_agent(&self.user_agent));
        let timestamp_unit = bad.keep(timestamp_unit(&self.timestamp_unit));
        let max_retries = bad.keep(retries(&self.max_retries));
        let deadline_ms = bad.keep(millis("deadlineMs", &self.deadline_ms));
        let rate_limit = bad.keep(rate_limit(
            &self.rate_limit_per_second,
            &self.rate_limit_margin_ms,
        ));
        let shared_limiter = bad.keep(shared_limiter(self));
        let verify = bad.keep(verify_mode(&self.verify_responses));
        let max_response_bytes = bad.keep(max_response_bytes(&self.max_response_bytes));
        let (
            Some(app_id),
            Some(secret),
            Some(mch_id),
            Some(base_url),
            Some(timeout_ms),
            Some(user_agent),
            Some(timestamp_unit),
            Some(max_retries),
            Some(deadline_ms),
            Some(rate_limit),
            Some(shared_limiter),
            Some(verify),
            Some(max_response_bytes),
        ) = (
            app_id,
            secret,
            mch_id,
            base_url,
            timeout_ms,
            user_agent,
            timestamp_unit,
            max_retries,
            deadline_ms,
            rate_limit,
            shared_limiter,
            verify,
            max_response_bytes,
        )
        else {
            return Err(bad.into_error());
        };
        Ok(ClientConfig {
            app_id,
            secret,
            mch_id,
            base_url,
            user_agent,
            timestamp_unit,
            policy: CallPolicy {
                timeout_ms: timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
                deadline_ms,
                max_retries: max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            },
            rate_limit,
            shared_limiter,
            verify,
            max_response_bytes,
        })
    }
}

fn shared_limiter(raw: &RawClientOptions) -> Result<SharedLimiterPolicy, Error> {
    if raw.shared_limiter && matches!(raw.rate_limit_per_second, Input::Other("null")) {
        return Err(Error::invalid(
            "rateLimiter",
            "needs a rate: rateLimitPerSecond is null (which turns limiting off)",
        ));
    }
    let timeout_ms = millis("rateLimiterTimeoutMs", &raw.rate_limiter_timeout_ms)?;
    let on_error = match readable("onRateLimiterError", &raw.on_rate_limiter_error)? {
        Input::Missing => FailurePolicy::Local,
        Input::Str(s) if s == "local" => FailurePolicy::Local,
        Input::Str(s) if s == "send" => FailurePolicy::Send,
        Input::Str(s) if s == "fail" => FailurePolicy::Fail,
        _ => {
            return Err(Error::invalid(
                "onRateLimiterError",
                "must be 'local', 'send' or 'fail'",
            ))
        }
    };
    Ok(SharedLimiterPolicy {
        timeout_ms: timeout_ms.unwrap_or(DEFAULT_RATE_LIMITER_TIMEOUT_MS),
        on_error,
    })
}

fn app_secret(input: &Input) -> Result<AppSecret, Error> {
    match readable("appSecret", input)? {
        Input::Str(s) => AppSecret::new(s),
        Input::Missing => Err(Error::invalid("appSecret", "is required")),
        other => Err(not_a_string("appSecret", other)),
    }
}

fn base_url(input: &Input) -> Result<BaseUrl, Error> {
    match readable("baseUrl", input)? {
        Input::Missing => BaseUrl::parse(DEFAULT_BASE_URL),
        Input::Str(s) => BaseUrl::parse(s),
        other => Err(not_a_string("baseUrl", other)),
    }
}

fn user_agent(input: &Input) -> Result<String, Error> {
    match readable("userAgent", input)? {
        Input::Missing => Ok(DEFAULT_USER_AGENT.to_string()),
        Input::Str(s)
            if !s.is_empty()
                && s.len() <= max_chars("userAgent")
                && s.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
        {
            Ok(s.clone())
        }
        Input::Str(_) => Err(Error::invalid(
            "userAgent",
            "must be 1 to 256 printable ASCII characters",
        )),
        other => Err(not_a_string("userAgent", other)),
    }
}

fn timestamp_unit(input: &Input) -> Result<TimestampUnit, Error> {
    match readable("timestampUnit", input)? {
        Input::Missing => Ok(TimestampUnit::Millis),
        Input::Str(s) if s == "ms" => Ok(TimestampUnit::Millis),
        Input::Str(s) if s == "s" => Ok(TimestampUnit::Seconds),
        _ => Err(Error::invalid("timestampUnit", "must be 'ms' or 's'")),
    }
}

fn rate_limit(rate: &Input, margin: &Input) -> Result<Option<Rule>, Error> {
    let margin_ms = match *readable("rateLimitMarginMs", margin)? {
        Input::Missing => DEFAULT_MARGIN_MS,
        Input::Num(n) if (0.0..=MAX_MARGIN_MS).contains(&n) => n,
        _ => {
            return Err(Error::invalid(
                "rateLimitMarginMs",
                format!("must be a number of ms from 0 to {MAX_MARGIN_MS}"),
            ))
        }
    };
    let rate = match *readable("rateLimitPerSecond", rate)? {
        Input::Missing => DEFAULT_RATE_PER_SECOND,
        Input::Other("null") => return Ok(None),
        Input::Num(n) if (MIN_RATE_PER_SECOND..=MAX_RATE_PER_SECOND).contains(&n) => n,
        _ => {
            return Err(Error::invalid(
                "rateLimitPerSecond",
                format!("must be a number from {MIN_RATE_PER_SECOND} to {MAX_RATE_PER_SECOND}, or null to turn the limiter off"),
            ))
        }
    };
    Ok(Some(Rule::new(rate, margin_ms)))
}

fn verify_mode(input: &Input) -> Result<VerifyMode, Error> {
    match readable("verifyResponses", input)? {
        Input::Missing => Ok(VerifyMode::Auto),
        Input::Str(s) if s == "auto" => Ok(VerifyMode::Auto),
        Input::Str(s) if s == "require" => Ok(VerifyMode::Require),
        Input::Str(s) if s == "off" => Ok(VerifyMode::Off),
        _ => Err(Error::invalid(
            "verifyResponses",
            "must be 'auto', 'require' or 'off'",
        )),
    }
}

fn max_response_bytes(input: &Input) -> Result<u32, Error> {
    match *readable("maxResponseBytes", input)? {
        Input::Missing => Ok(DEFAULT_MAX_RESPONSE_BYTES),
        Input::Num(n) if n.fract() == 0.0 && (1.0..=MAX_RESPONSE_BYTES).contains(&n) => {
            Ok(n as u32)
        }
        _ => Err(Error::invalid(
            "maxResponseBytes",
            "must be a whole number of bytes from 1 to 2147483647",
        )),
    }
}

fn not_a_string(field: &str, got: &Input) -> Error {
    Error::invalid(field, format!("must be a string (got {})", got.type_name()))
}

fn required_string<'a>(field: &str, input: &'a Input) -> Result<&'a str, Error> {
    match readable(field, input)? {
        Input::Str(s) if s.is_empty() => Err(Error::invalid(field, "must not be empty")),
        Input::Str(s) => Ok(s),
        Input::Missing => Err(Error::invalid(field, "is required")),
        other => Err(not_a_string(field, other)),
    }
}

fn bounded(field: &str, s: &str) -> Result<(), Error> {
    let chars = s.chars().count();
    if chars > max_chars(field) {
        return Err(too_long(field, chars));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// An id that travels inside the `Authorization` header's `key=value,…` list: besides the length
/// and control-character rules, a space, comma or `=` would split or shift its fields, and fetch
/// refuses non-ASCII headers.
pub fn header_id(field: &str, input: &Input) -> Result<String, Error> {
    let s = required_string(field, input)?;
    bounded(field, s)?;
    if !s
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b',' && b != b'=')
    {
        return Err(Error::invalid(
            field,
            "must be printable ASCII without spaces, commas or `=` (it travels in the Authorization header)",
        ));
    }
    Ok(s.to_string())
}

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `mchId`: merchant numbers are all digits, and config from the environment (Nuxt's runtime
/// config, Vite's `define`, JSON files) often turns them into numbers. A non-negative safe integer
/// is taken as its decimal digits; anything else follows [`header_id`].
pub fn mch_id(input: &Input) -> Result<String, Error> {
    match *input {
        Input::Num(n) if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) => {
            Ok(format!("{}", n as u64))
        }
        Input::Num(_) => Err(Error::invalid(
            "mchId",
            "must be a string, or a whole number from 0 to 2^53 - 1",
        )),
        ref other => header_id("mchId", other),
    }
}

/// An order id: it travels only in the JSON body, so any text without control characters will do.
/// Required: close has no other order identifier, so a close without one can only fail (TTPay
/// answers 11003) after costing a request and a rate-limit slot.
pub fn transaction_id(input: &Input) -> Result<String, Error> {
    if matches!(input, Input::Missing) {
        return Err(Error::invalid(
            "transactionId",
            "is required (close has no other order identifier; TTPay would answer 11003)",
        ));
    }
    let s = required_string("transactionId", input)?;
    bounded("transactionId", s)?;
    Ok(s.to_string())
}

/// Refuses option names outside `allowed`, suggesting the closest known name for a typo.
pub fn check_names<S: AsRef<str>>(names: &[S], allowed: &[&str]) -> Result<(), Error> {
    for name in names {
        let name = name.as_ref();
        if allowed.contains(&name) {
            continue;
        }
        // Names longer than any option cannot be a typo of one (and would cost a large table).
        let hint = allowed
            .iter()
            .filter(|_| name.len() <= 64)
            .map(|a| {
                (
                    edit_distance(&name.to_ascii_lowercase(), &a.to_ascii_lowercase()),
                    a,
                )
            })
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d)
            .map(|(_, a)| format!(" (did you mean `{a}`?)"))
            .unwrap_or_default();
        let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
        return Err(Error::invalid(
            &shown,
            format!(
                "unknown option{hint}; known options: {}",
                allowed.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Levenshtein distance counting a swap of neighbours as one edit, so `appSecert` → `appSecret`.
/// Over bytes: option names are ASCII, and a non-ASCII byte is an edit either way.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a.get(i - 1) != b.get(j - 1));
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}
