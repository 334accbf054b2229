//! Client-side rate limiting: TTPay allows 5 requests per second per app_id (and answers 11001
//! above that), counted across everything the merchant runs, in any second.
//!
//! The rule is a spacing: two sends of one app are at least `interval_ms` apart, where the
//! interval is the rate's (200 ms at 5/s) stretched by a margin for the jitter between a grant
//! here and the arrival at TTPay: 5 sends exactly 200 ms apart are six in some second as soon as
//! one of them arrives late, and 5 sends at once (what a window of 5 per second allows) arrive
//! spread out behind each other. At 210 ms apart, six sends span 1050 ms, so a second holds six
//! only when one arrives more than 50 ms later than the others.
//!
//! Grants are only ever immediate: a caller that may not send now is told how long until it may,
//! and asks again then. Nothing is reserved ahead, so a wait that is aborted, times out or loses
//! its process leaves no debt, and a store that restarts starts from the truth (its last send is
//! in the past anyway). Waiting callers of one app in one process stand in a [`Line`] and only its
//! first asks, so they are served in the order they came, and a shared store sees one asker per
//! process (an id per wasm instance), which the stores this package ships serve in turn.

use std::collections::VecDeque;

/// TTPay's documented limit: 5 requests per second per app_id.
pub const DEFAULT_RATE_PER_SECOND: f64 = 5.0;
/// The default margin, spread over a second's sends: 50 ms covers the jitter between a grant and
/// its arrival on a loaded machine (docs/PERFORMANCE.md) and allows 5 / 1.05 s = 95 % of the rate.
pub const DEFAULT_MARGIN_MS: f64 = 50.0;
/// The rates `rateLimitPerSecond` accepts (a rate outside them is a mistake, not a setting).
pub const MIN_RATE_PER_SECOND: f64 = 0.1;
pub const MAX_RATE_PER_SECOND: f64 = 1000.0;
/// The most `rateLimitMarginMs` accepts.
pub const MAX_MARGIN_MS: f64 = 1000.0;

/// Two sends at least `interval_ms` apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub interval_ms: f64,
}

impl Rule {
    /// `rate` sends per second, with `margin_ms` added to each second: (1000 + margin) / rate.
    pub fn new(rate_per_second: f64, margin_ms: f64) -> Rule {
        let rate = rate_per_second.clamp(MIN_RATE_PER_SECOND, MAX_RATE_PER_SECOND);
        Rule {
            interval_ms: (1000.0 + margin_ms.clamp(0.0, MAX_MARGIN_MS)) / rate,
        }
    }
}

/// How long without a send before this instance's next one likely opens a new connection (Node's
/// fetch keeps an idle one 4 s). Such a send leaves late — a TCP (and TLS) handshake, code not run
/// for a while: 100 ms and more on a busy machine — and arrives close to the send after it, so the
/// limiter counts it as made half an interval later ([`Spacing::hold_ms`]): the send after it waits
/// 1.5 intervals, so six arrivals still span 1000 ms when that request is up to 155 ms late (at
/// 5/s). Half, not a whole one: eight processes starting at once lose 0.8 s of sends, not 1.7.
pub const IDLE_MS: f64 = 4000.0;

/// One app's sends from this instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Spacing {
    /// What the next send's interval counts from: the last send, or half an interval after it
    /// when that one was cold.
    last_ms: f64,
    /// When this instance last sent (its own or a shared limiter's grant).
    sent_ms: f64,
}

impl Default for Spacing {
    fn default() -> Spacing {
        Spacing::new()
    }
}

impl Spacing {
    pub const fn new() -> Spacing {
        Spacing {
            last_ms: f64::NEG_INFINITY,
            sent_ms: f64::NEG_INFINITY,
        }
    }

    /// How much later than `now_ms` a send now is to count: half an interval when it is this
    /// instance's first in [`IDLE_MS`] (also when the clock went back), else 0.
    pub fn hold_ms(&self, rule: Rule, now_ms: f64) -> f64 {
        let idle = now_ms - self.sent_ms;
        if (0.0..IDLE_MS).contains(&idle) {
            0.0
        } else {
            rule.interval_ms / 2.0
        }
    }

