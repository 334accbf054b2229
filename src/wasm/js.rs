//! Calls into JavaScript that may throw, each bound with `catch`: an exception that unwinds
//! through a wasm frame skips the frame's epilogue and leaks its shadow-stack space, and after a
//! thousand or two the instance is dead. So nothing the caller or a server controls is touched
//! through a binding that can throw; everything here returns a `Result` or swallows the error.

use std::cell::RefCell;

use js_sys::{Function, Promise, Reflect};
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
}

// The bytes of what a reply handed over, measured by the built-in getters (taken when this module
// loads, so no later prototype change or own property reaches them) before anything is copied: a
// plain `new Uint8Array(x)` copies any array-like `{ length: 2 ** 31 }` element by element, which
// blocks the event loop, and the timers that bound the call, for seconds. Anything that is not
// what it must be throws a TypeError saying so; `null` means larger than `max`.
#[wasm_bindgen(
    inline_js = "const abLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
const typed = Object.getPrototypeOf(Uint8Array.prototype);
const getter = (name) => Object.getOwnPropertyDescriptor(typed, name).get;
const [taLength, taBuffer, taOffset] = ['byteLength', 'buffer', 'byteOffset'].map(getter);
const measured = (length, what, v) => {
  try {
    return length.call(v);
  } catch {
    throw new TypeError(what);
  }
};
export function buffer_bytes(v, max) {
  const n = measured(abLength, 'arrayBuffer() resolved to something that is not an ArrayBuffer', v);
  return n > max ? null : new Uint8Array(v, 0, n);
}
export function chunk_bytes(v, max) {
  const n = measured(taLength, 'a body chunk is not a typed array', v);
  return n > max ? null : new Uint8Array(taBuffer.call(v), taOffset.call(v), n);
}"
)]
extern "C" {
    /// An `ArrayBuffer`'s bytes (as a view, not a copy), or `null` past `max`.
    #[wasm_bindgen(catch)]
    pub fn buffer_bytes(v: &JsValue, max: u32) -> Result<JsValue, JsValue>;
    /// A typed array's bytes (as a view, not a copy), or `null` past `max`.
    #[wasm_bindgen(catch)]
    pub fn chunk_bytes(v: &JsValue, max: u32) -> Result<JsValue, JsValue>;
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
