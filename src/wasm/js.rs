//! Calls into JavaScript that may throw, each bound with `catch`: an exception that unwinds
//! through a wasm frame skips the frame's epilogue and leaks its shadow-stack space, and after a
//! thousand or two the instance is dead. So nothing the caller or a server controls is touched
//! through a binding that can throw; everything here returns a `Result` or swallows the error.

use std::cell::RefCell;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray` throws for a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    pub fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    /// `Promise.resolve` reads `then` (and a promise's `constructor`), which may be getters.
    #[wasm_bindgen(catch, js_namespace = Promise, js_name = resolve)]
    pub fn promise_resolve(value: &JsValue) -> Result<Promise, JsValue>;
    /// The global `Uint8Array`, for a constructor call that may throw.
    #[wasm_bindgen(js_name = Uint8Array)]
    type Bytes;
    /// `new Uint8Array(buffer)`: whatever an injected fetch's `arrayBuffer()` resolved to.
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn new(buffer: &JsValue) -> Result<Bytes, JsValue>;
}

/// `new Uint8Array(buffer)`, an error instead of a throw.
pub fn new_bytes(buffer: &JsValue) -> Result<Uint8Array, JsValue> {
    Bytes::new(buffer).map(JsCast::unchecked_into)
}

thread_local! {
    static KEYS: RefCell<Vec<(usize, usize, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// The JavaScript string for a `'static` Rust string, made once per instance: property and header
/// names cross the boundary on every call, and decoding each of them afresh (some thirty per call)
/// showed in the profile. A few dozen names at most, so a list scanned by address.
pub fn key(s: &'static str) -> JsValue {
    let id = (s.as_ptr() as usize, s.len());
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some((_, _, v)) = keys.iter().find(|(p, n, _)| (*p, *n) == id) {
            return v.clone();
        }
        let v = JsValue::from_str(s);
        keys.push((id.0, id.1, v.clone()));
        v
    })
}

/// `obj[key]`, or `undefined` when reading it threw.
pub fn get(obj: &JsValue, name: &'static str) -> JsValue {
    Reflect::get(obj, &key(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` as a function, if it is one.
pub fn method(obj: &JsValue, key: &'static str) -> Option<Function> {
    get(obj, key).dyn_into::<Function>().ok()
}

/// Observes a value we do not wait for, so a rejection of it is never "unhandled": an async hook
/// that rejects, a cancelled body stream. Plain values pass through untouched.
pub fn settle_quietly(result: Result<JsValue, JsValue>) {
    let Ok(value) = result else { return };
    if !value.is_object() && !value.is_function() {
        return;
    }
    if let Ok(p) = promise_resolve(&value) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(p).await;
        });
    }
}
