//! One HTTP attempt through `fetch`, bounded by its timeout and the caller's signal. It makes no
//! decisions: it reports a status, the body bytes (at most `max_bytes`) and the headers the core
//! needs, or why there was no usable reply.
//!
//! The timer and the caller's signal both reject a "stopper" promise that is raced against the
//! fetch and against every read of the body, so a server that stalls after its headers, or an
//! injected fetch that ignores `signal`, still cannot hang the call.

use js_sys::{ArrayBuffer, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::js::{buffer_bytes, chunk_bytes, get, key, method, promise_resolve, settle_quietly};
use super::timers::{Race, Signal, Stop};
use crate::core::verify::SignatureHeaders;
use crate::core::{Interrupted, Request};

/// What the server sent, owned.
pub struct RawReply {
    pub status: u16,
    pub body: Vec<u8>,
    /// `TTPay-Timestamp`, `TTPay-Nonce`, `TTPay-Signature`, each as received.
    pub signature: [Option<String>; 3],
    pub retry_after: Option<String>,
}

impl RawReply {
    pub fn signature_headers(&self) -> SignatureHeaders<'_> {
        let [timestamp, nonce, signature] = &self.signature;
        SignatureHeaders {
            timestamp: timestamp.as_deref(),
            nonce: nonce.as_deref(),
            signature: signature.as_deref(),
        }
    }
}

pub type Failure = (Interrupted, Option<JsValue>);

/// Sends `req` with `fetch` (the injected one, or the global one looked up now) and reads the reply.
pub async fn send(
    fetch: Option<&Function>,
    req: &Request<'_>,
    timeout_ms: u32,
    max_bytes: u32,
    signal: Option<&Signal>,
) -> Result<RawReply, Failure> {
    if let Some(s) = signal.filter(|s| s.aborted()) {
        return Err((Interrupted::Aborted, Some(s.reason())));
    }
    let network = |e: JsValue| (Interrupted::Network(describe(&e)), Some(e));
    let controller = AbortController::new().map_err(network)?;
    let aborter = controller.clone();
    let stopper = Race::new(f64::from(timeout_ms), signal, move || aborter.abort());
    let classify = |e: JsValue| match stopper.stopped() {
        Some(Stop::Timeout) => (Interrupted::Timeout, None),
        Some(Stop::Aborted) => (Interrupted::Aborted, signal.map(|s| s.reason())),
        None => network(e),
    };
    let race = |p: Promise| stopper.run(p);

    let pending = call_fetch(fetch, req, &controller.signal()).map_err(network)?;
    let response = race(pending).await.map_err(classify)?;
    let status = get(&response, "status")
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
        .ok_or_else(|| {
            network(JsValue::from_str(
                "fetch resolved to something that is not a Response",
            ))
        })?;
    // Duck-typed `headers.get`, so an injected fetch's own Response-like object works too.
    let headers = get(&response, "headers");
    let header_get = method(&headers, "get");
    let header = |name: &'static str| -> Option<String> {
        header_get
            .as_ref()?
            .call1(&headers, &key(name))
            .ok()?
            .as_string()
    };
    let length = header("content-length").and_then(|v| v.trim_ascii().parse::<u64>().ok());
    if length.is_some_and(|n| n > u64::from(max_bytes)) {
        cancel_body(&response);
        return Err((Interrupted::TooLarge, None));
    }
    // A compressed body's Content-Length says nothing of its decoded size: stream it. Without a
    // length it is streamed anyway, and the header is not read.
    let length_known = length.is_some()
        && !header("content-encoding")
            .is_some_and(|e| !e.trim_ascii().eq_ignore_ascii_case("identity"));
    let body = read_body(&response, max_bytes, length_known, &race)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => (Interrupted::TooLarge, None),
            BodyError::Js(e) => classify(e),
        })?;
    Ok(RawReply {
        status: status as u16,
        body,
        signature: [
            header("ttpay-timestamp"),
            header("ttpay-nonce"),
            header("ttpay-signature"),
        ],
        retry_after: header("retry-after"),
    })
}

enum BodyError {
    TooLarge,
    Js(JsValue),
}

