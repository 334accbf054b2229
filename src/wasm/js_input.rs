//! Reading what JavaScript passed into core [`Input`]s: no decisions here beyond "which type".
//!
//! Only an object's own properties count (a polluted `Object.prototype.baseUrl` must not redirect
//! a signed request), every read that can throw goes through a `catch` binding (a revoked Proxy,
//! a throwing getter or `ownKeys` trap), and a string is measured before it is copied into wasm
//! memory, so a 128 MB `transactionId` costs a length check, not 128 MB of linear memory.

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::js::is_array;
use crate::core::options::MAX_STRING_UNITS;
use crate::core::text::cat;
use crate::core::{Error, Input};

/// Option names longer than this are not copied whole: no option is nearly this long.
const MAX_NAME_UNITS: u32 = 64;

/// An options object as read once: its own string keys, to look fields up in.
pub struct Fields<'a> {
    object: &'a JsValue,
    names: Vec<String>,
}

impl<'a> Fields<'a> {
    /// The own string keys of `value`; `undefined` counts as an empty object when `optional`.
    /// Anything else that is not a plain object is refused, naming `what`.
    pub fn read(value: &'a JsValue, what: &str, optional: bool) -> Result<Fields<'a>, Error> {
        if optional && value.is_undefined() {
            return Ok(Fields {
                object: value,
                names: Vec::new(),
            });
        }
        let unreadable = |_| Error::invalid(what, "could not be read (a Proxy or getter threw)");
        let array = is_array(value).map_err(unreadable)?;
        if !value.is_object() || value.is_function() || array {
            return Err(Error::invalid(
                what,
                cat(&["must be an object (got ", type_name(value), ")"]),
            ));
        }
        let keys = Reflect::own_keys(value.unchecked_ref()).map_err(unreadable)?;
        let names = keys
            .iter()
            .filter_map(|k| k.dyn_into::<JsString>().ok())
            .map(|k| {
                if k.length() > MAX_NAME_UNITS {
                    let head = k.slice(0, MAX_NAME_UNITS).as_string().unwrap_or_default();
                    cat(&[&head, "…"])
                } else {
                    k.as_string().unwrap_or_default()
                }
            })
            .collect();
        Ok(Fields {
            object: value,
            names,
        })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The raw value of the own property `key` (`undefined` when absent); a getter that throws is
    /// an error naming the field.
    pub fn raw(&self, key: &'static str) -> Result<JsValue, Error> {
        if !self.names.iter().any(|n| n == key) {
            return Ok(JsValue::UNDEFINED);
        }
        Reflect::get(self.object, &super::js::key(key))
            .map_err(|_| Error::invalid(key, "could not be read (its getter threw)"))
    }

    /// The own property `key` as an [`Input`]; a getter that throws is [`Input::Unreadable`], so
    /// the field's refusal says so.
    pub fn input(&self, key: &'static str) -> Input {
        match self.raw(key) {
            Ok(v) => to_input(&v),
            Err(_) => Input::Unreadable("could not be read (its getter threw)"),
        }
    }
}

pub fn to_input(v: &JsValue) -> Input {
    if v.is_undefined() {
        Input::Missing
    } else if let Some(js) = v.dyn_ref::<JsString>() {
        let units = js.length() as usize;
        if units > MAX_STRING_UNITS {
            return Input::TooLong(units);
        }
        let s = js.as_string().unwrap_or_default();
        // The copy into wasm replaced each lone surrogate with U+FFFD: a rare character, so the
        // exact check (one call per code unit) runs only when one is there.
        if has_replacement_char(&s) && !js.is_valid_utf16() {
            return Input::Unreadable("must be well-formed Unicode (it has a lone surrogate)");
        }
        Input::Str(s)
    } else if let Some(n) = v.as_f64() {
        Input::Num(n)
    } else {
        Input::Other(type_name(v))
    }
}

/// Whether `s` holds U+FFFD (UTF-8 `EF BF BD`): a byte scan, lighter in the wasm than `contains`.
fn has_replacement_char(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == [0xEF, 0xBF, 0xBD])
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
    } else if is_array(v).unwrap_or(false) {
        "array"
    } else if v.is_bigint() {
        "bigint"
    } else if v.is_symbol() {
        "symbol"
    } else {
        "object"
    }
}
