//! The JavaScript surface: `TTPayClient`, the one-shot `closeOrder`, and the hooks the package's
//! initialiser uses. Every call takes the same path ([`Inner::run`]): the core validates and
//! builds, then a short loop performs the steps the core decides — rate-limit wait, signed
//! attempt, wait and retry — until the core says it is done.

mod attempt;
mod errors;
mod hooks;
mod js;
mod js_input;
mod limiter;
mod timers;
mod tools;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::core::limiter::{self as core_limiter, FailurePolicy, Rule, SharedAnswer};
use crate::core::options::{
    self, CloseOrderParams, RawCallOptions, CALL_OPTIONS, CLIENT_OPTIONS, CLOSE_ORDER_PARAMS,
    ONE_SHOT_EXTRA,
};
use crate::core::replay::SeenNonces;
use crate::core::{Call, ClientConfig, Error, ErrorKind, Input, Next, RawClientOptions, Reply};
use errors::{js_error, js_result};
use hooks::{Hooks, ResponseEvent, RetryEvent};
use js::to_js;
use js_input::Fields;
use limiter::SharedFailure;
use timers::{Signal, Stop};

thread_local! {
    // The runtime's Web Crypto object; the Node entry passes `node:crypto`'s webcrypto because
    // Node 18 has no global `crypto`.
    static CRYPTO: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    // The fetch a client without `options.fetch` calls as `(url, init)`, when the entry sets one:
    // a runtime whose global fetch mishandles a `Request` (Next.js's edge sandbox).
    static DEFAULT_FETCH: RefCell<Option<Function>> = const { RefCell::new(None) };
    static RANDOM_POOL: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    // Reply nonces verified by any client of this instance: a replay to one client is a replay.
    static SEEN_NONCES: RefCell<SeenNonces> = const { RefCell::new(SeenNonces::new()) };
}

#[wasm_bindgen(js_name = __setCrypto)]
pub fn set_crypto(crypto: JsValue) {
    CRYPTO.with(|c| *c.borrow_mut() = Some(crypto));
}

#[wasm_bindgen(js_name = __setDefaultFetch)]
pub fn set_default_fetch(fetch: Function) {
    DEFAULT_FETCH.with(|f| *f.borrow_mut() = Some(fetch));
}

/// A TTPay client for one app. Holds the secret only as an expanded AES key inside wasm memory.
#[wasm_bindgen]
pub struct TTPayClient {
    inner: Rc<Inner>,
}

struct Inner {
    config: ClientConfig,
    fetch: Option<Function>,
    hooks: Hooks,
    shared_limiter: Option<limiter::SharedLimiter>,
    random: Random,
}

/// The runtime's Web Crypto `getRandomValues`.
pub struct Random {
    get_random_values: Function,
    crypto: JsValue,
}

impl Random {
    /// The one the package's initialiser handed in (Node 18 has no global `crypto`), or the global.
    pub fn of_runtime() -> Result<Random, Error> {
        let crypto = CRYPTO
            .with(|c| c.borrow().clone())
            .or_else(|| Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok())
            .unwrap_or(JsValue::UNDEFINED);
        let get_random_values = js::method(&crypto, "getRandomValues").ok_or_else(|| {
            Error::invalid("crypto", "this runtime has no crypto.getRandomValues")
        })?;
        Ok(Random {
            get_random_values,
            crypto,
        })
    }

    /// 16 bytes from the runtime's CSPRNG, drawn from a pool refilled 1 KiB at a time: one call
    /// into JavaScript per 64 nonces instead of one per request.
    pub fn bytes16(&self) -> Result<[u8; 16], JsValue> {
        RANDOM_POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < 16 {
                let buf = Uint8Array::new_with_length(1024);
                self.get_random_values.call1(&self.crypto, &buf)?;
                *pool = buf.to_vec();
            }
            let at = pool.len() - 16;
            let out: [u8; 16] = pool
                .get(at..)
                .and_then(|s| s.try_into().ok())
                .unwrap_or([0; 16]);
            // Bytes handed out are removed, so no nonce ever repeats a pool's bytes.
            pool.truncate(at);
            Ok(out)
        })
    }
}

/// The options whose values are JavaScript objects, handed on as they are (serde preserves them).
const HANDLES: &[&str] = &["fetch", "hooks", "rateLimiter", "signal"];

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Handles {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    fetch: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    hooks: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    rate_limiter: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
}

