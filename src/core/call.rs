//! One API call through the single pipeline: validate → build → sign → (the shell sends) →
//! verify → classify → retry or finish. A small state machine: clock, randomness and jitter are
//! inputs and the next step is an output, so a whole call, retries included, runs in a native test.

use std::cell::Cell;

use serde_json::Value;

use super::error::{Error, ErrorKind};
use super::options::{self, CallPolicy, ClientConfig, Input};
use super::replay::SeenNonces;
use super::reply::{self, Success};
use super::retry;
use super::sign;
use super::verify::{self, Expected, SignatureHeaders};
use super::wire::{self, CloseOrderBody};

pub const CLOSE_ORDER_PATH: &str = "/v1/transaction/close";

/// A call in progress: URL, signed path and body are built once; every attempt is signed afresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub url: String,
    pub path: String,
    pub body: String,
    pub mch_id: String,
    /// What the request asked about, so a signed reply about another order is refused.
    pub transaction_id: String,
    pub policy: CallPolicy,
    started_ms: Option<f64>,
    /// When this attempt's request was signed, which is when it was sent: its reply must not be
    /// timestamped before that. A `Cell`, because [`Call::sign`] lends the call's URL and body to
    /// the request it returns and records the time as it signs.
    sent_ms: Cell<Option<f64>>,
    attempts: u32,
    retried_104: bool,
}

/// One attempt, ready to send: the bytes in `body` are exactly the bytes that were signed.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    pub url: &'a str,
    pub body: &'a str,
    /// The one header that changes per attempt; the others borrow from the client.
    pub authorization: String,
    app_id: &'a str,
    user_agent: &'a str,
}

impl Request<'_> {
    /// The headers to send, in this order.
    pub fn headers(&self) -> [(&'static str, &str); 4] {
        [
            ("Authorization", &self.authorization),
            ("Content-Type", "application/json"),
            ("app_id", self.app_id),
            ("User-Agent", self.user_agent),
        ]
    }
}

/// Why an attempt ended without a usable reply, as the shell observed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Interrupted {
    /// fetch rejected or the body could not be read; the detail is the host's message.
    Network(String),
    /// The attempt's timer fired first.
    Timeout,
    /// The caller's signal fired first.
    Aborted,
    /// The body passed `maxResponseBytes`; reading stopped there.
    TooLarge,
}

/// What the server sent, as the shell read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<'a> {
    pub status: u16,
    pub body: &'a [u8],
    pub signature: SignatureHeaders<'a>,
    pub retry_after: Option<&'a str>,
}

/// The next thing the shell must do.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Next {
    /// Wait `delay_ms`, then start another attempt; `error` is why the last one failed.
    Retry { delay_ms: f64, error: Error },
    /// The call is over.
    Done(Result<Success, Error>),
}

