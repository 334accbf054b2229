//! Core errors and results as JavaScript values. The `TTPayError` class itself is JavaScript
//! (pkg/src/error.js), handed in once by the package's initialiser, so `instanceof` works and
//! its `name` survives minification.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

use super::js::{key, to_js};
use crate::core::{Error, Success};

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called by the package's initialiser with the `TTPayError` class.
#[wasm_bindgen(js_name = __setErrorClass)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// A `TTPayError` for `err`, with `cause` set when a JavaScript error caused it.
pub fn js_error(err: &Error, cause: Option<JsValue>) -> JsValue {
    let init = to_js(err);
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
    to_js(success)
}