/// Reads and checks the per-call arguments of either entry point.
fn prepare(
    inner: &Inner,
    transaction_id: &Input,
    mch_id: &Input,
    call_options: &Fields,
) -> Result<(Call, Option<Signal>), Error> {
    let call = Call::close_order(&inner.config, transaction_id, mch_id);
    let policy = call_options
        .typed::<RawCallOptions>()
        .and_then(|raw| raw.apply(inner.config.policy));
    let signal = call_options
        .typed::<Handles>()
        .and_then(|h| signal(&h.signal));
    let (mut call, policy, signal) = options::all_of3(call, policy, signal)?;
    call.policy = policy;
    Ok((call, signal))
}

fn start(prepared: Result<(Rc<Inner>, Call, Option<Signal>), Error>) -> Promise {
    match prepared {
        Ok((inner, call, signal)) => {
            future_to_promise(async move { inner.run(call, signal).await })
        }
        Err(e) => Promise::reject(&js_error(&e, None)),
    }
}

#[wasm_bindgen]
impl TTPayClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TTPayClient, JsValue> {
        let build = || {
            let fields = Fields::read(&options, "options", false, CLIENT_OPTIONS, HANDLES)?;
            let names = options::check_names(fields.names(), CLIENT_OPTIONS);
            options::all_of(names, Inner::new(&fields))
        };
        build()
            .map(|inner| TTPayClient {
                inner: Rc::new(inner),
            })
            .map_err(|e| js_error(&e, None))
    }

    /// Closes an order. Resolves to `{ code: 0, msg, requestId, httpStatus, attempts, verified }`;
    /// rejects with a `TTPayError` (an `api` error for a business `code` other than 0).
    #[wasm_bindgen(js_name = closeOrder)]
    pub fn close_order(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        start((|| {
            let params = Fields::read(&params, "params", true, CLOSE_ORDER_PARAMS, &[])?;
            let call_options = Fields::read(&options, "options", true, CALL_OPTIONS, HANDLES)?;
            options::check_names(params.names(), CLOSE_ORDER_PARAMS)?;
            options::check_names(call_options.names(), CALL_OPTIONS)?;
            let params: CloseOrderParams = params.typed()?;
            let (call, signal) = prepare(
                &inner,
                &params.transaction_id,
                &params.mch_id,
                &call_options,
            )?;
            Ok((inner, call, signal))
        })())
    }

    /// What `JSON.stringify(client)` shows: identifiers only, never the secret.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> JsValue {
        let c = &self.inner.config;
        to_js(&Shown {
            app_id: &c.app_id,
            mch_id: &c.mch_id,
            base_url: &format!("{}{}", c.base_url.origin, c.base_url.prefix),
        })
    }
}

/// What `toJSON` shows of a client.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shown<'a> {
    app_id: &'a str,
    mch_id: &'a str,
    base_url: &'a str,
}

/// Builds and signs one close-order request as `closeOrder` would, returning its Authorization
/// header. Not part of the public API, nor of the shipped .wasm: `make bench` builds it in (the
/// `bench` feature) to time signing alone.
#[cfg(feature = "bench")]
#[wasm_bindgen(js_name = __signCloseOrder)]
pub fn sign_close_order(client: &TTPayClient, transaction_id: &str) -> Result<String, JsValue> {
    let inner = &client.inner;
    let call = Call::close_order(
        &inner.config,
        &Input::Str(transaction_id.to_string()),
        &Input::Missing,
    )
    .map_err(|e| js_error(&e, None))?;
    let random = inner.random.bytes16()?;
    let request = call.sign(&inner.config, js_sys::Date::now(), &random);
    Ok(request.authorization)
}

/// One-shot `closeOrder({ ...clientOptions, transactionId?, signal? })` for scripts.
#[wasm_bindgen(js_name = closeOrder)]
pub fn close_order_once(options: JsValue) -> Promise {
    start((|| {
        let allowed: Vec<&str> = CLIENT_OPTIONS
            .iter()
            .chain(ONE_SHOT_EXTRA)
            .copied()
            .collect();
        let fields = Fields::read(&options, "options", false, &allowed, HANDLES)?;
        let names = options::check_names(fields.names(), &allowed);
        let inner = options::all_of(names, Inner::new(&fields))?;
        // One object holds both: its timeoutMs, deadlineMs and maxRetries are already the
        // client's defaults, and its signal is the call's.
        let params: CloseOrderParams = fields.typed()?;
        let (call, signal) = prepare(&inner, &params.transaction_id, &Input::Missing, &fields)?;
        Ok((Rc::new(inner), call, signal))
    })())
}

