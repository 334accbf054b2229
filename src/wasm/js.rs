//! Calls into JavaScript that may throw, each bound with `catch`: an exception that unwinds
//! through a wasm frame skips the frame's epilogue and leaks its shadow-stack space, and after a
//! thousand or two the instance is dead. So nothing the caller or a server controls is touched
//! through a binding that can throw; everything here returns a `Result` or swallows the error.

use std::cell::RefCell;

use js_sys::{ArrayBuffer, Function, Object, Promise, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// How values cross to JavaScript: absent fields as `null`, maps as plain objects.
const SERIALIZER: serde_wasm_bindgen::Serializer = serde_wasm_bindgen::Serializer::new()
    .serialize_missing_as_null(true)
    .serialize_maps_as_objects(true);

/// Name–value pairs, serialised as a plain object (HTTP headers, in the order sent).
pub struct Pairs<'a>(pub &'a [(&'a str, &'a str)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().copied())
    }
}

/// `value` as a JavaScript value, through serde-wasm-bindgen. The package's types hold strings,
/// numbers, booleans and preserved handles, none of which can fail to serialise.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value.serialize(&SERIALIZER).unwrap_or(JsValue::UNDEFINED)
}

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray` throws for a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    pub fn is_array(value: &JsValue) -> Result<bool, JsValue>;
}

/// A promise of our own that settles as `value` does. Not `Promise.resolve(value)`: that hands
/// back a native promise as it is, own `then` and all, and awaiting it would call that `then`
/// inside a wasm frame. `resolve(value)` reads `then` and calls it in a later job, with anything
/// they throw turned into a rejection; the promise awaited has no members of anyone else's.
pub fn promise_resolve(value: &JsValue) -> Result<Promise, JsValue> {
    Ok(Promise::new(&mut |resolve, _| {
        let _ = resolve.call1(&JsValue::UNDEFINED, value);
    }))
}

// The bytes of what a reply handed over, measured by the built-in getters (taken from the
// prototypes once, so no later prototype change or own property reaches them) before anything is
// copied: a plain `new Uint8Array(x)` copies any array-like `{ length: 2 ** 31 }` element by
// element, which blocks the event loop, and the timers that bound the call, for seconds.
struct Measures {
    array_buffer_length: Function,
    view_length: Function,
    view_buffer: Function,
    view_offset: Function,
}

impl Measures {
    fn take() -> Option<Measures> {
        let getter = |proto: &Object, name: &str| -> Option<Function> {
            let d = Reflect::get_own_property_descriptor(proto, &JsValue::from_str(name)).ok()?;
            // The descriptor's own `get`: a polluted Object.prototype.get is never consulted.
            Reflect::get(&d, &JsValue::from_str("get"))
                .ok()?
                .dyn_into()
                .ok()
        };
        let array_buffer = Object::get_prototype_of(&ArrayBuffer::new(0));
        let typed_array =
            Object::get_prototype_of(&Object::get_prototype_of(&Uint8Array::new_with_length(0)));
        Some(Measures {
            array_buffer_length: getter(&array_buffer, "byteLength")?,
            view_length: getter(&typed_array, "byteLength")?,
            view_buffer: getter(&typed_array, "buffer")?,
            view_offset: getter(&typed_array, "byteOffset")?,
        })
    }
}

thread_local! {
    static MEASURES: Option<Measures> = Measures::take();
}

/// `getter` called on `v` as a length or offset; `Err(what)` when `v` is not what it must be.
fn measure(getter: &Function, v: &JsValue, what: &str) -> Result<u32, JsValue> {
    getter
        .call0(v)
        .ok()
        .and_then(|n| n.as_f64())
        .map(|n| n as u32)
        .ok_or_else(|| js_sys::TypeError::new(what).into())
}

fn with_measures<T>(f: impl FnOnce(&Measures) -> Result<T, JsValue>) -> Result<T, JsValue> {
    MEASURES.with(|m| match m {
        Some(m) => f(m),
        None => Err(JsValue::from_str(
            "this runtime's typed arrays have no byteLength getter",
        )),
    })
}

/// An `ArrayBuffer`'s bytes (as a view, not a copy), or `None` past `max`.
pub fn buffer_bytes(v: &JsValue, max: u32) -> Result<Option<Uint8Array>, JsValue> {
    with_measures(|m| {
        let what = "arrayBuffer() resolved to something that is not an ArrayBuffer";
        let n = measure(&m.array_buffer_length, v, what)?;
        view(v, 0, n, max)
    })
}

/// A typed array's bytes (as a view, not a copy), or `None` past `max`.
pub fn chunk_bytes(v: &JsValue, max: u32) -> Result<Option<Uint8Array>, JsValue> {
    with_measures(|m| {
        let what = "a body chunk is not a typed array";
        let n = measure(&m.view_length, v, what)?;
        let buffer = m.view_buffer.call0(v)?;
        let offset = measure(&m.view_offset, v, what)?;
        view(&buffer, offset, n, max)
    })
}

fn view(buffer: &JsValue, offset: u32, n: u32, max: u32) -> Result<Option<Uint8Array>, JsValue> {
    if n > max {
        return Ok(None);
    }
    // A detached buffer measures 0, and a view of it would throw.
    if n == 0 {
        return Ok(Some(Uint8Array::new_with_length(0)));
    }
    Ok(Some(Uint8Array::new_with_byte_offset_and_length(
        buffer, offset, n,
    )))
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
