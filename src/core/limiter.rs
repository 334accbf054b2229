//! Client-side pacing: TTPay allows 5 requests per second per app_id (and answers 11001 above
//! that), counted across everything the merchant runs. Waiting here is cheaper than a refused
//! request followed by a backoff.
//!
//! The embedded limiter is a pacer (the generic cell rate algorithm with no burst): one send slot
//! every `1000 / rate` ms. A token bucket with a burst of `rate` let 2 × rate requests through in
//! the first second (a full bucket, then its refill), which TTPay counts in one window. The price is
//! latency for a burst: the fifth of five simultaneous calls waits 800 ms instead of none.
//!
//! A shared limiter (Redis, a Durable Object) applies the same rule to every process and isolate;
//! [`SharedAnswer`] reads what it returned and [`FailurePolicy`] says what to do when it fails.

/// One app's pacer: the time of its next free slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacer {
    next_ms: f64,
}

/// A slot taken from a [`Pacer`]: when to send, and what to hand back if it is not used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slot {
    pub wait_ms: f64,
    at_ms: f64,
}

/// The interval between two slots at `rate` per second (a bad rate counts as 1 per second).
pub fn interval_ms(rate: f64) -> f64 {
    if rate.is_finite() && rate > 0.0 {
        1000.0 / rate
    } else {
        1000.0
    }
}

impl Pacer {
    pub const fn new() -> Pacer {
        Pacer { next_ms: 0.0 }
    }

    /// Reserves the next slot at or after `now_ms`; concurrent callers queue in order.
    pub fn take(&mut self, rate: f64, now_ms: f64) -> Slot {
        let at_ms = self.next_ms.max(now_ms);
        self.next_ms = at_ms + interval_ms(rate);
        Slot {
            wait_ms: at_ms - now_ms,
            at_ms,
        }
    }

    /// Gives back a slot that will not be used (its wait was aborted or cut by the deadline), when
    /// nobody has queued behind it; otherwise the gap stays, which errs on the side of TTPay.
    pub fn refund(&mut self, slot: Slot, rate: f64) {
        if self.next_ms == slot.at_ms + interval_ms(rate) {
            self.next_ms = slot.at_ms;
        }
    }
}

impl Pacer {
    /// Records a send slot granted elsewhere (by the shared limiter) at `at_ms`: should that
    /// limiter fail later and this pacer take over, its first slot comes one interval after the
    /// last shared one instead of at once beside it.
    pub fn follow(&mut self, at_ms: f64, rate: f64) {
        self.next_ms = self.next_ms.max(at_ms + interval_ms(rate));
    }
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer::new()
    }
}

/// `onRateLimiterError`: what a call does when the shared limiter throws, rejects, answers
/// something that is not a wait, or takes longer than `rateLimiterTimeoutMs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Pace with the embedded limiter instead (the default): this process keeps to the rate
    /// alone, so TTPay may see up to one rate per process until the store is back.
    Local,
    /// Send at once: availability over the limit (TTPay's 11001 answers are still retried).
    Send,
    /// End the call with a retryable `network` error naming the limiter: nothing was sent.
    Fail,
}

/// What a shared limiter's `take` resolved to.
#[derive(Clone, Debug, PartialEq)]
pub enum SharedAnswer {
    /// A slot is reserved; send after this many ms.
    Wait(f64),
    /// No slot within `maxWaitMs`: nothing reserved.
    TooLate,
    /// Not an answer the contract allows; the text says what came.
    Invalid(&'static str),
}

impl SharedAnswer {
    /// `take` must resolve to a finite number of ms ≥ 0, or `false` (no slot within `maxWaitMs`).
    pub fn read(number: Option<f64>, is_false: bool) -> SharedAnswer {
        match number {
            Some(ms) if ms.is_finite() && ms >= 0.0 => SharedAnswer::Wait(ms),
            Some(_) => SharedAnswer::Invalid("a wait that is not a finite number of ms >= 0"),
            None if is_false => SharedAnswer::TooLate,
            None => SharedAnswer::Invalid("neither a number of ms nor false"),
        }
    }
}