fn signal(value: &JsValue) -> Result<Option<Signal>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    Signal::from_js(value)
        .map(Some)
        .ok_or_else(|| Error::invalid("signal", "must be an AbortSignal"))
}

/// The error when the CSPRNG threw: nothing can be signed without its bytes.
fn no_random() -> Error {
    Error::new(ErrorKind::Network, "crypto.getRandomValues failed")
}

/// [`no_random`] for the JavaScript caller, with what the CSPRNG threw as its cause.
fn random_failed(e: JsValue) -> JsValue {
    js_error(&no_random(), Some(e))
}

fn aborted(call: &Call, reason: JsValue) -> JsValue {
    let mut err = Error::new(
        ErrorKind::Aborted,
        "the caller's signal aborted the request",
    );
    err.attempts = call.attempts();
    js_error(&err, Some(reason))
}

impl Inner {
    fn new(options: &Fields) -> Result<Inner, Error> {
        let handles: Handles = options.typed()?;
        let mut raw_options: RawClientOptions = options.typed()?;
        let shared = limiter::SharedLimiter::from_js(&handles.rate_limiter);
        raw_options.shared_limiter = matches!(shared, Ok(Some(_)));
        let config = raw_options.validate();
        // The secret's bytes must not outlive its key expansion in linear memory.
        raw_options.app_secret.wipe();
        let fetch = Self::fetch(&handles.fetch);
        let hooks = Hooks::from_js(&handles.hooks);
        let (config, fetch, hooks) = options::all_of3(config, fetch, hooks)?;
        let shared_limiter = shared?;
        let random = Random::of_runtime()?;
        if fetch.is_none() {
            attempt::warm_up(&config.base_url);
        }
        Ok(Inner {
            config,
            fetch,
            hooks,
            shared_limiter,
            random,
        })
    }

    /// `options.fetch`, or `None` for the global fetch (looked up at each call).
    fn fetch(fetch: &JsValue) -> Result<Option<Function>, Error> {
        match fetch.clone() {
            f if f.is_undefined() => {
                if let Some(fetch) = DEFAULT_FETCH.with(|f| f.borrow().clone()) {
                    return Ok(Some(fetch));
                }
                if !Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
                    .is_ok_and(|f| f.is_function())
                {
                    return Err(Error::invalid(
                        "fetch",
                        "this runtime has no global fetch; pass options.fetch",
                    ));
                }
                Ok(None)
            }
            f => f
                .dyn_into::<Function>()
                .map(Some)
                .map_err(|_| Error::invalid("fetch", "must be a function")),
        }
    }

    /// Waits until this attempt may be sent: in this app's line, then, first in it, asking the
    /// shared limiter (when there is one and it answers) or the local rule until one grants.
    async fn pace(
        &self,
        call: &mut Call,
        rule: Rule,
        signal: Option<&Signal>,
    ) -> Result<(), JsValue> {
        let now = js_sys::Date::now;
        let shared = self.shared_limiter.is_some();
        let turn = limiter::join(&self.config.app_id);
        loop {
            if let Some(first) = turn.until_first() {
                let left = call.max_wait_ms(now()).unwrap_or(f64::INFINITY);
                match limiter::wait(first, left, signal).await {
                    Ok(()) => continue,
                    Err(Stop::Aborted) => {
                        return Err(aborted(
                            call,
                            signal.map_or(JsValue::UNDEFINED, Signal::reason),
                        ))
                    }
                    Err(Stop::Timeout) => {
                        let err = call.check_wait(now(), f64::INFINITY, shared).err();
                        return Err(js_error(
                            &err.unwrap_or_else(|| call.no_slot_in_time()),
                            None,
                        ));
                    }
                }
            }
            let Some(wait_ms) = self.ask(call, rule, signal, &turn).await? else {
                return Ok(());
            };
            call.check_wait(now(), wait_ms, shared)
                .map_err(|e| js_error(&e, None))?;
            timers::sleep(wait_ms, signal)
                .await
                .map_err(|reason| aborted(call, reason))?;
        }
    }

