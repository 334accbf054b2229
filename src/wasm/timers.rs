//! A timer and an abort subscription armed together, disarmed on drop on every path, and a sleep
//! built on them that the caller's signal cuts short.
//!
//! The caller's signal gets one `abort` listener however many calls share it: Node warns
//! (`MaxListenersExceededWarning`) past ten listeners on one signal, and a service that passes
//! one shutdown signal to every call has far more in flight. Calls subscribe to that listener.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Promise, WeakMap};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js::{get, key, method};

#[wasm_bindgen]
extern "C" {
    // Globals in every runtime (Node, Deno, Bun, workerd, browsers): no `window` anywhere.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// The caller's `AbortSignal`, checked once: its `aborted` reads as a boolean (the getter throws
/// for anything that is not a real signal, `Object.create(AbortSignal.prototype)` included) and
/// it has `addEventListener`. Read only through `catch` bindings, so a polyfill works too.
#[derive(Clone)]
pub struct Signal(JsValue);

impl Signal {
    pub fn from_js(value: &JsValue) -> Option<Signal> {
        let real = value.is_object()
            && get(value, "aborted").as_bool().is_some()
            && method(value, "addEventListener").is_some()
            && method(value, "removeEventListener").is_some();
        real.then(|| Signal(value.clone()))
    }

    pub fn aborted(&self) -> bool {
        get(&self.0, "aborted").is_truthy()
    }

    pub fn reason(&self) -> JsValue {
        get(&self.0, "reason")
    }

    /// The signal itself, to hand on.
    pub fn js(&self) -> JsValue {
        self.0.clone()
    }
}

type Subscriber = Rc<dyn Fn()>;

/// One signal being listened to, and the calls that wait on it.
struct Watched {
    signal: JsValue,
    /// Which watch this is: a slot is reused, and a listener of an earlier watch (left on a signal
    /// whose `removeEventListener` did nothing) must not fire the new one's subscribers.
    id: u32,
    /// `ON_ABORT` bound to this slot and id: a plain JavaScript function that stays callable
    /// after the watch ends, so a signal that kept it calls a no-op rather than a dropped
    /// closure (which throws inside the signal's dispatch: an uncaught exception in Node).
    listener: Function,
    subscribers: Vec<(u32, Subscriber)>,
}

#[derive(Default)]
struct Registry {
    /// signal → its slot number here; weak, so a forgotten signal is collected.
    slots_by_signal: Option<WeakMap>,
    slots: Vec<Option<Watched>>,
    next_token: u32,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
    /// The one abort listener, `(slot, id) => fire(slot, id)`, created once per instance and
    /// never dropped; each signal gets it bound to its slot.
    static ON_ABORT: Function = Closure::<dyn Fn(f64, f64)>::new(|slot: f64, id: f64| {
        fire(slot as usize, id as u32)
    })
    .into_js_value()
    .unchecked_into();
}

/// A call's subscription to a signal's abort; unsubscribes on drop.
struct Subscription {
    slot: usize,
    token: u32,
}

fn fire(slot: usize, id: u32) {
    // Copied out first: a subscriber may unsubscribe (or subscribe) while it runs.
    let subscribers: Vec<Subscriber> = REGISTRY.with(|r| {
        r.borrow()
            .slots
            .get(slot)
            .and_then(Option::as_ref)
            .filter(|w| w.id == id)
            .map(|w| w.subscribers.iter().map(|(_, f)| f.clone()).collect())
            .unwrap_or_default()
    });
    for f in subscribers {
        f();
    }
}

/// Subscribes `on_abort` to `signal`'s one listener, adding it on first use. No borrow of the
/// registry is held while the signal's own code runs (`addEventListener` may be a polyfill's).
fn subscribe(signal: &Signal, on_abort: Subscriber) -> Option<Subscription> {
    let key: &js_sys::Object = signal.0.unchecked_ref();
    let (map, token, known) = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let map = r.slots_by_signal.get_or_insert_with(WeakMap::new).clone();
        let token = r.next_token;
        r.next_token = r.next_token.wrapping_add(1);
        let slot = map.get(key).as_f64().map(|n| n as usize);
        let watched = slot.and_then(|slot| r.slots.get_mut(slot)?.as_mut());
        match watched {
            Some(w) => {
                w.subscribers.push((token, on_abort.clone()));
                (map, token, slot)
            }
            None => (map, token, None),
        }
    });
    if let Some(slot) = known {
        return Some(Subscription { slot, token });
    }
    // The slot is taken before the signal's code runs, so the listener knows where it points.
    let slot = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        match r.slots.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                r.slots.push(None);
                r.slots.len() - 1
            }
        }
    });
    let listener: Function = ON_ABORT.with(|f| {
        f.bind2(
            &JsValue::NULL,
            &JsValue::from_f64(slot as f64),
            &JsValue::from_f64(f64::from(token)),
        )
        .unchecked_into()
    });
    let add = method(&signal.0, "addEventListener")?;
    add.call2(&signal.0, &super::js::key("abort"), &listener)
        .ok()?;
    REGISTRY.with(|r| {
        if let Some(s) = r.borrow_mut().slots.get_mut(slot) {
            *s = Some(Watched {
                signal: signal.0.clone(),
                id: token,
                listener,
                subscribers: vec![(token, on_abort)],
            });
        }
    });
    map.set(key, &JsValue::from_f64(slot as f64));
    Some(Subscription { slot, token })
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let done = REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            let w = r.slots.get_mut(self.slot)?.as_mut()?;
            w.subscribers.retain(|(t, _)| *t != self.token);
            if !w.subscribers.is_empty() {
                return None;
            }
            let w = r.slots.get_mut(self.slot)?.take()?;
            if let Some(map) = &r.slots_by_signal {
                map.delete(w.signal.unchecked_ref());
            }
            Some(w)
        });
        // Outside the borrow: removing the listener runs the signal's own code.
        if let Some(w) = done {
            if let Some(remove) = method(&w.signal, "removeEventListener") {
                let _ = remove.call2(&w.signal, &key("abort"), &w.listener);
            }
        }
    }
}