    /// Records a send at `now_ms` if the rule allows one; otherwise the ms until it may (at most
    /// the interval, also when the clock went back).
    pub fn try_send(&mut self, rule: Rule, now_ms: f64) -> Result<(), f64> {
        let next = self.last_ms + rule.interval_ms;
        if now_ms >= next || self.last_ms > now_ms + 2.0 * rule.interval_ms {
            let hold = self.hold_ms(rule, now_ms);
            self.last_ms = now_ms + hold;
            self.sent_ms = now_ms;
            return Ok(());
        }
        Err((next - now_ms).clamp(1.0, rule.interval_ms))
    }

    /// Records a send another limiter (the shared one) granted at `now_ms`, counted `hold_ms`
    /// later, so that pacing here, should that limiter fail, counts it.
    pub fn record(&mut self, now_ms: f64, hold_ms: f64) {
        self.last_ms = self.last_ms.max(now_ms + hold_ms);
        self.sent_ms = now_ms;
    }
}

/// The callers waiting to send for one app, first come first served. Each holds a ticket; only
/// the first asks for a send, and a caller that leaves (granted, aborted, out of time) takes its
/// ticket out wherever it stands, so nothing is left behind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    tickets: VecDeque<u64>,
    next: u64,
}

impl Line {
    pub const fn new() -> Line {
        Line {
            tickets: VecDeque::new(),
            next: 0,
        }
    }

    /// A new ticket at the end of the line.
    pub fn join(&mut self) -> u64 {
        let ticket = self.next;
        self.next += 1;
        self.tickets.push_back(ticket);
        ticket
    }

    pub fn is_first(&self, ticket: u64) -> bool {
        self.tickets.front() == Some(&ticket)
    }

