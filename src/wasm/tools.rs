//! Signing and verification by hand, for the command line (`ttpay-wasm sign | verify`) and for
//! merchants checking their own signing code for other endpoints against the package's: the same
//! core functions every call uses, over values the caller gives.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::errors::js_error;
use super::js::to_js;
use super::js_input::Fields;
use super::Random;
use crate::core::options::{self, header_id, mch_id};
use crate::core::secret::AppSecret;
use crate::core::sign;
use crate::core::verify::{self, Expected, ReplySignature};
use crate::core::{Error, Input};

const SIGN_FIELDS: &[&str] = &[
    "appId",
    "appSecret",
    "mchId",
    "path",
    "body",
    "timestamp",
    "nonce",
];
const VERIFY_FIELDS: &[&str] = &[
    "appSecret",
    "timestamp",
    "nonce",
    "signature",
    "body",
    "nowMs",
];

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SignInput {
    app_id: Input,
    app_secret: Input,
    mch_id: Input,
    path: Input,
    body: Input,
    timestamp: Input,
    nonce: Input,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Signed {
    signing_string: String,
    signature: String,
    authorization: String,
    timestamp: String,
    nonce: String,
}

/// A text field that may be absent (then `None`); present, it must be a non-empty string.
fn optional_text(field: &str, input: &Input) -> Result<Option<String>, Error> {
    match input {
        Input::Missing => Ok(None),
        Input::Str(s) if !s.is_empty() && !s.chars().any(char::is_control) => Ok(Some(s.clone())),
        _ => Err(Error::invalid(
            field,
            "must be a non-empty string without control characters",
        )),
    }
}

/// The AES key of the secret given, whose bytes are then zeroed (as the client's are).
fn secret_of(input: &mut Input) -> Result<AppSecret, Error> {
    let secret = match &*input {
        Input::Str(s) => AppSecret::new(s),
        _ => Err(Error::invalid(
            "appSecret",
            "must be a string of exactly 32 bytes",
        )),
    };
    input.wipe();
    secret
}

/// `signRequest({ appId, appSecret, mchId, path, body, timestamp?, nonce? })`: the signing string,
/// the signature and the `Authorization` header TTPay expects for that request.
#[wasm_bindgen(js_name = signRequest)]
pub fn sign_request(input: JsValue) -> Result<JsValue, JsValue> {
    let build = || -> Result<Signed, Error> {
        let mut raw: SignInput = Fields::read_typed(&input, "input", SIGN_FIELDS)?;
        let secret = secret_of(&mut raw.app_secret);
        let app_id = header_id("appId", &raw.app_id);
        let mch = mch_id(&raw.mch_id);
        let path = match &raw.path {
            Input::Str(p) if p.starts_with('/') && !p.chars().any(char::is_control) => {
                Ok(p.clone())
            }
            _ => Err(Error::invalid(
                "path",
                "must be the path and query, starting with /",
            )),
        };
        let body = match &raw.body {
            Input::Str(b) => Ok(b.clone()),
            _ => Err(Error::invalid(
                "body",
                "must be the request body, as a string",
            )),
        };
        let timestamp = optional_text("timestamp", &raw.timestamp);
        let nonce = optional_text("nonce", &raw.nonce);
        let (secret, (app_id, mch), (path, body)) = options::all_of3(
            secret,
            options::all_of3(app_id, mch, Ok(())).map(|(a, m, ())| (a, m)),
            options::all_of3(path, body, Ok(())).map(|(p, b, ())| (p, b)),
        )?;
        let (timestamp, nonce, ()) = options::all_of3(timestamp, nonce, Ok(()))?;
        let timestamp = timestamp.unwrap_or_else(|| (js_sys::Date::now() as u64).to_string());
        let nonce = match nonce {
            Some(n) => n,
            None => {
                let random = Random::of_runtime()?;
                let bytes = random.bytes16().map_err(|_| super::no_random())?;
                sign::nonce_from_bytes(&bytes)
            }
        };
        let signing_string = sign::signing_string(&path, &timestamp, &nonce, &body);
        let signature = sign::signature(&secret, &signing_string);
        let authorization = sign::authorization(&app_id, &mch, &nonce, &timestamp, &signature);
        Ok(Signed {
            signing_string,
            signature,
            authorization,
            timestamp,
            nonce,
        })
    };
    build().map(|s| to_js(&s)).map_err(|e| js_error(&e, None))
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct VerifyInput {
    app_secret: Input,
    timestamp: Input,
    nonce: Input,
    signature: Input,
    body: Input,
    now_ms: Input,
}

#[derive(Serialize)]
struct Verdict {
    valid: bool,
    /// Why not, when not: wrong secret, a timestamp outside the window, an altered body…
    reason: Option<String>,
}

/// `verifyReply({ appSecret, timestamp, nonce, signature, body, nowMs? })`: whether a reply's
/// TTPay-Signature holds for those headers and that body, and what is wrong when it does not.
#[wasm_bindgen(js_name = verifyReply)]
pub fn verify_reply(input: JsValue) -> Result<JsValue, JsValue> {
    let check = || -> Result<Verdict, Error> {
        let mut raw: VerifyInput = Fields::read_typed(&input, "input", VERIFY_FIELDS)?;
        let secret = secret_of(&mut raw.app_secret);
        let text = |field: &str, input: &Input| match input {
            Input::Str(s) => Ok(s.clone()),
            _ => Err(Error::invalid(field, "must be a string")),
        };
        let secret = secret?;
        let (timestamp, nonce, signature) = options::all_of3(
            text("timestamp", &raw.timestamp),
            text("nonce", &raw.nonce),
            text("signature", &raw.signature),
        )?;
        let body = text("body", &raw.body)?;
        let now_ms = match raw.now_ms {
            Input::Missing => js_sys::Date::now(),
            Input::Num(n) if n.is_finite() => n,
            _ => {
                return Err(Error::invalid(
                    "nowMs",
                    "must be a number of ms since the epoch",
                ))
            }
        };
        let parsed = crate::core::wire::parse(body.as_bytes())
            .ok()
            .map(|(_, v)| v);
        let sig = ReplySignature {
            timestamp: &timestamp,
            nonce: &nonce,
            signature: &signature,
        };
        let outcome = verify::verify(
            &secret,
            &sig,
            &body,
            parsed.as_ref(),
            Expected::default(),
            now_ms,
        );
        Ok(match outcome {
            Ok(_) => Verdict {
                valid: true,
                reason: None,
            },
            Err(e) => Verdict {
                valid: false,
                reason: Some(e.message),
            },
        })
    };
    check().map(|v| to_js(&v)).map_err(|e| js_error(&e, None))
}