    /// One ask by the first in line: `None` to send now, or the ms until asking again.
    async fn ask(
        &self,
        call: &Call,
        rule: Rule,
        signal: Option<&Signal>,
        turn: &limiter::Turn,
    ) -> Result<Option<f64>, JsValue> {
        let config = &self.config;
        let now = js_sys::Date::now;
        if let Some(shared) = &self.shared_limiter {
            let policy = config.shared_limiter;
            let (why, cause) = if let Some(why) = shared.down(now()) {
                (why, None)
            } else {
                let asker = limiter::asker(|| self.random.bytes16()).map_err(random_failed)?;
                let asked = now();
                let hold = turn.hold_ms(rule, asked);
                let answer = shared
                    .acquire(
                        &config.app_id,
                        &asker,
                        hold,
                        rule,
                        policy.timeout_ms,
                        signal,
                    )
                    .await;
                match answer {
                    Ok(SharedAnswer::Granted) => {
                        turn.record(now(), hold);
                        return Ok(None);
                    }
                    Ok(SharedAnswer::Retry(ms)) => {
                        let jitter = js_sys::Math::random();
                        let again = core_limiter::ask_again_in_ms(ms, asked, now(), rule, jitter);
                        return Ok(Some(again));
                    }
                    Ok(SharedAnswer::Invalid(what)) => {
                        let why = format!("answered {what}");
                        shared.failed(now(), &why);
                        (why, None)
                    }
                    Err(SharedFailure::Aborted(reason)) => return Err(aborted(call, reason)),
                    Err(SharedFailure::Failed(why, cause)) => {
                        shared.failed(now(), &why);
                        (why, cause)
                    }
                }
            };
            match policy.on_error {
                FailurePolicy::Send => {
                    let at = now();
                    turn.record(at, turn.hold_ms(rule, at));
                    return Ok(None);
                }
                FailurePolicy::Fail => {
                    let message = format!("rateLimiter failed, so nothing was sent: {why}");
                    let mut err = Error::new(ErrorKind::Network, message);
                    err.attempts = call.attempts();
                    return Err(js_error(&err, cause));
                }
                FailurePolicy::Local => {}
            }
        }
        Ok(turn.try_send(rule, now()).err())
    }

    /// The one request pipeline every call goes through.
    async fn run(&self, mut call: Call, signal: Option<Signal>) -> Result<JsValue, JsValue> {
        let config = &self.config;
        let now = js_sys::Date::now;
        loop {
            if let Some(rule) = config.rate_limit {
                self.pace(&mut call, rule, signal.as_ref()).await?;
            }
            let timeout = call.begin_attempt(now()).map_err(|e| js_error(&e, None))?;
            let random = self.random.bytes16().map_err(random_failed)?;
            let attempt = call.attempts();
            let started = now();
            let request = call.sign(config, started, &random);
            self.hooks.request(attempt, &request);
            let sent = attempt::send(
                self.fetch.as_ref(),
                &request,
                timeout,
                config.max_response_bytes,
                signal.as_ref(),
            )
            .await;
            let jitter = js_sys::Math::random();
            let (next, cause, status) = match &sent {
                Ok(r) => {
                    let reply = Reply {
                        status: r.status,
                        body: &r.body,
                        signature: r.signature_headers(),
                        retry_after: r.retry_after.as_deref(),
                    };
                    let next = SEEN_NONCES.with(|seen| {
                        call.handle_reply(config, now(), jitter, &reply, &mut seen.borrow_mut())
                    });
                    (next, None, Some(r.status))
                }
                Err((why, cause)) => (
                    call.handle_interrupted(config, now(), jitter, why.clone()),
                    cause.clone(),
                    None,
                ),
            };
            let (error, request_id, verified) = match &next {
                Next::Done(Ok(s)) => (None, Some(s.request_id.as_str()), s.verified),
                Next::Done(Err(e)) | Next::Retry { error: e, .. } => {
                    (Some(e), e.request_id.as_deref(), false)
                }
            };
            self.hooks.response(&ResponseEvent {
                attempt,
                method: "POST",
                url: &call.url,
                status,
                duration_ms: now() - started,
                request_id,
                error_kind: error.map(|e| e.kind.as_str()),
                verified,
            });
            match next {
                Next::Done(Ok(success)) => return Ok(js_result(&success)),
                // `cause` is the runtime's error for a network failure, the signal's reason for
                // an abort, and nothing otherwise.
                Next::Done(Err(err)) => return Err(js_error(&err, cause)),
                Next::Retry { delay_ms, error } => {
                    self.hooks.retry(&RetryEvent {
                        attempt,
                        delay_ms,
                        error_kind: error.kind.as_str(),
                        code: error.code.map(|c| c as f64),
                        status: error.http_status,
                        url: &call.url,
                    });
                    if let Err(reason) = timers::sleep(delay_ms, signal.as_ref()).await {
                        return Err(aborted(&call, reason));
                    }
                }
            }
        }
    }
}
