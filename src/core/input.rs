//! One value a caller passed, as validation sees it, and how it is deserialised.
//!
//! The shell hands serde a copy of the caller's object that holds only what is safe to walk:
//! strings (already measured), numbers, booleans and `null` as they are, and in place of anything
//! else (an object, a string too long to copy, a getter that threw) a [`Stand`] saying what was
//! there. So the typed option structs are plain `#[derive(Deserialize)]`, and every refusal still
//! names the JavaScript type the caller passed.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

/// A value as the caller passed it, reduced to what validation needs to know.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Input {
    #[default]
    Missing,
    Str(String),
    Num(f64),
    /// Anything else, named by its JavaScript type (`"object"`, `"null"`, `"boolean"`, ...).
    Other(&'static str),
    /// A string of this many UTF-16 code units, longer than
    /// [`MAX_STRING_UNITS`](super::options::MAX_STRING_UNITS): refused without being copied.
    TooLong(usize),
    /// A value that could not be read; the text is the rule it broke (a getter that threw, a
    /// string with a lone surrogate).
    Unreadable(&'static str),
}

/// What the shell puts in place of a value serde must not walk (serialised as `{"type":…}`,
/// `{"tooLong":…}` or `{"unreadable":…}`).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stand {
    /// A value of this JavaScript type (`object`, `array`, `function`, `bigint`, `symbol`).
    Type(String),
    /// A string of this many UTF-16 code units.
    TooLong(usize),
    Unreadable(Unreadable),
}

/// Why a value could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Unreadable {
    GetterThrew,
    LoneSurrogate,
}

impl Unreadable {
    pub fn rule(self) -> &'static str {
        match self {
            Unreadable::GetterThrew => "could not be read (its getter threw)",
            Unreadable::LoneSurrogate => "must be well-formed Unicode (it has a lone surrogate)",
        }
    }
}

/// The JavaScript type names a refusal may show.
const TYPE_NAMES: &[&str] = &["object", "array", "function", "bigint", "symbol"];

impl From<Stand> for Input {
    fn from(stand: Stand) -> Input {
        match stand {
            Stand::Type(t) => Input::Other(
                TYPE_NAMES
                    .iter()
                    .find(|&&n| n == t)
                    .copied()
                    .unwrap_or("object"),
            ),
            Stand::TooLong(units) => Input::TooLong(units),
            Stand::Unreadable(why) => Input::Unreadable(why.rule()),
        }
    }
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Input, D::Error> {
        d.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or a stand-in for another value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Input, E> {
        Ok(Input::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Input, E> {
        Ok(Input::Str(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Input, E> {
        Ok(Input::Num(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Input, E> {
        Ok(Input::Num(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Input, E> {
        Ok(Input::Num(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Input, E> {
        Ok(Input::Other("boolean"))
    }

    // `undefined` never gets here (the shell leaves it out, and a missing field is `Missing`).
    fn visit_unit<E: de::Error>(self) -> Result<Input, E> {
        Ok(Input::Other("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<Input, E> {
        Ok(Input::Other("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Input, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Input::Other("array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Input, A::Error> {
        Stand::deserialize(MapAccessDeserializer::new(map)).map(Input::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Input {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn values_and_stand_ins_read_as_inputs() {
        assert_eq!(read(r#""abc""#), Input::Str("abc".into()));
        assert_eq!(read("12"), Input::Num(12.0));
        assert_eq!(read("1.5"), Input::Num(1.5));
        assert_eq!(read("true"), Input::Other("boolean"));
        assert_eq!(read("null"), Input::Other("null"));
        assert_eq!(read("[1]"), Input::Other("array"));
        assert_eq!(read(r#"{"type":"function"}"#), Input::Other("function"));
        assert_eq!(read(r#"{"type":"anything"}"#), Input::Other("object"));
        assert_eq!(read(r#"{"tooLong":5000}"#), Input::TooLong(5000));
        let stand = serde_json::to_string(&Stand::Unreadable(Unreadable::GetterThrew)).unwrap();
        assert_eq!(
            read(&stand),
            Input::Unreadable(Unreadable::GetterThrew.rule())
        );
    }
}
