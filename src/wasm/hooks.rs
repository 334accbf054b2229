//! Observability hooks: `onRequest`, `onResponse`, `onRetry`. Payloads carry attempt numbers,
//! method, URL, status, duration, request id and error kind; the Authorization value is redacted
//! and the secret is not reachable from anything here. A hook that throws, or returns a promise
//! that rejects, is ignored: watching a payment must never break it.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::errors::{object, or_null};
use super::js::settle_quietly;
use super::js_input::{type_name, Fields};
use crate::core::text::cat;
use crate::core::{Error, Request};

pub const HOOK_NAMES: &[&str] = &["onRequest", "onResponse", "onRetry"];
pub const REDACTED_AUTHORIZATION: &str = "TTPAY-AES-256-ECB [redacted]";

#[derive(Default)]
pub struct Hooks {
    on_request: Option<Function>,
    on_response: Option<Function>,
    on_retry: Option<Function>,
}

impl Hooks {
    pub fn from_js(value: &JsValue) -> Result<Hooks, Error> {
        let fields = Fields::read(value, "hooks", true)?;
        let prefixed = |mut e: Error| {
            e.message = cat(&["hooks.", &e.message]);
            e
        };
        crate::core::options::check_names(fields.names(), HOOK_NAMES).map_err(prefixed)?;
        let get = |name: &'static str| -> Result<Option<Function>, Error> {
            let f = fields.raw(name).map_err(prefixed)?;
            if f.is_undefined() {
                return Ok(None);
            }
            let shown = type_name(&f);
            f.dyn_into::<Function>().map(Some).map_err(|_| {
                Error::invalid(
                    &cat(&["hooks.", name]),
                    cat(&["must be a function (got ", shown, ")"]),
                )
            })
        };
        Ok(Hooks {
            on_request: get("onRequest")?,
            on_response: get("onResponse")?,
            on_retry: get("onRetry")?,
        })
    }

    fn call(f: &Option<Function>, payload: impl FnOnce() -> JsValue) {
        if let Some(f) = f {
            settle_quietly(f.call1(&JsValue::UNDEFINED, &payload()));
        }
    }

    pub fn request(&self, attempt: u32, req: &Request<'_>) {
        Self::call(&self.on_request, || {
            let headers = Object::new();
            for (name, value) in req.headers() {
                let shown = if name == "Authorization" {
                    REDACTED_AUTHORIZATION
                } else {
                    value
                };
                let _ = js_sys::Reflect::set(
                    &headers,
                    &JsValue::from_str(name),
                    &JsValue::from_str(shown),
                );
            }
            let payload = object(&[
                ("attempt", attempt.into()),
                ("method", "POST".into()),
                ("url", req.url.into()),
            ]);
            let _ = js_sys::Reflect::set(&payload, &JsValue::from_str("headers"), &headers);
            payload
        });
    }

    pub fn response(&self, event: &ResponseEvent<'_>) {
        Self::call(&self.on_response, || {
            object(&[
                ("attempt", event.attempt.into()),
                ("method", event.method.into()),
                ("url", event.url.into()),
                ("status", or_null(event.status, JsValue::from)),
                ("durationMs", event.duration_ms.into()),
                ("requestId", or_null(event.request_id, JsValue::from_str)),
                ("errorKind", or_null(event.error_kind, JsValue::from_str)),
                ("verified", event.verified.into()),
            ])
        });
    }

    pub fn retry(&self, event: &RetryEvent<'_>) {
        Self::call(&self.on_retry, || {
            object(&[
                ("attempt", event.attempt.into()),
                ("delayMs", event.delay_ms.into()),
                ("errorKind", event.error_kind.into()),
                ("code", or_null(event.code, JsValue::from_f64)),
                ("status", or_null(event.status, JsValue::from)),
                ("url", event.url.into()),
            ])
        });
    }
}

/// The `onResponse` payload, its fields in this order and camelCase.
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
pub struct RetryEvent<'a> {
    /// The attempt that failed; the next one is `attempt + 1`.
    pub attempt: u32,
    pub delay_ms: f64,
    pub error_kind: &'static str,
    pub code: Option<f64>,
    pub status: Option<u16>,
    pub url: &'a str,
}
