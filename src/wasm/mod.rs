//! The JavaScript surface: `TTPayClient`, the one-shot `closeOrder`, and the hooks the package's
//! initialiser uses. Every call takes the same path ([`Inner::run`]): the core validates and
//! builds, then a short loop performs the steps the core decides — rate-limit wait, signed
//! attempt, wait and retry — until the core says it is done.

mod attempt;
mod errors;
mod hooks;
mod js_input;
mod limiter;
mod timers;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use crate::core::options::{
    self, RawCallOptions, CALL_OPTIONS, CLIENT_OPTIONS, CLOSE_ORDER_PARAMS, ONE_SHOT_EXTRA,
};
use crate::core::text::cat;
use crate::core::{Call, ClientConfig, Error, ErrorKind, Input, Next, RawClientOptions, Reply};
use errors::{js_error, js_result};
use hooks::{Hooks, ResponseEvent, RetryEvent};
use js_input::{input, keys, raw};

thread_local! {
    // The runtime's Web Crypto object; the Node entry passes `node:crypto`'s webcrypto because
    // Node 18 has no global `crypto`.
    static CRYPTO: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    static RANDOM_POOL: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[wasm_bindgen(js_name = __setCrypto)]
pub fn set_crypto(crypto: JsValue) {
    CRYPTO.with(|c| *c.borrow_mut() = Some(crypto));
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
    get_random_values: Function,
    crypto: JsValue,
}

/// Reads and checks the per-call arguments of either entry point.
fn prepare(
    inner: &Inner,
    transaction_id: &Input,
    mch_id: &Input,
    call_options: &JsValue,
) -> Result<(Call, Option<AbortSignal>), Error> {
    let mut call = Call::close_order(&inner.config, transaction_id, mch_id)?;
    call.policy = RawCallOptions {
        timeout_ms: input(call_options, "timeoutMs"),
        deadline_ms: input(call_options, "deadlineMs"),
        max_retries: input(call_options, "maxRetries"),
    }
    .apply(call.policy)?;
    let signal = signal(&raw(call_options, "signal"))?;
    Ok((call, signal))
}

fn start(prepared: Result<(Rc<Inner>, Call, Option<AbortSignal>), Error>) -> Promise {
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
            let names = keys(&options, "options", false)?;
            options::check_names(&names, CLIENT_OPTIONS)?;
            Inner::new(&options)
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
            options::check_names(&keys(&params, "params", true)?, CLOSE_ORDER_PARAMS)?;
            options::check_names(&keys(&options, "options", true)?, CALL_OPTIONS)?;
            let (call, signal) = prepare(
                &inner,
                &input(&params, "transactionId"),
                &input(&params, "mchId"),
                &options,
            )?;
            Ok((inner, call, signal))
        })())
    }

    /// What `JSON.stringify(client)` shows: identifiers only, never the secret.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> JsValue {
        let c = &self.inner.config;
        let o = js_sys::Object::new();
        let set = |k: &str, v: &str| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
        };
        set("appId", &c.app_id);
        set("mchId", &c.mch_id);
        set("baseUrl", &cat(&[&c.base_url.origin, &c.base_url.prefix]));
        o.into()
    }
}

/// Builds and signs one close-order request as `closeOrder` would, returning its Authorization
/// header. Not part of the public API (no entry re-exports it): `make bench` times signing alone.
#[wasm_bindgen(js_name = __signCloseOrder)]
pub fn sign_close_order(client: &TTPayClient, transaction_id: &str) -> Result<String, JsValue> {
    let inner = &client.inner;
    let call = Call::close_order(
        &inner.config,
        &Input::Str(transaction_id.to_string()),
        &Input::Missing,
    )
    .map_err(|e| js_error(&e, None))?;
    let random = inner.random16()?;
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
        options::check_names(&keys(&options, "options", false)?, &allowed)?;
        let inner = Inner::new(&options)?;
        // One object holds both: its timeoutMs, deadlineMs and maxRetries are already the
        // client's defaults, and its signal is the call's.
        let (call, signal) = prepare(
            &inner,
            &input(&options, "transactionId"),
            &Input::Missing,
            &options,
        )?;
        Ok((Rc::new(inner), call, signal))
    })())
}

fn signal(value: &JsValue) -> Result<Option<AbortSignal>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .clone()
        .dyn_into::<AbortSignal>()
        .map(Some)
        .map_err(|_| Error::invalid("signal", "must be an AbortSignal"))
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
    fn new(options: &JsValue) -> Result<Inner, Error> {
        let raw_options = RawClientOptions {
            app_id: input(options, "appId"),
            app_secret: input(options, "appSecret"),
            mch_id: input(options, "mchId"),
            base_url: input(options, "baseUrl"),
            timeout_ms: input(options, "timeoutMs"),
            user_agent: input(options, "userAgent"),
            timestamp_unit: input(options, "timestampUnit"),
            max_retries: input(options, "maxRetries"),
            deadline_ms: input(options, "deadlineMs"),
            rate_limit_per_second: input(options, "rateLimitPerSecond"),
            verify_responses: input(options, "verifyResponses"),
            max_response_bytes: input(options, "maxResponseBytes"),
        };
        let config = raw_options.validate()?;
        let fetch = match raw(options, "fetch") {
            f if f.is_undefined() => {
                if !Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
                    .is_ok_and(|f| f.is_function())
                {
                    return Err(Error::invalid(
                        "fetch",
                        "this runtime has no global fetch; pass options.fetch",
                    ));
                }
                None
            }
            f => Some(
                f.dyn_into::<Function>()
                    .map_err(|_| Error::invalid("fetch", "must be a function"))?,
            ),
        };
        let hooks = Hooks::from_js(&raw(options, "hooks"))?;
        let crypto = CRYPTO
            .with(|c| c.borrow().clone())
            .or_else(|| Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok())
            .unwrap_or(JsValue::UNDEFINED);
        let get_random_values = Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                Error::invalid("crypto", "this runtime has no crypto.getRandomValues")
            })?;
        Ok(Inner {
            config,
            fetch,
            hooks,
            get_random_values,
            crypto,
        })
    }

    /// 16 bytes from the runtime's CSPRNG, drawn from a pool refilled 1 KiB at a time: one call
    /// into JavaScript per 64 nonces instead of one per request.
    fn random16(&self) -> Result<[u8; 16], JsValue> {
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

    /// The one request pipeline every call goes through.
    async fn run(&self, mut call: Call, signal: Option<AbortSignal>) -> Result<JsValue, JsValue> {
        let config = &self.config;
        let now = js_sys::Date::now;
        loop {
            if let Some(rate) = config.rate_limit_per_second {
                let wait = limiter::take(&config.app_id, rate, now());
                if wait > 0.0 {
                    if let Err(e) = call.check_wait(now(), wait) {
                        limiter::refund(&config.app_id);
                        return Err(js_error(&e, None));
                    }
                    if let Err(reason) = timers::sleep(wait, signal.as_ref()).await {
                        limiter::refund(&config.app_id);
                        return Err(aborted(&call, reason));
                    }
                }
            }
            let timeout = call.begin_attempt(now()).map_err(|e| js_error(&e, None))?;
            let random = self.random16().map_err(|e| {
                js_error(
                    &Error::new(ErrorKind::Network, "crypto.getRandomValues failed"),
                    Some(e),
                )
            })?;
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
                        signature: r.signature.as_ref(),
                        retry_after: r.retry_after.as_deref(),
                    };
                    (
                        call.handle_reply(config, now(), jitter, &reply),
                        None,
                        Some(r.status),
                    )
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
