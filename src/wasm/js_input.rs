//! Reading what JavaScript passed into core [`Input`]s: no decisions here beyond "which type".

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::text::cat;
use crate::core::{Error, Input};

/// The own enumerable keys of an options object; `undefined` counts as an empty object when
/// `optional`. Anything else that is not a plain object is refused, naming `what`.
pub fn keys(value: &JsValue, what: &str, optional: bool) -> Result<Vec<String>, Error> {
    if optional && value.is_undefined() {
        return Ok(Vec::new());
    }
    if !value.is_object() || value.is_function() || js_sys::Array::is_array(value) {
        return Err(Error::invalid(
            what,
            cat(&["must be an object (got ", type_name(value), ")"]),
        ));
    }
    let obj: &Object = value.unchecked_ref();
    Ok(Object::keys(obj)
        .iter()
        .filter_map(|k| k.as_string())
        .collect())
}

/// The raw value of `obj[key]`; a getter that throws counts as a value of the wrong type.
pub fn raw(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_undefined() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::NULL)
}

pub fn input(obj: &JsValue, key: &str) -> Input {
    to_input(&raw(obj, key))
}

pub fn to_input(v: &JsValue) -> Input {
    if v.is_undefined() {
        Input::Missing
    } else if let Some(s) = v.as_string() {
        Input::Str(s)
    } else if let Some(n) = v.as_f64() {
        Input::Num(n)
    } else {
        Input::Other(type_name(v))
    }
}

pub fn type_name(v: &JsValue) -> &'static str {
    if v.is_null() {
        "null"
    } else if v.is_undefined() {
        "undefined"
    } else if v.is_function() {
        "function"
    } else if v.is_string() {
        "string"
    } else if v.as_f64().is_some() {
        "number"
    } else if v.as_bool().is_some() {
        "boolean"
    } else if js_sys::Array::is_array(v) {
        "array"
    } else if v.is_bigint() {
        "bigint"
    } else if v.is_symbol() {
        "symbol"
    } else {
        "object"
    }
}
