//! One HTTP attempt through `fetch`, bounded by its timeout and the caller's signal. It makes no
//! decisions: it reports a status, the body bytes (at most `max_bytes`) and the headers the core
//! needs, or why there was no usable reply.
//!
//! The timer and the caller's signal both reject a "stopper" promise that is raced against the
//! fetch and against every read of the body, so a server that stalls after its headers, or an
//! injected fetch that ignores `signal`, still cannot hang the call.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, RequestInit, RequestRedirect, Response};

use super::timers::{deferred, Armed};
use crate::core::verify::ReplySignature;
use crate::core::{Interrupted, Request};

/// What the server sent, owned.
pub struct RawReply {
    pub status: u16,
    pub body: Vec<u8>,
    pub signature: Option<ReplySignature>,
    pub retry_after: Option<String>,
}

pub type Failure = (Interrupted, Option<JsValue>);

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Timeout,
    Aborted,
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sends `req` with `fetch` (the injected one, or the global one looked up now) and reads the reply.
pub async fn send(
    fetch: Option<&Function>,
    req: &Request<'_>,
    timeout_ms: u32,
    max_bytes: u32,
    signal: Option<&AbortSignal>,
) -> Result<RawReply, Failure> {
    if let Some(s) = signal.filter(|s| s.aborted()) {
        return Err((Interrupted::Aborted, Some(s.reason())));
    }
    let network = |e: JsValue| (Interrupted::Network(describe(&e)), Some(e));
    let controller = AbortController::new().map_err(network)?;
    let stopped: Rc<Cell<Option<Stop>>> = Rc::new(Cell::new(None));
    let (stopper, _, reject) = deferred();
    let stop_with = |why: Stop| {
        let (stopped, reject, controller) = (stopped.clone(), reject.clone(), controller.clone());
        move || {
            if stopped.get().is_none() {
                stopped.set(Some(why));
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("ttpay-wasm: stopped"));
                controller.abort();
            }
        }
    };
    let _armed = Armed::new(
        f64::from(timeout_ms),
        stop_with(Stop::Timeout),
        signal,
        stop_with(Stop::Aborted),
    );

    let classify = |e: JsValue| match stopped.get() {
        Some(Stop::Timeout) => (Interrupted::Timeout, None),
        Some(Stop::Aborted) => (Interrupted::Aborted, signal.map(|s| s.reason())),
        None => network(e),
    };
    let race = |p: Promise| JsFuture::from(Promise::race(&Array::of2(&p, &stopper)));

    let init = request_init(req, &controller.signal()).map_err(network)?;
    let pending = call_fetch(fetch, req.url, &init).map_err(network)?;
    let response: Response = race(pending).await.map_err(classify)?.unchecked_into();
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
    let header_get = get(&headers, "get").dyn_into::<Function>().ok();
    let header = |name: &str| -> Option<String> {
        header_get
            .as_ref()?
            .call1(&headers, &JsValue::from_str(name))
            .ok()?
            .as_string()
    };
    let length = header("content-length").and_then(|v| v.trim_ascii().parse::<u64>().ok());
    if length.is_some_and(|n| n > u64::from(max_bytes)) {
        cancel_body(&response);
        return Err((Interrupted::TooLarge, None));
    }
    // A compressed body's Content-Length says nothing of its decoded size: stream it.
    let identity = !header("content-encoding")
        .is_some_and(|e| !e.trim_ascii().eq_ignore_ascii_case("identity"));
    let body = read_body(&response, max_bytes, length.is_some() && identity, &race)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => (Interrupted::TooLarge, None),
            BodyError::Js(e) => classify(e),
        })?;
    let signature = match (
        header("ttpay-timestamp"),
        header("ttpay-nonce"),
        header("ttpay-signature"),
    ) {
        (Some(timestamp), Some(nonce), Some(signature)) => Some(ReplySignature {
            timestamp,
            nonce,
            signature,
        }),
        _ => None,
    };
    Ok(RawReply {
        status: status as u16,
        body,
        signature,
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
    response: &Response,
    max_bytes: u32,
    length_known: bool,
    race: &impl Fn(Promise) -> JsFuture,
) -> Result<Vec<u8>, BodyError> {
    let limit = max_bytes as usize;
    let stream = get(response, "body");
    let streamed = if length_known {
        None
    } else {
        get(&stream, "getReader").dyn_into::<Function>().ok()
    };
    let Some(get_reader) = streamed else {
        // A known length, or no stream (a null body, an injected fetch's own object): one read.
        if stream.is_null() && get(response, "arrayBuffer").is_undefined() {
            return Ok(Vec::new());
        }
        let buffer = response.array_buffer().map_err(BodyError::Js)?;
        let bytes = Uint8Array::new(&race(buffer).await.map_err(BodyError::Js)?);
        if bytes.length() as usize > limit {
            return Err(BodyError::TooLarge);
        }
        return Ok(bytes.to_vec());
    };
    let reader = get_reader.call0(&stream).map_err(BodyError::Js)?;
    let read = get(&reader, "read")
        .dyn_into::<Function>()
        .map_err(BodyError::Js)?;
    let mut out = Vec::new();
    loop {
        let next = read.call0(&reader).map_err(BodyError::Js)?;
        let chunk = race(Promise::resolve(&next)).await.map_err(BodyError::Js)?;
        if get(&chunk, "done").is_truthy() {
            return Ok(out);
        }
        let value: Uint8Array = get(&chunk, "value").dyn_into().map_err(BodyError::Js)?;
        if out.len() + value.length() as usize > limit {
            if let Ok(cancel) = get(&reader, "cancel").dyn_into::<Function>() {
                settle_quietly(cancel.call0(&reader));
            }
            return Err(BodyError::TooLarge);
        }
        let start = out.len();
        out.resize(start + value.length() as usize, 0);
        if let Some(dst) = out.get_mut(start..) {
            value.copy_to(dst);
        }
    }
}

fn cancel_body(response: &Response) {
    let stream = get(response, "body");
    if let Ok(cancel) = get(&stream, "cancel").dyn_into::<Function>() {
        settle_quietly(cancel.call0(&stream));
    }
}

/// Observes a promise we do not wait for, so its rejection is never "unhandled".
fn settle_quietly(result: Result<JsValue, JsValue>) {
    if let Ok(p) = result.and_then(|v| v.dyn_into::<Promise>()) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(p).await;
        });
    }
}

fn request_init(req: &Request<'_>, signal: &AbortSignal) -> Result<RequestInit, JsValue> {
    // A plain object: every fetch takes one, and it costs less than a `Headers` per request.
    let headers = js_sys::Object::new();
    for (name, value) in req.headers() {
        Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        )?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(req.body));
    init.set_signal(Some(signal));
    // A redirect would re-send a signed payment request somewhere else: report it instead.
    init.set_redirect(RequestRedirect::Manual);
    Ok(init)
}

fn call_fetch(fetch: Option<&Function>, url: &str, init: &RequestInit) -> Result<Promise, JsValue> {
    let global = js_sys::global();
    let (f, this) = match fetch {
        Some(f) => (f.clone(), JsValue::UNDEFINED),
        None => (get(&global, "fetch").dyn_into::<Function>()?, global.into()),
    };
    let pending = f.call2(&this, &JsValue::from_str(url), init)?;
    // An injected fetch may return a plain value or a thenable: normalise to a Promise.
    Ok(Promise::resolve(&pending))
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
