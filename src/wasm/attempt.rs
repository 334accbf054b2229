//! One HTTP attempt through `fetch`, bounded by its timeout and the caller's signal. It makes no
//! decisions: it reports a status, the body bytes (at most `max_bytes`) and the headers the core
//! needs, or why there was no usable reply.
//!
//! The request is a `web_sys::Request` built from a `RequestInit` (method, `Headers`, body, the
//! attempt's signal, `redirect: 'manual'`), handed to the global fetch; an injected `fetch` gets
//! `(url, init)`, the documented signature. The reply is read through `web_sys::Response`,
//! `Headers` and the body's `ReadableStream`.
//!
//! The timer and the caller's signal both reject a "stopper" promise that is raced against the
//! fetch and against every read of the body, so a server that stalls after its headers, or an
//! injected fetch that ignores `signal`, still cannot hang the call.

use js_sys::{ArrayBuffer, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, ReadableStream, ReadableStreamDefaultReader,
    RequestInit, RequestRedirect, Response,
};

use super::js::{buffer_bytes, chunk_bytes, get, promise_resolve, settle_quietly, to_js, Pairs};
use super::timers::{Race, Signal, Stop};
use crate::core::base_url::BaseUrl;
use crate::core::call::CLOSE_ORDER_PATH;
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
    let not_a_response = || {
        network(JsValue::from_str(
            "fetch resolved to something that is not a Response",
        ))
    };
    if !response.is_object() {
        return Err(not_a_response());
    }
    // Not `dyn_into`: an injected fetch may answer with another realm's Response (the undici
    // package's) or a test's own object. Read through the `catch` bindings below.
    let response: Fetched = response.unchecked_into();
    let status = response
        .status()
        .ok()
        .and_then(|s| s.as_f64())
        .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
        .ok_or_else(not_a_response)?;
    // Headers that cannot be read are no reply: read as absent, they would make a signed reply
    // look unsigned.
    let unreadable = |e: JsValue| {
        (
            Interrupted::Network("the reply's headers could not be read".to_string()),
            Some(e),
        )
    };
    let headers = response.headers().map_err(unreadable)?;
    let header = |name: &str| headers.get(name).map_err(unreadable);
    let length = header("content-length")?.and_then(|v| v.trim_ascii().parse::<u64>().ok());
    if length.is_some_and(|n| n > u64::from(max_bytes)) {
        cancel_body(&response);
        return Err((Interrupted::TooLarge, None));
    }
    // A compressed body's Content-Length says nothing of its decoded size: stream it. Without a
    // length it is streamed anyway, and the header is not read.
    let length_known = length.is_some()
        && !header("content-encoding")?
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
            header("ttpay-timestamp")?,
            header("ttpay-nonce")?,
            header("ttpay-signature")?,
        ],
        retry_after: header("retry-after")?,
    })
}

// web-sys's own `Response` and stream getters are not `catch`: fine for the runtime's own objects,
// but an injected fetch's reply may be any object, whose getters may throw, and an exception must
// never unwind through a wasm frame. So the reply is read through these views of the same web-sys
// types, each binding `catch`.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = Response)]
    type Fetched;
    #[wasm_bindgen(method, catch, getter, structural)]
    fn status(this: &Fetched) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, getter, structural)]
    fn headers(this: &Fetched) -> Result<Headers, JsValue>;
    #[wasm_bindgen(method, catch, getter, structural)]
    fn body(this: &Fetched) -> Result<Option<ReadableStream>, JsValue>;
    #[wasm_bindgen(method, catch, structural, js_name = arrayBuffer)]
    fn array_buffer(this: &Fetched) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(extends = ReadableStream)]
    type Stream;
    #[wasm_bindgen(method, catch, structural, js_name = getReader)]
    fn get_reader(this: &Stream) -> Result<ReadableStreamDefaultReader, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn cancel(this: &Stream) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(extends = ReadableStreamDefaultReader)]
    type Reader;
    #[wasm_bindgen(method, catch, structural)]
    fn read(this: &Reader) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn cancel(this: &Reader) -> Result<JsValue, JsValue>;

    /// The global fetch, looked up at each call (not through `window`: Node, Deno and Workers
    /// have none). The second argument is an empty init of our own: with none, Node's fetch
    /// defaults it to `{}`, whose members a polluted Object.prototype would supply.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(request: &web_sys::Request, init: &JsValue) -> Result<JsValue, JsValue>;
}

enum BodyError {
    TooLarge,
    Js(JsValue),
}

