//! A timer and an abort listener armed together, disarmed on drop on every path, and a sleep
//! built on them that the caller's signal cuts short.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    // Globals in every runtime (Node, Deno, Bun, workerd, browsers): no `window` anywhere.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Runs `on_timeout` after `ms`, and `on_abort` when `signal` fires, until dropped.
pub struct Armed {
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    /// Only when there is a signal to listen to: a closure per attempt is not free.
    listener: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Armed {
    pub fn new(
        ms: f64,
        on_timeout: impl FnMut() + 'static,
        signal: Option<&AbortSignal>,
        on_abort: impl FnMut() + 'static,
    ) -> Armed {
        let on_timeout = Closure::<dyn FnMut()>::new(on_timeout);
        let delay = if ms.is_finite() {
            ms.clamp(0.0, f64::from(i32::MAX)) as i32
        } else {
            i32::MAX
        };
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), delay);
        let listener = signal.map(|s| {
            let on_abort = Closure::<dyn FnMut()>::new(on_abort);
            let _ = s.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
            (s.clone(), on_abort)
        });
        Armed {
            timer,
            _on_timeout: on_timeout,
            listener,
        }
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some((signal, on_abort)) = &self.listener {
            let _ = signal
                .remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
    }
}

/// A promise and its two settling functions.
pub fn deferred() -> (Promise, Function, Function) {
    let mut slots: Option<(Function, Function)> = None;
    let promise = Promise::new(&mut |resolve, reject| slots = Some((resolve, reject)));
    // The executor runs synchronously inside `new Promise`, so the slots are always filled.
    let (resolve, reject) = slots.unwrap_or_else(|| {
        (
            JsValue::UNDEFINED.unchecked_into(),
            JsValue::UNDEFINED.unchecked_into(),
        )
    });
    (promise, resolve, reject)
}

/// Waits `ms`; `Err` with the signal's reason when the caller aborts first.
pub async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> Result<(), JsValue> {
    if let Some(s) = signal.filter(|s| s.aborted()) {
        return Err(s.reason());
    }
    let (promise, resolve, reject) = deferred();
    let _armed = Armed::new(
        ms,
        move || {
            let _ = resolve.call0(&JsValue::NULL);
        },
        signal,
        move || {
            let _ = reject.call0(&JsValue::NULL);
        },
    );
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| signal.map_or(JsValue::UNDEFINED, AbortSignal::reason))
}
