//! Rate limiting in the shell. The embedded pacer: one per app_id, shared by every client in this
//! wasm instance (TTPay counts requests per app_id, whichever client sends them). And the call into
//! a shared limiter (`rateLimiter`: Redis, a Durable Object, the user's own), bounded in time and
//! cut short by the caller's signal, whose answer the core reads.

use std::cell::RefCell;

use js_sys::Function;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::js::{method, promise_resolve, to_js};
use super::timers::{Race, Signal, Stop};
use crate::core::limiter::{Pacer, SharedAnswer, Slot};
use crate::core::Error;

thread_local! {
    // A few app ids at most: a list is smaller in the wasm than a hash map and as fast here.
    static PACERS: RefCell<Vec<(String, Pacer)>> = const { RefCell::new(Vec::new()) };
}

fn with_pacer<T>(app_id: &str, f: impl FnOnce(&mut Pacer) -> T) -> T {
    PACERS.with(|p| {
        let mut pacers = p.borrow_mut();
        let at = match pacers.iter().position(|(id, _)| id == app_id) {
            Some(at) => at,
            None => {
                pacers.push((app_id.to_string(), Pacer::new()));
                pacers.len() - 1
            }
        };
        match pacers.get_mut(at) {
            Some((_, pacer)) => f(pacer),
            None => f(&mut Pacer::new()),
        }
    })
}

/// Reserves the next embedded slot for `app_id`.
pub fn take_local(app_id: &str, rate: f64, now_ms: f64) -> Slot {
    with_pacer(app_id, |p| p.take(rate, now_ms))
}

/// Gives back an embedded slot whose request will not be sent.
pub fn refund_local(app_id: &str, slot: Slot, rate: f64) {
    with_pacer(app_id, |p| p.refund(slot, rate));
}

/// Tells the embedded pacer of `app_id` about a slot the shared limiter granted at `at_ms`.
pub fn follow_local(app_id: &str, at_ms: f64, rate: f64) {
    with_pacer(app_id, |p| p.follow(at_ms, rate));
}

/// The user's `rateLimiter`: an object with `take(key, { ratePerSecond, maxWaitMs, signal })`.
pub struct SharedLimiter {
    object: JsValue,
    take: Function,
}

/// Why a shared limiter gave no answer.
pub enum SharedFailure {
    /// The caller's signal fired while waiting for it.
    Aborted(JsValue),
    /// It threw, rejected or took too long; the text says which, the value is what it threw.
    Failed(String, Option<JsValue>),
}

impl SharedLimiter {
    pub fn from_js(value: &JsValue) -> Result<Option<SharedLimiter>, Error> {
        if value.is_undefined() {
            return Ok(None);
        }
        match method(value, "take") {
            Some(take) if value.is_object() => Ok(Some(SharedLimiter {
                object: value.clone(),
                take,
            })),
            _ => Err(Error::invalid(
                "rateLimiter",
                "must be an object with a take(key, { ratePerSecond, maxWaitMs, signal }) method",
            )),
        }
    }

    /// Asks for a slot for `key`, within `timeout_ms`.
    pub async fn take(
        &self,
        key: &str,
        rate: f64,
        max_wait_ms: Option<f64>,
        timeout_ms: u32,
        signal: Option<&Signal>,
    ) -> Result<SharedAnswer, SharedFailure> {
        let options = to_js(&TakeOptions {
            rate_per_second: rate,
            max_wait_ms: max_wait_ms.unwrap_or(f64::INFINITY),
            signal: signal.map_or(JsValue::UNDEFINED, Signal::js),
        });
        let failed = |why: &str, e: JsValue| {
            SharedFailure::Failed(format!("{why}{}", describe(&e)), Some(e))
        };
        let pending = self
            .take
            .call2(&self.object, &JsValue::from_str(key), &options)
            .and_then(|p| promise_resolve(&p))
            .map_err(|e| failed("threw: ", e))?;
        let race = Race::new(f64::from(timeout_ms), signal, || {});
        match race.run(pending).await {
            Ok(v) => Ok(SharedAnswer::read(v.as_f64(), v.as_bool() == Some(false))),
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

/// The second argument of `rateLimiter.take(key, options)`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TakeOptions {
    rate_per_second: f64,
    /// `Infinity` when the call has no deadline.
    max_wait_ms: f64,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
}

/// A thrown value's message, or its text.
fn describe(e: &JsValue) -> String {
    super::js::get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_default()
}