/// Reads the body. With a Content-Length already checked against `max_bytes`, in one go (the
/// fast path: one promise, no per-chunk copies); otherwise chunk by chunk, stopping (and
/// cancelling the stream) past `max_bytes`, so a hostile 10 MB reply costs at most `max_bytes`.
async fn read_body(
    response: &Fetched,
    max_bytes: u32,
    length_known: bool,
    race: &impl Fn(Promise) -> JsFuture,
) -> Result<Vec<u8>, BodyError> {
    let limit = max_bytes as usize;
    // `body` is read only when it will be streamed: in Deno the getter builds a ReadableStream
    // (~8 µs a call), which `arrayBuffer()` does not need.
    let stream = if length_known {
        None
    } else {
        response.body().map_err(BodyError::Js)?
    };
    let reader = stream
        .as_ref()
        .and_then(|s| s.unchecked_ref::<Stream>().get_reader().ok());
    let Some(reader) = reader else {
        // A known length, or no stream (a null body, an injected fetch's own object): one read.
        if !length_known && stream.is_none() && !has_array_buffer(response) {
            return Ok(Vec::new());
        }
        let buffer = response.array_buffer().map_err(BodyError::Js)?;
        let buffer = promise_resolve(&buffer).map_err(BodyError::Js)?;
        let buffer = race(buffer).await.map_err(BodyError::Js)?;
        return match buffer_bytes(&buffer, max_bytes).map_err(BodyError::Js)? {
            Some(bytes) => Ok(bytes.to_vec()),
            None => Err(BodyError::TooLarge),
        };
    };
    let reader: Reader = reader.unchecked_into();
    let mut out = Vec::new();
    // Empty chunks add nothing to `out`, so they are bounded apart: a stream that yields them
    // forever resolves each read at once and would starve the timers that bound the call.
    let mut empty_chunks = 0u32;
    loop {
        let next = reader.read().map_err(BodyError::Js)?;
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
        let Some(value) = chunk_bytes(&value, left as u32).map_err(BodyError::Js)? else {
            settle_quietly(reader.cancel());
            return Err(BodyError::TooLarge);
        };
        let len = value.length() as usize;
        if len == 0 {
            empty_chunks += 1;
            if empty_chunks > MAX_EMPTY_CHUNKS {
                settle_quietly(reader.cancel());
                return Err(BodyError::Js(JsValue::from_str(
                    "the body stream yields empty chunks without end",
                )));
            }
            continue;
        }
        let start = out.len();
        out.resize(start + len, 0);
        if let Some(dst) = out.get_mut(start..) {
            value.copy_to(dst);
        }
    }
}

/// Whether the reply has an `arrayBuffer` to call (an injected fetch's object may not).
fn has_array_buffer(response: &Fetched) -> bool {
    get(response, "arrayBuffer").is_function()
}

/// More empty chunks than any real stream sends in one reply.
const MAX_EMPTY_CHUNKS: u32 = 1024;

fn cancel_body(response: &Fetched) {
    if let Ok(Some(stream)) = response.body() {
        settle_quietly(stream.unchecked_ref::<Stream>().cancel());
    }
}

/// Starts the request: the global fetch with a `Request`, or the injected one with `(url, init)`.
fn call_fetch(
    fetch: Option<&Function>,
    req: &Request<'_>,
    signal: &AbortSignal,
) -> Result<Promise, JsValue> {
    // A null-prototype init: a member it does not set (`referrer`, `mode`, `dispatcher`…) is not
    // looked up on a polluted Object.prototype.
    let init: RequestInit = bare_object().unchecked_into();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(req.body));
    init.set_signal(Some(signal));
    // A redirect would re-send a signed payment request somewhere else: report it instead.
    init.set_redirect(RequestRedirect::Manual);
    let headers = req.headers();
    let pending = match fetch {
        // The documented `(url, init)`, its headers a plain object (`init.headers['Authorization']`
        // works in a user's wrapper). Not a `Headers`: in Node, the first use of that global loads
        // fetch's internals, which a polluted Object.prototype breaks.
        Some(f) => {
            init.set_headers(&to_js(&Pairs(&headers)));
            f.call2(&JsValue::UNDEFINED, &JsValue::from_str(req.url), &init)?
        }
        None => {
            let sent = Headers::new()?;
            for (name, value) in headers {
                sent.append(name, value)?;
            }
            init.set_headers(&sent);
            let request = web_sys::Request::new_with_str_and_init(req.url, &init)?;
            global_fetch(&request, &bare_object())?
        }
    };
    // An injected fetch may return a plain value or a thenable: normalise to a Promise.
    promise_resolve(&pending)
}

thread_local! {
    static WARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Builds, once per instance, a `Request` like those the global fetch will get, and drops it. The
/// runtime's first one compiles its Request, Headers and body code (70 ms and more in a cold Node
/// process), which would otherwise run between a send's grant and its departure: the first request
/// of a process arrived late and crowded the next one at TTPay. Nothing is sent; a failure (a
/// runtime without `Request`) is ignored, and the send will meet it.
pub fn warm_up(base_url: &BaseUrl) {
    if WARMED.with(|w| w.replace(true)) {
        return;
    }
    let (url, _) = base_url.endpoint(CLOSE_ORDER_PATH);
    let build = || -> Result<web_sys::Request, JsValue> {
        let init: RequestInit = bare_object().unchecked_into();
        init.set_method("POST");
        init.set_body(&JsValue::from_str("{}"));
        init.set_redirect(RequestRedirect::Manual);
        let headers = Headers::new()?;
        headers.append("Content-Type", "application/json")?;
        init.set_headers(&headers);
        web_sys::Request::new_with_str_and_init(&url, &init)
    };
    let _ = build();
}

/// `Object.create(null)`.
fn bare_object() -> JsValue {
    js_sys::Object::create(&JsValue::NULL.unchecked_into::<js_sys::Object>()).into()
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