    /// Takes `ticket` out; the ticket that is first now, when that changed.
    #[must_use]
    pub fn leave(&mut self, ticket: u64) -> Option<u64> {
        let at = self.tickets.iter().position(|&t| t == ticket)?;
        self.tickets.remove(at);
        if at == 0 {
            self.tickets.front().copied()
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }
}

/// `onRateLimiterError`: what a call does when the shared limiter throws, rejects, answers
/// something that is not an answer, or takes longer than `rateLimiterTimeoutMs`.
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

/// What a shared limiter's `acquire` resolved to.
#[derive(Clone, Debug, PartialEq)]
pub enum SharedAnswer {
    /// Send now: the store has recorded it.
    Granted,
    /// Not now; ask again in this many ms.
    Retry(f64),
    /// Not an answer the contract allows; the text says what came.
    Invalid(&'static str),
}

impl SharedAnswer {
    /// `acquire` must resolve to 0 (send now) or a number of ms in (0, interval] after which a
    /// send may be granted. A longer wait is not the rule's (the last send is an interval old by
    /// then): a broken or hostile store, never a sleep.
    pub fn read(answer: Option<f64>, rule: Rule) -> SharedAnswer {
        match answer {
            Some(0.0) => SharedAnswer::Granted,
            Some(ms) if ms > 0.0 && ms <= rule.interval_ms + 1.0 => SharedAnswer::Retry(ms),
            Some(ms) if ms.is_nan() || ms < 0.0 => {
                SharedAnswer::Invalid("a wait that is not a number of ms >= 0")
            }
            Some(_) => SharedAnswer::Invalid("a wait longer than the rate's interval"),
            None => SharedAnswer::Invalid("something that is not a number of ms"),
        }
    }
}

/// When the first in line asks the shared store again after `Retry(hint_ms)` answered the ask it
/// sent at `asked_ms`: in ms from `now_ms`. The hint counts from the ask, not from the answer: the
/// store measured it half a round trip after the ask, and the next ask arrives half a round trip
/// after it leaves, so counting from the answer lands every re-ask a round trip late (a store 50 ms
/// away lost 100 ms per send). Plus a pad of up to a twentieth of the interval (`jitter` in
/// [0, 1)), so a re-ask lands just after the send is due rather than just before: one that lands
/// early is told to wait a few ms and costs a whole round trip more.
pub fn ask_again_in_ms(hint_ms: f64, asked_ms: f64, now_ms: f64, rule: Rule, jitter: f64) -> f64 {
    let pad = rule.interval_ms / 20.0 * jitter.clamp(0.0, 1.0);
    (asked_ms + hint_ms + pad - now_ms).clamp(0.0, hint_ms + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule { interval_ms: 210.0 };

    #[test]
    fn five_per_second_is_one_send_every_210_ms() {
        assert_eq!(Rule::new(5.0, 50.0), RULE);
        assert_eq!(
            Rule::new(0.5, 0.0),
            Rule {
                interval_ms: 2000.0
            }
        );
        assert_eq!(
            Rule::new(5e-324, 0.0),
            Rule {
                interval_ms: 10_000.0
            }
        );
    }

    #[test]
    fn sends_are_an_interval_apart_and_the_hint_is_when_the_next_may_go() {
        let mut s = Spacing::new();
        s.record(-100.0, 0.0); // warm: a send 100 ms ago
        assert_eq!(s.try_send(RULE, 110.0), Ok(()));
        assert_eq!(s.try_send(RULE, 120.0), Err(200.0));
        assert_eq!(s.try_send(RULE, 319.0), Err(1.0));
        assert_eq!(s.try_send(RULE, 320.0), Ok(()));
        // Six sends span at least 1050 ms: never six in one second.
        let mut at = 320.0;
        for _ in 0..4 {
            at += 210.0;
            assert_eq!(s.try_send(RULE, at), Ok(()));
        }
        assert_eq!(at - 110.0, 1050.0);
    }

    #[test]
    fn a_first_send_or_one_after_an_idle_spell_counts_half_an_interval_later() {
        let mut s = Spacing::new();
        assert_eq!(s.hold_ms(RULE, 0.0), 105.0);
        assert_eq!(s.try_send(RULE, 0.0), Ok(()));
        // The next waits 1.5 intervals: the first one's request leaves late.
        assert_eq!(s.try_send(RULE, 210.0), Err(105.0));
        assert_eq!(s.hold_ms(RULE, 210.0), 0.0);
        assert_eq!(s.try_send(RULE, 315.0), Ok(()));
        assert_eq!(s.try_send(RULE, 525.0), Ok(()));
        // Four seconds without a send: the next is cold again.
        assert_eq!(s.hold_ms(RULE, 4_524.0), 0.0);
        assert_eq!(s.hold_ms(RULE, 4_525.0), 105.0);
        // A shared limiter's grant counts the same way.
        s.record(5_000.0, 105.0);
        assert_eq!(s.try_send(RULE, 5_210.0), Err(105.0));
    }

    #[test]
    fn a_clock_that_goes_back_never_makes_a_wait_longer_than_the_interval() {
        let mut s = Spacing::new();
        assert_eq!(s.try_send(RULE, 10_000.0), Ok(()));
        assert_eq!(s.try_send(RULE, 9_900.0), Err(RULE.interval_ms));
        assert_eq!(s.hold_ms(RULE, 9_900.0), 105.0);
        assert_eq!(s.try_send(RULE, 0.0), Ok(()));
    }

    #[test]
    fn a_line_serves_in_order_and_anyone_may_leave_from_anywhere() {
        let mut line = Line::new();
        let [a, b, c, d] = [line.join(), line.join(), line.join(), line.join()];
        assert!(line.is_first(a) && !line.is_first(b));
        assert_eq!(line.leave(c), None);
        assert_eq!(line.leave(a), Some(b));
        assert_eq!(line.leave(b), Some(d));
        assert_eq!(line.leave(b), None);
        assert_eq!(line.leave(d), None);
        assert!(line.is_empty());
    }

    #[test]
    fn a_re_ask_counts_from_the_ask_and_never_waits_longer_than_the_hint() {
        // Asked at 1000, answered at 1100 (a store 50 ms away): "150" is due at 1150.
        assert_eq!(ask_again_in_ms(150.0, 1000.0, 1100.0, RULE, 0.0), 50.0);
        // A hint shorter than the round trip: ask again at once.
        assert_eq!(ask_again_in_ms(30.0, 1000.0, 1100.0, RULE, 0.0), 0.0);
        // A clock that went back waits no longer than the hint and its pad.
        assert_eq!(ask_again_in_ms(150.0, 1000.0, 0.0, RULE, 1.0), 160.5);
        assert_eq!(ask_again_in_ms(150.0, 1000.0, 1000.0, RULE, 1.0), 160.5);
    }

    #[test]
    fn a_store_answer_past_the_interval_or_not_a_number_is_no_answer() {
        assert_eq!(SharedAnswer::read(Some(0.0), RULE), SharedAnswer::Granted);
        assert_eq!(
            SharedAnswer::read(Some(150.0), RULE),
            SharedAnswer::Retry(150.0)
        );
        for bad in [
            Some(1e308),
            Some(f64::INFINITY),
            Some(-5.0),
            Some(f64::NAN),
            Some(212.0),
            None,
        ] {
            assert!(
                matches!(SharedAnswer::read(bad, RULE), SharedAnswer::Invalid(_)),
                "{bad:?}"
            );
        }
    }
}
