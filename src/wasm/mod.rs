//! The JavaScript surface: `TTPayClient`, the one-shot `closeOrder`, and the hooks the package's
//! initialiser uses. Every call takes the same path: read inputs → core validates and builds →
//! sign with the JS clock and `crypto.getRandomValues` → [`attempt::send`] → core classifies.

mod attempt;
mod errors;
mod js_input;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use crate::core::options::{
    self, CALL_OPTIONS, CLIENT_OPTIONS, CLOSE_ORDER_PARAMS, ONE_SHOT_EXTRA,
};
use crate::core::{Call, ClientConfig, Error, Input, RawClientOptions};
use errors::{js_error, js_result};
use js_input::{input, keys, raw};

thread_local! {
    // The runtime's Web Crypto object; the Node entry passes `node:crypto`'s webcrypto because
    // Node 18 has no global `crypto`.
    static CRYPTO: RefCell<Option<JsValue>> = const { RefCell::new(None) };
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
    get_random_values: Function,
    crypto: JsValue,
}

#[wasm_bindgen]
impl TTPayClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TTPayClient, JsValue> {
        let names = keys(&options, "options", false).map_err(|e| js_error(&e, None))?;
        options::check_names(&names, CLIENT_OPTIONS).map_err(|e| js_error(&e, None))?;
        let inner = Inner::new(&options).map_err(|e| js_error(&e, None))?;
        Ok(TTPayClient {
            inner: Rc::new(inner),
        })
    }

    /// Closes an order. Resolves to `{ code: 0, msg, requestId, httpStatus }`; rejects with a
    /// `TTPayError` (an `api` error for a business `code` other than 0).
    #[wasm_bindgen(js_name = closeOrder)]
    pub fn close_order(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        let prepared = (|| {
            let names = keys(&params, "params", true)?;
            options::check_names(&names, CLOSE_ORDER_PARAMS)?;
            let call_names = keys(&options, "options", true)?;
            options::check_names(&call_names, CALL_OPTIONS)?;
            let signal = signal(&raw(&options, "signal"))?;
            let call = Call::close_order(
                &inner.config,
                &input(&params, "transactionId"),
                &input(&params, "mchId"),
            )?;
            Ok::<_, Error>((call, signal))
        })();
        match prepared {
            Ok((call, signal)) => future_to_promise(async move { inner.run(call, signal).await }),
            Err(e) => Promise::reject(&js_error(&e, None)),
        }
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
        set(
            "baseUrl",
            &format!("{}{}", c.base_url.origin, c.base_url.prefix),
        );
        o.into()
    }
}

/// One-shot `closeOrder({ ...clientOptions, transactionId?, signal? })` for scripts.
#[wasm_bindgen(js_name = closeOrder)]
pub fn close_order_once(options: JsValue) -> Promise {
    let prepared = (|| {
        let names = keys(&options, "options", false)?;
        let allowed: Vec<&str> = CLIENT_OPTIONS
            .iter()
            .chain(ONE_SHOT_EXTRA)
            .copied()
            .collect();
        options::check_names(&names, &allowed)?;
        let inner = Inner::new(&options)?;
        let signal = signal(&raw(&options, "signal"))?;
        let call = Call::close_order(
            &inner.config,
            &input(&options, "transactionId"),
            &Input::Missing,
        )?;
        Ok::<_, Error>((Rc::new(inner), call, signal))
    })();
    match prepared {
        Ok((inner, call, signal)) => {
            future_to_promise(async move { inner.run(call, signal).await })
        }
        Err(e) => Promise::reject(&js_error(&e, None)),
    }
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
            get_random_values,
            crypto,
        })
    }

    fn random16(&self) -> Result<[u8; 16], JsValue> {
        let buf = Uint8Array::new_with_length(16);
        self.get_random_values.call1(&self.crypto, &buf)?;
        let mut out = [0u8; 16];
        buf.copy_to(&mut out);
        Ok(out)
    }

    async fn run(&self, call: Call, signal: Option<AbortSignal>) -> Result<JsValue, JsValue> {
        let config = &self.config;
        let random = self.random16().map_err(|e| {
            let err = Error::new(
                crate::core::ErrorKind::Network,
                "crypto.getRandomValues failed",
            );
            js_error(&err, Some(e))
        })?;
        let request = call.sign(config, js_sys::Date::now(), &random);
        match attempt::send(
            self.fetch.as_ref(),
            &request,
            config.timeout_ms,
            signal.as_ref(),
        )
        .await
        {
            Ok((status, body)) => call
                .finish(status, &body)
                .map(|s| js_result(&s))
                .map_err(|e| js_error(&e, None)),
            Err((why, cause)) => Err(js_error(&call.interrupted(config, why), cause)),
        }
    }
}
