//! Reading what JavaScript passed into the core's typed option structs, through
//! serde-wasm-bindgen.
//!
//! serde-wasm-bindgen reads a struct's fields as `obj[name]`, which follows the prototype chain
//! and runs getters and Proxy traps unguarded. So an options object is first copied: only its own
//! properties of the names the call accepts, each read through a `catch` binding (a revoked
//! Proxy, a throwing getter or `ownKeys` trap), into a null-prototype object, where anything
//! serde must not walk is replaced by a [`Stand`]. A string is measured before it is copied into
//! wasm memory, so a 128 MB `transactionId` costs a length check, not 128 MB of linear memory.

use js_sys::{JsString, Object, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use super::js::{is_array, key, to_js};
use crate::core::input::{Stand, Unreadable};
use crate::core::options::MAX_STRING_UNITS;
use crate::core::Error;

/// Option names longer than this are not copied whole: no option is nearly this long.
const MAX_NAME_UNITS: u32 = 64;
/// The most own properties an options object may have.
const MAX_NAMES: u32 = 256;

/// An options object as read once: its own string keys, and the safe copy serde reads.
pub struct Fields {
    names: Vec<String>,
    copy: Object,
    what: &'static str,
}

impl Fields {
    /// The own properties of `value` named in `known`. `handles` are the names whose values
    /// are JavaScript objects kept as they are (`fetch`, `signal`, hooks): serde preserves them
    /// without walking them. `undefined` counts as an empty object when `optional`; anything
    /// else that is not a plain object is refused, naming `what`.
    pub fn read(
        value: &JsValue,
        what: &'static str,
        optional: bool,
        known: &[&'static str],
        handles: &[&'static str],
    ) -> Result<Fields, Error> {
        let copy = Object::create(&JsValue::NULL.unchecked_into());
        if optional && value.is_undefined() {
            return Ok(Fields {
                names: Vec::new(),
                copy,
                what,
            });
        }
        let unreadable = |_| Error::invalid(what, "could not be read (a Proxy or getter threw)");
        let array = is_array(value).map_err(unreadable)?;
        if !value.is_object() || value.is_function() || array {
            return Err(Error::invalid(
                what,
                format!("must be an object (got {})", type_name(value)),
            ));
        }
        let keys = Reflect::own_keys(value.unchecked_ref()).map_err(unreadable)?;
        // No options object has more than a few dozen: a huge one is refused before its names
        // are copied into wasm memory.
        if keys.length() > MAX_NAMES {
            return Err(Error::invalid(
                what,
                format!(
                    "must have at most {MAX_NAMES} own properties (got {})",
                    keys.length()
                ),
            ));
        }
        let names: Vec<String> = keys
            .iter()
            .filter_map(|k| k.dyn_into::<JsString>().ok())
            .map(|k| {
                if k.length() > MAX_NAME_UNITS {
                    let head = k.slice(0, MAX_NAME_UNITS).as_string().unwrap_or_default();
                    format!("{head}…")
                } else {
                    k.as_string().unwrap_or_default()
                }
            })
            .collect();
        for &name in known {
            if !names.iter().any(|n| n == name) {
                continue;
            }
            let name_js = key(name);
            let v = match Reflect::get(value, &name_js) {
                // A handle has no typed field to carry the refusal: refused here.
                Err(_) if handles.contains(&name) => {
                    let field = match what {
                        "hooks" => format!("hooks.{name}"),
                        _ => name.to_string(),
                    };
                    return Err(Error::invalid(&field, Unreadable::GetterThrew.rule()));
                }
                Err(_) => stand(Stand::Unreadable(Unreadable::GetterThrew)),
                Ok(v) if v.is_undefined() => continue,
                Ok(v) if handles.contains(&name) => v,
                Ok(v) => safe_value(v),
            };
            // A null-prototype object: setting defines an own property, nothing else runs.
            let _ = Reflect::set(&copy, &name_js, &v);
        }
        Ok(Fields { names, copy, what })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The copy as the typed struct `T` (its fields are [`Input`](crate::core::Input)s or
    /// preserved handles, which accept any value).
    pub fn typed<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_wasm_bindgen::from_value(self.copy.clone().into())
            .map_err(|e| Error::invalid(self.what, format!("could not be read ({e})")))
    }

    /// [`Fields::read`], then every own name checked against `known` (an unknown one refused with
    /// a suggestion), then [`Fields::typed`]: for an input that is one typed struct.
    pub fn read_typed<T: DeserializeOwned>(
        value: &JsValue,
        what: &'static str,
        known: &[&'static str],
    ) -> Result<T, Error> {
        let fields = Fields::read(value, what, false, known, &[])?;
        crate::core::options::check_names(fields.names(), known)?;
        fields.typed()
    }
}

fn stand(s: Stand) -> JsValue {
    to_js(&s)
}

/// A value serde may walk: a checked string, a number, a boolean or `null`; a stand-in otherwise.
fn safe_value(v: JsValue) -> JsValue {
    if let Some(js) = v.dyn_ref::<JsString>() {
        let units = js.length() as usize;
        if units > MAX_STRING_UNITS {
            return stand(Stand::TooLong(units));
        }
        // The copy into wasm would replace each lone surrogate with U+FFFD.
        if !js.is_valid_utf16() {
            return stand(Stand::Unreadable(Unreadable::LoneSurrogate));
        }
        return v;
    }
    if v.is_null() || v.as_f64().is_some() || v.as_bool().is_some() {
        return v;
    }
    stand(Stand::Type(type_name(&v).to_string()))
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