/// Reads the body. With a Content-Length already checked against `max_bytes`, in one go (the
/// fast path: one promise, no per-chunk copies); otherwise chunk by chunk, stopping (and
/// cancelling the stream) past `max_bytes`, so a hostile 10 MB reply costs at most `max_bytes`.
async fn read_body(
    response: &JsValue,
    max_bytes: u32,
    length_known: bool,
    race: &impl Fn(Promise) -> JsFuture,
) -> Result<Vec<u8>, BodyError> {
    let limit = max_bytes as usize;
    // `body` is read only when it will be streamed: in Deno the getter builds a ReadableStream
    // (~8 µs a call), which `arrayBuffer()` does not need.
    let stream = (!length_known).then(|| get(response, "body"));
    let streamed = stream
        .as_ref()
        .and_then(|s| Some((s, method(s, "getReader")?)));
    let Some((stream, get_reader)) = streamed else {
        // A known length, or no stream (a null body, an injected fetch's own object): one read.
        let array_buffer = get(response, "arrayBuffer");
        if array_buffer.is_undefined() && stream.unwrap_or_else(|| get(response, "body")).is_null()
        {
            return Ok(Vec::new());
        }
        let array_buffer = array_buffer
            .dyn_into::<Function>()
            .map_err(|_| BodyError::Js(JsValue::from_str("the reply has no arrayBuffer()")))?;
        let buffer = array_buffer.call0(response).map_err(BodyError::Js)?;
        let buffer = promise_resolve(&buffer).map_err(BodyError::Js)?;
        let buffer = race(buffer).await.map_err(BodyError::Js)?;
        let bytes = buffer_bytes(&buffer, max_bytes).map_err(BodyError::Js)?;
        if bytes.is_null() {
            return Err(BodyError::TooLarge);
        }
        return Ok(bytes.unchecked_into::<Uint8Array>().to_vec());
    };
    let reader = get_reader.call0(stream).map_err(BodyError::Js)?;
    let read = method(&reader, "read")
        .ok_or_else(|| BodyError::Js(JsValue::from_str("the body reader has no read()")))?;
    let mut out = Vec::new();
    // Empty chunks add nothing to `out`, so they are bounded apart: a stream that yields them
    // forever resolves each read at once and would starve the timers that bound the call.
    let mut empty_chunks = 0u32;
    loop {
        let next = read.call0(&reader).map_err(BodyError::Js)?;
        let next = promise_resolve(&next).map_err(BodyError::Js)?;
        let chunk = race(next).await.map_err(BodyError::Js)?;
        if get(&chunk, "done").is_truthy() {
            return Ok(out);
        }
        // `isView` first: it never runs a Proxy trap. Then the view's bytes, measured by the
        // built-in getter (never a `length` a subclass may have made throw) before any copy, and
        // refused past what is left of `max_bytes`.
        let value = get(&chunk, "value");
        if !ArrayBuffer::is_view(&value) {
            return Err(BodyError::Js(JsValue::from_str(
                "a body chunk is not a Uint8Array",
            )));
        }
        let left = limit.saturating_sub(out.len());
        let value = chunk_bytes(&value, left as u32).map_err(BodyError::Js)?;
        if value.is_null() {
            cancel_reader(&reader);
            return Err(BodyError::TooLarge);
        }
        let value: Uint8Array = value.unchecked_into();
        let len = value.length() as usize;
        if len == 0 {
            empty_chunks += 1;
            if empty_chunks > MAX_EMPTY_CHUNKS {
                cancel_reader(&reader);
                return Err(BodyError::Js(JsValue::from_str(
                    "the body stream yields empty chunks without end",
                )));
            }
            continue;
        }
        if out.len() + len > limit {
            cancel_reader(&reader);
            return Err(BodyError::TooLarge);
        }
        let start = out.len();
        out.resize(start + len, 0);
        if let Some(dst) = out.get_mut(start..) {
            value.copy_to(dst);
        }
    }
}

/// More empty chunks than any real stream sends in one reply.
const MAX_EMPTY_CHUNKS: u32 = 1024;

fn cancel_reader(reader: &JsValue) {
    if let Some(cancel) = method(reader, "cancel") {
        settle_quietly(cancel.call0(reader));
    }
}

fn cancel_body(response: &JsValue) {
    let stream = get(response, "body");
    if let Some(cancel) = method(&stream, "cancel") {
        settle_quietly(cancel.call0(&stream));
    }
}

// The request's init object, built and handed to fetch in one crossing: built from Rust, it took
// a dozen (an object, four headers, five setters, the call). An object literal defines its members,
// so nothing a polluted Object.prototype holds is consulted. The header names are the core's.
#[wasm_bindgen(
    inline_js = "export function post(fetch, self, url, body, signal, n0, v0, n1, v1, n2, v2, n3, v3) {
  const headers = { [n0]: v0, [n1]: v1, [n2]: v2, [n3]: v3 };
  // A redirect would re-send a signed payment request somewhere else: report it instead.
  return fetch.call(self, url, { method: 'POST', headers, body, signal, redirect: 'manual' });
}"
)]
extern "C" {
    #[wasm_bindgen(catch)]
    #[allow(clippy::too_many_arguments)]
    fn post(
        fetch: &Function,
        this: &JsValue,
        url: &str,
        body: &str,
        signal: &AbortSignal,
        n0: &JsValue,
        v0: &str,
        n1: &JsValue,
        v1: &str,
        n2: &JsValue,
        v2: &str,
        n3: &JsValue,
        v3: &str,
    ) -> Result<JsValue, JsValue>;
}

fn call_fetch(
    fetch: Option<&Function>,
    req: &Request<'_>,
    signal: &AbortSignal,
) -> Result<Promise, JsValue> {
    let global = js_sys::global();
    let (f, this) = match fetch {
        Some(f) => (f.clone(), JsValue::UNDEFINED),
        None => (
            method(&global, "fetch").ok_or_else(|| JsValue::from_str("no global fetch"))?,
            global.into(),
        ),
    };
    let [(n0, v0), (n1, v1), (n2, v2), (n3, v3)] = req.headers();
    let pending = post(
        &f,
        &this,
        req.url,
        req.body,
        signal,
        &key(n0),
        v0,
        &key(n1),
        v1,
        &key(n2),
        v2,
        &key(n3),
        v3,
    )?;
    // An injected fetch may return a plain value or a thenable: normalise to a Promise.
    promise_resolve(&pending)
}

/// A short text for a JavaScript error: its message, and its cause's (Node puts the socket
/// error, such as `ECONNREFUSED`, in `cause`).
fn describe(e: &JsValue) -> String {
    let message = |v: &JsValue| get(v, "message").as_string().or_else(|| v.as_string());
    let mut text = message(e).unwrap_or_else(|| "fetch failed".to_string());
    let cause = get(e, "cause");
    if cause.is_object() {
        if let Some(m) = message(&cause) {
            text.push_str(" (");
            text.push_str(&m);
            text.push(')');
        }
    }
    text
}
