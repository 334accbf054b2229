//! Observability hooks: `onRequest`, `onResponse`, `onRetry`. Payloads carry attempt numbers,
//! method, URL, status, duration, request id and error kind; the Authorization value is redacted
//! and the secret is not reachable from anything here. A hook that throws, or returns a promise
//! that rejects, is ignored: watching a payment must never break it.

use js_sys::Function;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::js::{settle_quietly, to_js, Pairs};
use super::js_input::{type_name, Fields};
use crate::core::{Error, Request};

pub const HOOK_NAMES: &[&str] = &["onRequest", "onResponse", "onRetry"];
pub const REDACTED_AUTHORIZATION: &str = "TTPAY-AES-256-ECB [redacted]";

#[derive(Default)]
pub struct Hooks {
    on_request: Option<Function>,
    on_response: Option<Function>,
    on_retry: Option<Function>,
}

/// The `hooks` option as passed: any values, checked to be functions below.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawHooks {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    on_request: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    on_response: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    on_retry: JsValue,
}

impl Hooks {
    pub fn from_js(value: &JsValue) -> Result<Hooks, Error> {
        let fields = Fields::read(value, "hooks", true, HOOK_NAMES, HOOK_NAMES)?;
        crate::core::options::check_names(fields.names(), HOOK_NAMES).map_err(|mut e| {
            e.message = format!("hooks.{}", e.message);
            e
        })?;
        let raw: RawHooks = fields.typed()?;
        let function = |name: &str, f: JsValue| -> Result<Option<Function>, Error> {
            if f.is_undefined() {
                return Ok(None);
            }
            let shown = type_name(&f);
            f.dyn_into::<Function>().map(Some).map_err(|_| {
                Error::invalid(
                    &format!("hooks.{name}"),
                    format!("must be a function (got {shown})"),
                )
            })
        };
        Ok(Hooks {
            on_request: function("onRequest", raw.on_request)?,
            on_response: function("onResponse", raw.on_response)?,
            on_retry: function("onRetry", raw.on_retry)?,
        })
    }

    fn call<T: Serialize>(f: &Option<Function>, payload: impl FnOnce() -> T) {
        if let Some(f) = f {
            settle_quietly(f.call1(&JsValue::UNDEFINED, &to_js(&payload())));
        }
    }

    pub fn request(&self, attempt: u32, req: &Request<'_>) {
        let Some(f) = &self.on_request else { return };
        let headers = req.headers().map(|(name, value)| match name {
            "Authorization" => (name, REDACTED_AUTHORIZATION),
            _ => (name, value),
        });
        let event = RequestEvent {
            attempt,
            method: "POST",
            url: req.url,
            headers: Pairs(&headers),
        };
        settle_quietly(f.call1(&JsValue::UNDEFINED, &to_js(&event)));
    }

    pub fn response(&self, event: &ResponseEvent<'_>) {
        Self::call(&self.on_response, || event);
    }

    pub fn retry(&self, event: &RetryEvent<'_>) {
        Self::call(&self.on_retry, || event);
    }
}

/// The `onRequest` payload.
#[derive(Serialize)]
struct RequestEvent<'a> {
    attempt: u32,
    method: &'static str,
    url: &'a str,
    /// The headers sent, Authorization redacted.
    headers: Pairs<'a>,
}

/// The `onResponse` payload, its fields in this order and camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEvent<'a> {
    pub attempt: u32,
    pub method: &'static str,
    pub url: &'a str,
    pub status: Option<u16>,
    pub duration_ms: f64,
    pub request_id: Option<&'a str>,
    pub error_kind: Option<&'static str>,
    pub verified: bool,
}

/// The `onRetry` payload, its fields in this order and camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryEvent<'a> {
    /// The attempt that failed; the next one is `attempt + 1`.
    pub attempt: u32,
    pub delay_ms: f64,
    pub error_kind: &'static str,
    pub code: Option<f64>,
    pub status: Option<u16>,
    pub url: &'a str,
}
