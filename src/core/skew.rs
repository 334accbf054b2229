//! How far TTPay's clock is from this machine's, as verified replies tell it, and the earliest
//! signed timestamp that can answer a request (PROTOCOL.md, revised decision, issue 18).
//!
//! A genuine reply is signed after its request arrives, so its `TTPay-Timestamp` read on this
//! machine's clock is no earlier than the moment the request was sent. A reply timestamped well
//! before that was captured earlier and played back: a replay the nonce table cannot see when
//! another process saw the original, or when nobody did (a man in the middle dropped it). The
//! learned offset lets the allowance stay small whichever way this machine's clock is off.

use super::verify::REPLY_WINDOW_MS;

/// How far a reply's `TTPay-Timestamp` may predate the request it answers once the learned offset
/// is applied. It covers what the offset has not caught up with: a step of this machine's clock,
/// TTPay's servers disagreeing, 10-digit timestamps cut to the second. PROTOCOL.md allows 60 s at
/// most; half of that leaves room for the offset below inside the same 60 s.
pub const SKEW_ALLOWANCE_MS: f64 = 30_000.0;

/// The furthest the learned offset may put TTPay's clock behind this machine's. Replays that
/// verify can only pull the offset that way (a sample is never later than TTPay's real clock), so
/// this bounds what they can add to the allowance.
pub const MAX_LEARNED_LAG_MS: f64 = 30_000.0;

/// The furthest the learned offset may put TTPay's clock ahead of this machine's: a reply beyond
/// the verification window is refused before it can teach anything.
const MAX_LEARNED_LEAD_MS: f64 = REPLY_WINDOW_MS;

/// The most one verified reply moves the offset: no single reply (a replay, or a TTPay server
/// whose clock is off) can move it far, and honest drift is far slower.
pub const OFFSET_STEP_MS: f64 = 1_000.0;

/// The window that remains: a reply whose `TTPay-Timestamp` is more than this many seconds before
/// its request's own timestamp (both as this machine's clock reads them) is refused, whatever
/// replies came before. Inside it, a genuine reply that this process never verified (seen only by
/// another process, or dropped on its way here) can still be offered as the answer to another
/// request. It is [`SKEW_ALLOWANCE_MS`] plus [`MAX_LEARNED_LAG_MS`].
pub const REMAINING_REPLAY_WINDOW_S: u32 = 60;

const _: () = assert!(
    (SKEW_ALLOWANCE_MS + MAX_LEARNED_LAG_MS) as u32 == REMAINING_REPLAY_WINDOW_S * 1000,
    "REMAINING_REPLAY_WINDOW_S is the allowance plus the largest learned lag"
);

/// TTPay's clock minus this machine's, in ms, learned from verified replies only: plain data,
/// updated by [`ClockSkew::learn`] and read by [`ClockSkew::earliest_answer_ms`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClockSkew {
    offset_ms: f64,
}

impl ClockSkew {
    /// Nothing learned yet: the clocks are taken to agree.
    pub const fn new() -> ClockSkew {
        ClockSkew { offset_ms: 0.0 }
    }

    /// The learned offset (TTPay's clock minus this machine's), in ms.
    pub fn offset_ms(self) -> f64 {
        self.offset_ms
    }

    /// The earliest `TTPay-Timestamp` (ms) that can answer a request sent at `sent_ms` on this
    /// machine's clock.
    pub fn earliest_answer_ms(self, sent_ms: f64) -> f64 {
        sent_ms + self.offset_ms - SKEW_ALLOWANCE_MS
    }

    /// What a verified reply, timestamped `reply_ts_ms` and received at `received_ms` (this
    /// machine's clock), says of the offset. The sample is late by the reply's trip back, so it
    /// errs towards the lenient side; the offset moves towards it by [`OFFSET_STEP_MS`] at most
    /// and stays within its bounds.
    #[must_use]
    pub fn learn(self, reply_ts_ms: f64, received_ms: f64) -> ClockSkew {
        let sample = reply_ts_ms - received_ms;
        if !sample.is_finite() {
            return self;
        }
        let step = (sample - self.offset_ms).clamp(-OFFSET_STEP_MS, OFFSET_STEP_MS);
        ClockSkew {
            offset_ms: (self.offset_ms + step).clamp(-MAX_LEARNED_LAG_MS, MAX_LEARNED_LEAD_MS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_follows_verified_replies_one_bounded_step_at_a_time() {
        let clock = ClockSkew::new();
        assert_eq!(clock.learn(1_000.0, 1_400.0).offset_ms(), -400.0);
        assert_eq!(clock.learn(10_000.0, 0.0).offset_ms(), OFFSET_STEP_MS);
        assert_eq!(clock.learn(f64::NAN, 0.0), clock);
        assert_eq!(clock.learn(0.0, f64::INFINITY), clock);
    }

    #[test]
    fn however_many_replays_pull_it_the_offset_stays_within_its_bounds() {
        let (mut behind, mut ahead) = (ClockSkew::new(), ClockSkew::new());
        for _ in 0..10_000 {
            behind = behind.learn(0.0, 1e9);
            ahead = ahead.learn(1e9, 0.0);
        }
        assert_eq!(behind.offset_ms(), -MAX_LEARNED_LAG_MS);
        assert_eq!(ahead.offset_ms(), MAX_LEARNED_LEAD_MS);
        let sent = 1_767_225_600_000.0;
        assert_eq!(
            sent - behind.earliest_answer_ms(sent),
            f64::from(REMAINING_REPLAY_WINDOW_S) * 1000.0
        );
    }
}
