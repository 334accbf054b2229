//! One HTTP attempt through `fetch`, bounded by `timeoutMs` and the caller's signal. It makes no
//! decisions: it reports a status and body bytes, or why there was none.
//!
//! The timer and the caller's signal both reject a "stopper" promise that is raced against the
//! fetch and, separately, against the body read, so a server that stalls after its headers, or
//! an injected fetch that ignores `signal`, still cannot hang the call.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, RequestRedirect, Response};

use crate::core::{Interrupted, Request};

#[wasm_bindgen]
extern "C" {
    // Globals in every runtime (Node, Deno, Bun, workerd, browsers): no `window` anywhere.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// What an attempt produced.
pub type Outcome = Result<(u16, Vec<u8>), (Interrupted, Option<JsValue>)>;

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Timeout,
    Aborted,
}

/// Timer, listener and closures of one attempt; dropping it disarms them all, on every path.
struct Guard {
    timer: JsValue,
    on_timeout: Closure<dyn FnMut()>,
    on_abort: Closure<dyn FnMut()>,
    signal: Option<AbortSignal>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some(signal) = &self.signal {
            let _ = signal.remove_event_listener_with_callback(
                "abort",
                self.on_abort.as_ref().unchecked_ref(),
            );
        }
        let _ = &self.on_timeout;
    }
}

/// Sends `req` with `fetch` (the injected one, or the global one looked up now) and reads the body.
pub async fn send(
    fetch: Option<&Function>,
    req: &Request<'_>,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
) -> Outcome {
    if let Some(s) = signal {
        if s.aborted() {
            return Err((Interrupted::Aborted, Some(s.reason())));
        }
    }
    let network = |e: JsValue| (Interrupted::Network(describe(&e)), Some(e));
    let controller = AbortController::new().map_err(network)?;
    let stopped: Rc<Cell<Option<Stop>>> = Rc::new(Cell::new(None));
    let mut reject_slot: Option<Function> = None;
    let stopper = Promise::new(&mut |_, reject| reject_slot = Some(reject));
    let reject = reject_slot.unwrap_or_else(|| Function::new_no_args(""));

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
    let on_timeout = Closure::<dyn FnMut()>::new(stop_with(Stop::Timeout));
    let on_abort = Closure::<dyn FnMut()>::new(stop_with(Stop::Aborted));
    let timer = set_timeout(
        on_timeout.as_ref().unchecked_ref(),
        timeout_ms.min(i32::MAX as u32) as i32,
    );
    if let Some(s) = signal {
        let _ = s.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
    }
    let _guard = Guard {
        timer,
        on_timeout,
        on_abort,
        signal: signal.cloned(),
    };

    let classify = |e: JsValue| match stopped.get() {
        Some(Stop::Timeout) => (Interrupted::Timeout, None),
        Some(Stop::Aborted) => (Interrupted::Aborted, signal.map(|s| s.reason())),
        None => network(e),
    };
    let race = |p: Promise| JsFuture::from(Promise::race(&Array::of2(&p, &stopper)));

    let init = request_init(req, &controller.signal()).map_err(network)?;
    let pending = call_fetch(fetch, req.url, &init).map_err(network)?;
    let response: Response = race(pending).await.map_err(classify)?.unchecked_into();
    let status = Reflect::get(&response, &JsValue::from_str("status"))
        .ok()
        .and_then(|s| s.as_f64())
        .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
        .ok_or_else(|| {
            network(JsValue::from_str(
                "fetch resolved to something that is not a Response",
            ))
        })?;
    let body = response.array_buffer().map_err(classify)?;
    let bytes = race(body).await.map_err(classify)?;
    Ok((status as u16, Uint8Array::new(&bytes).to_vec()))
}

fn request_init(req: &Request<'_>, signal: &AbortSignal) -> Result<RequestInit, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &req.headers {
        headers.set(name, value)?;
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
        None => {
            let f = Reflect::get(&global, &JsValue::from_str("fetch"))?;
            (f.dyn_into::<Function>()?, global.into())
        }
    };
    let pending = f.call2(&this, &JsValue::from_str(url), init)?;
    // An injected fetch may return a plain value or a thenable: normalise to a Promise.
    Ok(Promise::resolve(&pending))
}

/// A short text for a JavaScript error: its message, and its cause's (Node puts the socket
/// error, such as `ECONNREFUSED`, in `cause`).
fn describe(e: &JsValue) -> String {
    let message = |v: &JsValue| {
        Reflect::get(v, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| v.as_string())
    };
    let mut text = message(e).unwrap_or_else(|| "fetch failed".to_string());
    if let Some(cause) = Reflect::get(e, &JsValue::from_str("cause"))
        .ok()
        .filter(|c| c.is_object())
    {
        if let Some(m) = message(&cause) {
            text.push_str(" (");
            text.push_str(&m);
            text.push(')');
        }
    }
    text
}
