//! Rate limiting in the shell. Per app_id, one send log and one line of waiting callers, shared by
//! every client in this wasm instance (TTPay counts requests per app_id, whichever client sends
//! them). And the call into a shared limiter (`rateLimiter`: Redis, a Durable Object, the user's
//! own), bounded in time and cut short by the caller's signal, whose answer the core reads.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::js::{method, promise_resolve, to_js};
use super::timers::{deferred, Race, Signal, Stop};
use crate::core::limiter::{Line, Rule, SharedAnswer, Spacing};
use crate::core::Error;

/// How long after a shared limiter failed this process paces by itself (or sends, or fails, as
/// `onRateLimiterError` says) before asking it again: one failure per second, not one per call.
pub const STORE_RETRY_MS: f64 = 1000.0;

#[derive(Default)]
struct App {
    spacing: Spacing,
    line: Line,
    /// Resolves the wait of a ticket that is not first yet.
    wakers: Vec<(u64, Function)>,
}

thread_local! {
    // A few app ids at most: a list is as fast here as a map.
    static APPS: RefCell<Vec<(String, App)>> = const { RefCell::new(Vec::new()) };
}

fn with_app<T>(app_id: &str, f: impl FnOnce(&mut App) -> T) -> T {
    APPS.with(|apps| {
        let mut apps = apps.borrow_mut();
        let at = match apps.iter().position(|(id, _)| id == app_id) {
            Some(at) => at,
            None => {
                apps.push((app_id.to_string(), App::default()));
                apps.len() - 1
            }
        };
        match apps.get_mut(at) {
            Some((_, app)) => f(app),
            None => f(&mut App::default()),
        }
    })
}

/// A caller's place in its app's line, from joining until dropped: dropping it (sent, aborted,
/// out of time, failed) takes it out of the line wherever it stands and lets the next one ask.
pub struct Turn {
    app_id: String,
    ticket: u64,
}

/// Joins the end of `app_id`'s line.
pub fn join(app_id: &str) -> Turn {
    Turn {
        app_id: app_id.to_string(),
        ticket: with_app(app_id, |a| a.line.join()),
    }
}

impl Turn {
    /// `None` when this turn is first in line; otherwise a promise that resolves when it is.
    pub fn until_first(&self) -> Option<Promise> {
        with_app(&self.app_id, |a| {
            if a.line.is_first(self.ticket) {
                return None;
            }
            let (promise, resolve, _) = deferred();
            a.wakers.retain(|(t, _)| *t != self.ticket);
            a.wakers.push((self.ticket, resolve));
            Some(promise)
        })
    }

    /// A send now by the local rule, or the ms until one may be.
    pub fn try_send(&self, rule: Rule, now_ms: f64) -> Result<(), f64> {
        with_app(&self.app_id, |a| a.spacing.try_send(rule, now_ms))
    }

    /// How much later a send now is to count (see `Spacing::hold_ms`).
    pub fn hold_ms(&self, rule: Rule, now_ms: f64) -> f64 {
        with_app(&self.app_id, |a| a.spacing.hold_ms(rule, now_ms))
    }