/// Runs `on_timeout` after `ms`, and `on_abort` when `signal` fires, until dropped.
pub struct Armed {
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    _subscription: Option<Subscription>,
}

impl Armed {
    pub fn new(
        ms: f64,
        on_timeout: impl FnMut() + 'static,
        signal: Option<&Signal>,
        on_abort: impl Fn() + 'static,
    ) -> Armed {
        let on_timeout = Closure::<dyn FnMut()>::new(on_timeout);
        let delay = if ms.is_finite() {
            ms.clamp(0.0, f64::from(i32::MAX)) as i32
        } else {
            i32::MAX
        };
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), delay);
        Armed {
            timer,
            _on_timeout: on_timeout,
            _subscription: signal.and_then(|s| subscribe(s, Rc::new(on_abort))),
        }
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
    }
}

/// What cut a [`Race`] short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Timeout,
    Aborted,
}

/// A time limit and the caller's signal, raced against one promise after another (a fetch, then
/// each read of its body), so a promise that never settles cannot hang the call.
pub struct Race {
    stopper: Promise,
    stopped: Rc<Cell<Option<Stop>>>,
    _armed: Armed,
}

impl Race {
    /// Armed now; `on_stop` runs once, when the time is up or the signal fires.
    pub fn new(ms: f64, signal: Option<&Signal>, on_stop: impl Fn() + 'static) -> Race {
        let stopped: Rc<Cell<Option<Stop>>> = Rc::new(Cell::new(None));
        let (stopper, _, reject) = deferred();
        let on_stop = Rc::new(on_stop);
        let stop_with = |why: Stop| {
            let (stopped, reject, on_stop) = (stopped.clone(), reject.clone(), on_stop.clone());
            move || {
                if stopped.get().is_none() {
                    stopped.set(Some(why));
                    let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("ttpay-wasm: stopped"));
                    on_stop();
                }
            }
        };
        let armed = Armed::new(
            ms,
            stop_with(Stop::Timeout),
            signal,
            stop_with(Stop::Aborted),
        );
        Race {
            stopper,
            stopped,
            _armed: armed,
        }
    }

    /// `p`, unless the time runs out or the signal fires first.
    pub fn run(&self, p: Promise) -> JsFuture {
        JsFuture::from(Promise::race(&Array::of2(&p, &self.stopper)))
    }

    /// Why the race was cut short, if it was.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped.get()
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
pub async fn sleep(ms: f64, signal: Option<&Signal>) -> Result<(), JsValue> {
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
        .map_err(|_| signal.map_or(JsValue::UNDEFINED, Signal::reason))
}
