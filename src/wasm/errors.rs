//! Core errors and results as JavaScript values. The `TTPayError` class itself is JavaScript
//! (pkg/lib/error.js), handed in once by the package's initialiser, so `instanceof` works and
//! its `name` survives minification.

use std::cell::RefCell;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::js::key;
use crate::core::{Error, Success};

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called by the package's initialiser with the `TTPayError` class.
#[wasm_bindgen(js_name = __setErrorClass)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// A plain object with `fields` set in order. Built by hand: serde-wasm-bindgen cost ~2.4 KB gzip
/// for the five small objects the package makes (`None` is `null`, numbers are JS numbers).
pub fn object(fields: &[(&'static str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &key(k), v);
    }
    o.into()
}

/// `value`, or `null`.
pub fn or_null<T>(value: Option<T>, f: impl FnOnce(T) -> JsValue) -> JsValue {
    value.map_or(JsValue::NULL, f)
}

/// A `TTPayError` for `err`, with `cause` set when a JavaScript error caused it.
pub fn js_error(err: &Error, cause: Option<JsValue>) -> JsValue {
    // Codes cross as JavaScript numbers (they were JSON numbers).
    let init = object(&[
        ("kind", err.kind.as_str().into()),
        ("message", err.message.as_str().into()),
        ("code", or_null(err.code, |c| (c as f64).into())),
        ("msg", or_null(err.msg.as_deref(), JsValue::from_str)),
        ("httpStatus", or_null(err.http_status, JsValue::from)),
        (
            "requestId",
            or_null(err.request_id.as_deref(), JsValue::from_str),
        ),
        ("retryable", err.retryable.into()),
        ("attempts", err.attempts.into()),
    ]);
    if let Some(cause) = cause {
        let _ = Reflect::set(&init, &key("cause"), &cause);
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
    object(&[
        ("code", 0.into()),
        ("msg", success.msg.as_str().into()),
        ("requestId", success.request_id.as_str().into()),
        ("httpStatus", success.http_status.into()),
        ("attempts", success.attempts.into()),
        ("verified", success.verified.into()),
    ])
}