    /// A send the shared limiter granted (or the policy let go), counted here too.
    pub fn record(&self, now_ms: f64, hold_ms: f64) {
        with_app(&self.app_id, |a| a.spacing.record(now_ms, hold_ms));
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let next = with_app(&self.app_id, |a| {
            a.wakers.retain(|(t, _)| *t != self.ticket);
            let first = a.line.leave(self.ticket)?;
            let at = a.wakers.iter().position(|(t, _)| *t == first)?;
            Some(a.wakers.swap_remove(at).1)
        });
        // Outside the borrow: resolving runs no code now, but stays clear of re-entry anyway.
        if let Some(wake) = next {
            let _ = wake.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Waits until `until` resolves, at most `ms`; why it stopped, if it did.
pub async fn wait(until: Promise, ms: f64, signal: Option<&Signal>) -> Result<(), Stop> {
    let race = Race::new(ms, signal, || {});
    match race.run(until).await {
        Ok(_) => Ok(()),
        Err(_) => Err(race.stopped().unwrap_or(Stop::Aborted)),
    }
}

/// The user's `rateLimiter`: an object with `acquire(key, { intervalMs, signal })`.
pub struct SharedLimiter {
    object: JsValue,
    acquire: Function,
    /// Until when it is not asked, and why: it failed then.
    down_until_ms: Cell<f64>,
    failure: RefCell<String>,
}

/// Why a shared limiter gave no answer.
pub enum SharedFailure {
    /// The caller's signal fired while waiting for it.
    Aborted(JsValue),
    /// It threw, rejected or took too long; the text says which, the value is what it threw.
    Failed(String, Option<JsValue>),
}

/// The second argument of `rateLimiter.acquire(key, options)`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcquireOptions<'a> {
    /// Two sends of the key at least this many ms apart.
    interval_ms: f64,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
    /// Who asks: this instance's id, so that a store can serve the processes asking it in turn.
    asker: &'a str,
    /// A grant is to count this many ms later: the send opens a connection and leaves late.
    hold_ms: f64,
}

thread_local! {
    static ASKER: RefCell<String> = const { RefCell::new(String::new()) };
}

/// This wasm instance's id for a shared store's turns (16 hex digits, random, made on first use):
/// one per instance, as its callers of one app stand in one line whichever client they use.
pub fn asker(random: impl FnOnce() -> Result<[u8; 16], JsValue>) -> Result<String, JsValue> {
    ASKER.with(|id| {
        let mut id = id.borrow_mut();
        if id.is_empty() {
            *id = random()?
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect();
        }
        Ok(id.clone())
    })
}

impl SharedLimiter {
    pub fn from_js(value: &JsValue) -> Result<Option<SharedLimiter>, Error> {
        if value.is_undefined() {
            return Ok(None);
        }
        let refused = |rule: &str| Err(Error::invalid("rateLimiter", rule));
        match method(value, "acquire") {
            Some(acquire) if value.is_object() => Ok(Some(SharedLimiter {
                object: value.clone(),
                acquire,
                down_until_ms: Cell::new(f64::NEG_INFINITY),
                failure: RefCell::new(String::new()),
            })),
            // The earlier contract reserved slots ahead (`take` answered a wait): it no longer
            // fits, and one silently misread would break the limit.
            _ if method(value, "take").is_some() => refused(
                "has take(), the contract of ttpay-wasm 0.1's limiters; it is now acquire(key, { intervalMs, signal }) resolving to 0 (send now) or the ms until asking again (see the README)",
            ),
            _ => refused(
                "must be an object with an acquire(key, { intervalMs, signal }) method",
            ),
        }
    }

    /// Why it failed, when it failed less than [`STORE_RETRY_MS`] ago: it is not asked then.
    pub fn down(&self, now_ms: f64) -> Option<String> {
        (now_ms < self.down_until_ms.get()).then(|| {
            format!(
                "{} (less than {STORE_RETRY_MS} ms ago; not asked again until then)",
                self.failure.borrow()
            )
        })
    }

    pub fn failed(&self, now_ms: f64, why: &str) {
        self.down_until_ms.set(now_ms + STORE_RETRY_MS);
        why.clone_into(&mut self.failure.borrow_mut());
    }

    /// Asks for a send now for `key` on behalf of `asker`, to count `hold_ms` later, within
    /// `timeout_ms`.
    pub async fn acquire(
        &self,
        key: &str,
        asker: &str,
        hold_ms: f64,
        rule: Rule,
        timeout_ms: u32,
        signal: Option<&Signal>,
    ) -> Result<SharedAnswer, SharedFailure> {
        let options = to_js(&AcquireOptions {
            interval_ms: rule.interval_ms,
            signal: signal.map_or(JsValue::UNDEFINED, Signal::js),
            asker,
            hold_ms,
        });
        let failed = |why: &str, e: JsValue| {
            SharedFailure::Failed(format!("{why}{}", describe(&e)), Some(e))
        };
        let pending = self
            .acquire
            .call2(&self.object, &JsValue::from_str(key), &options)
            .and_then(|p| promise_resolve(&p))
            .map_err(|e| failed("threw: ", e))?;
        let race = Race::new(f64::from(timeout_ms), signal, || {});
        match race.run(pending).await {
            Ok(v) => Ok(SharedAnswer::read(v.as_f64(), rule)),
            Err(e) => Err(match race.stopped() {
                Some(Stop::Aborted) => {
                    SharedFailure::Aborted(signal.map_or(JsValue::UNDEFINED, Signal::reason))
                }
                Some(Stop::Timeout) => SharedFailure::Failed(
                    format!("took longer than rateLimiterTimeoutMs ({timeout_ms} ms)"),
                    None,
                ),
                None => failed("rejected: ", e),
            }),
        }
    }
}

/// A thrown value's message, or its text.
fn describe(e: &JsValue) -> String {
    super::js::get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_default()
}
