//! Core errors and results as JavaScript values. The `TTPayError` class itself is JavaScript
//! (pkg/lib/error.js), handed in once by the package's initialiser, so `instanceof` works and
//! its `name` survives minification.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::core::{Error, Success};

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called by the package's initialiser with the `TTPayError` class.
#[wasm_bindgen(js_name = __setErrorClass)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorInit<'a> {
    kind: &'static str,
    message: &'a str,
    // Codes cross as JavaScript numbers (they were JSON numbers): serde-wasm-bindgen's i64 path
    // would bring formatting code along for values past 2^53 that cannot occur here.
    code: Option<f64>,
    msg: Option<&'a str>,
    http_status: Option<u16>,
    request_id: Option<&'a str>,
    retryable: bool,
    attempts: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloseOrderResult<'a> {
    code: f64,
    msg: &'a str,
    request_id: &'a str,
    http_status: u16,
    attempts: u32,
    verified: bool,
}

pub fn to_js<T: Serialize>(value: &T) -> JsValue {
    // json_compatible: `None` becomes `null` and maps become plain objects.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// A `TTPayError` for `err`, with `cause` set when a JavaScript error caused it.
pub fn js_error(err: &Error, cause: Option<JsValue>) -> JsValue {
    let init = to_js(&ErrorInit {
        kind: err.kind.as_str(),
        message: &err.message,
        code: err.code.map(|c| c as f64),
        msg: err.msg.as_deref(),
        http_status: err.http_status,
        request_id: err.request_id.as_deref(),
        retryable: err.retryable,
        attempts: err.attempts,
    });
    if let Some(cause) = cause {
        let _ = Reflect::set(&init, &JsValue::from_str("cause"), &cause);
    }
    let class = ERROR_CLASS.with(|c| c.borrow().clone());
    let constructed =
        class.and_then(|class| Reflect::construct(&class, &js_sys::Array::of1(&init)).ok());
    constructed.unwrap_or_else(|| {
        // Only when the glue is used without the package's initialiser: still an Error.
        let e = js_sys::Error::new(&err.message);
        e.set_name("TTPayError");
        let _ = js_sys::Object::assign(&e, init.unchecked_ref());
        e.into()
    })
}

pub fn js_result(success: &Success) -> JsValue {
    to_js(&CloseOrderResult {
        code: 0.0,
        msg: &success.msg,
        request_id: &success.request_id,
        http_status: success.http_status,
        attempts: success.attempts,
        verified: success.verified,
    })
}