impl Call {
    /// `closeOrder({ transactionId, mchId? })`: `mchId` overrides the client's for this call.
    pub fn close_order(
        config: &ClientConfig,
        transaction_id: &Input,
        mch_id: &Input,
    ) -> Result<Call, Error> {
        let transaction_id = options::transaction_id(transaction_id)?;
        let mch_id = match mch_id {
            Input::Missing => config.mch_id.clone(),
            other => options::mch_id(other)?,
        };
        let (url, path) = config.base_url.endpoint(CLOSE_ORDER_PATH);
        let body = CloseOrderBody {
            app_id: &config.app_id,
            mch_id: &mch_id,
            transaction_id: Some(&transaction_id),
        }
        .to_json();
        Ok(Call {
            url,
            path,
            body,
            mch_id,
            transaction_id,
            policy: config.policy,
            started_ms: None,
            sent_ms: Cell::new(None),
            attempts: 0,
            retried_104: false,
        })
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Milliseconds left before `deadlineMs`, if there is a deadline.
    fn remaining_ms(&self, now_ms: f64) -> Option<f64> {
        let deadline = f64::from(self.policy.deadline_ms?);
        Some(deadline - (now_ms - self.started_ms.unwrap_or(now_ms)))
    }

    fn deadline_error(&self, while_doing: &str) -> Error {
        let deadline = self.policy.deadline_ms.unwrap_or(0);
        self.timeout_after(&format!("deadlineMs ({deadline} ms) elapsed {while_doing}"))
    }

    /// A `timeout` error: `what`, then how many attempts were made, which it also carries.
    fn timeout_after(&self, what: &str) -> Error {
        let mut err = Error::new(
            ErrorKind::Timeout,
            format!("{what} after {} attempt(s)", self.attempts),
        );
        err.attempts = self.attempts;
        err
    }

    /// How long a rate-limit wait may be before the deadline would pass (`None`: no deadline).
    pub fn max_wait_ms(&mut self, now_ms: f64) -> Option<f64> {
        self.started_ms.get_or_insert(now_ms);
        self.remaining_ms(now_ms).map(|left| (left - 1.0).max(0.0))
    }

    /// The end of a call whose shared limiter had no slot within [`Call::max_wait_ms`] (with no
    /// deadline that is unbounded, so a `false` then is the limiter's own refusal).
    pub fn no_slot_in_time(&self) -> Error {
        if self.policy.deadline_ms.is_some() {
            return self
                .deadline_error("waiting for the shared rate limit (no slot before the deadline)");
        }
        self.timeout_after("rateLimiter.take() answered false (no slot)")
    }

    /// Before waiting `wait_ms` for a rate limiter (`shared` or embedded): refuses a wait the
    /// deadline cannot cover.
    pub fn check_wait(&mut self, now_ms: f64, wait_ms: f64, shared: bool) -> Result<(), Error> {
        self.started_ms.get_or_insert(now_ms);
        match self.remaining_ms(now_ms) {
            Some(left) if wait_ms >= left => Err(self.deadline_error(if shared {
                "waiting for the shared rate limit (its slot comes after the deadline)"
            } else {
                "waiting for the client-side rate limit"
            })),
            _ => Ok(()),
        }
    }

    /// Starts an attempt: its timeout is `timeoutMs`, cut short by what remains of `deadlineMs`.
    pub fn begin_attempt(&mut self, now_ms: f64) -> Result<u32, Error> {
        self.started_ms.get_or_insert(now_ms);
        let timeout = f64::from(self.policy.timeout_ms);
        let timeout = match self.remaining_ms(now_ms) {
            Some(left) if left < 1.0 => return Err(self.deadline_error("before the next attempt")),
            Some(left) => timeout.min(left.ceil()),
            None => timeout,
        };
        self.attempts += 1;
        self.sent_ms.set(None);
        Ok(timeout as u32)
    }

    /// Signs the current attempt with the caller's clock (ms since the epoch) and 16 random bytes,
    /// and records that time as when the request was sent.
    pub fn sign<'a>(
        &'a self,
        config: &'a ClientConfig,
        now_ms: f64,
        random: &[u8; 16],
    ) -> Request<'a> {
        self.sent_ms.set(Some(now_ms));
        let timestamp = config.timestamp_unit.format(now_ms);
        let nonce = sign::nonce_from_bytes(random);
        let text = sign::signing_string(&self.path, &timestamp, &nonce, &self.body);
        let signature = sign::signature(&config.secret, &text);
        let authorization =
            sign::authorization(&config.app_id, &self.mch_id, &nonce, &timestamp, &signature);
        Request {
            url: &self.url,
            body: &self.body,
            authorization,
            app_id: &config.app_id,
            user_agent: &config.user_agent,
        }
    }

    /// The attempt got a reply at `now_ms`: verify it as the answer to this attempt's request
    /// (recording it in `seen`), classify it, and decide.
    pub fn handle_reply(
        &mut self,
        config: &ClientConfig,
        now_ms: f64,
        jitter: f64,
        r: &Reply<'_>,
        seen: &mut SeenNonces,
    ) -> Next {
        let outcome = self.judge(config, now_ms, r, seen);
        let retry_after = r
            .retry_after
            .and_then(|v| retry::parse_retry_after(v, now_ms));
        self.decide(now_ms, jitter, outcome, retry_after)
    }

    /// The attempt got no usable reply.
    pub fn handle_interrupted(
        &mut self,
        config: &ClientConfig,
        now_ms: f64,
        jitter: f64,
        why: Interrupted,
    ) -> Next {
        let err = match why {
            Interrupted::Network(detail) => Error::new(
                ErrorKind::Network,
                format!("could not reach TTPay at {}: {detail}", self.url),
            ),
            Interrupted::Timeout => {
                let deadline_bound = self.remaining_ms(now_ms).is_some_and(|left| left < 1.0);
                if deadline_bound {
                    let err = self.deadline_error("waiting for a reply");
                    return Next::Done(Err(err));
                }
                Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no complete reply from TTPay within timeoutMs ({} ms)",
                        self.policy.timeout_ms
                    ),
                )
            }
            Interrupted::Aborted => Error::new(
                ErrorKind::Aborted,
                "the caller's signal aborted the request",
            ),
            Interrupted::TooLarge => Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "TTPay's reply is larger than maxResponseBytes ({} bytes)",
                    config.max_response_bytes
                ),
            ),
        };
        self.decide(now_ms, jitter, Err(err), None)
    }

    fn judge(
        &self,
        config: &ClientConfig,
        now_ms: f64,
        r: &Reply<'_>,
        seen: &mut SeenNonces,
    ) -> Result<Success, Error> {
        let parsed = wire::parse(r.body);
        let (text, value): (Option<&str>, Option<&Value>) = match &parsed {
            Ok((text, value)) => (Some(*text), Some(value)),
            Err(_) => (std::str::from_utf8(r.body).ok(), None),
        };
        let expected = Expected {
            transaction_id: Some(&self.transaction_id),
            // An attempt never signed (only a test does that) is taken as sent when its reply
            // came: the latest it could have been.
            sent_ms: Some(self.sent_ms.get().unwrap_or(now_ms)),
            clock: seen.clock(),
        };
        let verified = verify::check(
            config.verify,
            &config.secret,
            &r.signature,
            r.status,
            text.unwrap_or(""),
            value,
            expected,
            now_ms,
            seen,
        )
        .map_err(|mut e| {
            e.http_status = Some(r.status);
            e
        })?;
        let mut success = reply::classify_parsed(r.status, parsed.map(|(_, v)| v))?;
        success.verified = verified;
        Ok(success)
    }

    fn decide(
        &mut self,
        now_ms: f64,
        jitter: f64,
        outcome: Result<Success, Error>,
        retry_after: Option<f64>,
    ) -> Next {
        let mut err = match outcome {
            Ok(mut success) => {
                success.attempts = self.attempts;
                return Next::Done(Ok(success));
            }
            Err(err) => err,
        };
        err.attempts = self.attempts;
        if self.attempts > self.policy.max_retries || !retry::should_retry(&err, self.retried_104) {
            return Next::Done(Err(err));
        }
        let delay_ms = retry::delay_ms(self.attempts, jitter, retry_after);
        if self
            .remaining_ms(now_ms)
            .is_some_and(|left| delay_ms >= left)
        {
            // Waiting would pass the deadline: the last real failure is the honest answer.
            return Next::Done(Err(err));
        }
        if err.code == Some(104) {
            self.retried_104 = true;
        }
        Next::Retry {
            delay_ms,
            error: err,
        }
    }
}
