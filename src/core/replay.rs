//! The replay table: what this process learned from the replies it verified inside the window, so
//! a genuinely signed reply captured once cannot be played back, whole or spliced, as the answer
//! to another request (PROTOCOL.md, revised decisions; issue 18).
//!
//! AES-ECB encrypts 16-byte blocks independently, so blocks of genuine signatures can be put
//! together into a signature over a never-seen nonce that still decrypts correctly. Each verified
//! reply is therefore remembered under three keys, and a reply repeating any of them is refused:
//! - its nonce: a reply played back whole;
//! - the cipher block that ends its nonce (the nonce's last characters and the newline after
//!   them): a reply's nonce line can only end in the block that ended a genuine nonce, so a splice
//!   of seen replies under a new nonce reuses one of theirs. TTPay's nonce is 32 random
//!   characters, of which this block holds 14 (11 after a 10-digit timestamp): no two genuine
//!   replies share it;
//! - its timestamp with the signed text after the nonce: the same signed statement under any
//!   nonce. The signed text, not the body bytes: bytes that parse to the same data verify too, so
//!   the bytes are the attacker's to vary.
//!
//! Not keyed: the block holding the timestamp. Two genuine replies signed in the same millisecond
//! share it whenever their nonces begin with the same two characters (1 in 256 such pairs), so
//! keying on it would refuse genuine replies in any burst.
//!
//! It also holds the clock offset verified replies taught ([`ClockSkew`]): both are this
//! process's memory of verified replies, shared by every client of one wasm instance.
//!
//! Bounded memory: a fixed open-addressing table of key digests with their expiry. A key is
//! remembered until its window has passed, unless more than a probe run of live entries share its
//! slots; then the one closest to expiry gives way. At TTPay's 5 requests per second a 5-minute
//! window holds 1,500 replies, 4,500 keys: about half the table, so for one or two apps nothing
//! live is evicted. Beyond that (many apps in one process, or no rate limit) the table fails
//! closed: it remembers the latest reply timestamp it had to forget, and refuses any unseen reply
//! timestamped no later than that, since it can no longer tell such a reply from a replay. Evicted
//! entries are the oldest of their probe run, so replies arriving in time order are not refused.

use sha2::{Digest, Sha256};

use super::skew::ClockSkew;
use super::verify::REPLY_WINDOW_MS;

/// Slots in the table (a power of two); 24 bytes each.
pub const SLOTS: usize = 8192;
/// How many neighbouring slots a key may occupy.
const PROBE: usize = 32;
/// AES's block size: the unit a splice moves.
const BLOCK: usize = 16;

#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u64,
    /// When the entry stops mattering (ms); 0 marks an empty slot.
    expires_ms: f64,
    /// The reply's own timestamp (ms).
    ts_ms: f64,
}

/// What the table remembers a verified reply by: SHA-256 digests, truncated to 64 bits, each
/// prefixed by its kind so no key of one kind can stand for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyKeys {
    nonce: u64,
    nonce_end: u64,
    statement: u64,
}

impl ReplyKeys {
    /// The keys of a reply whose signature decrypted to `<timestamp>\n<nonce>\n<signed_body>`.
    pub fn new(timestamp: &str, nonce: &str, signed_body: &str) -> ReplyKeys {
        let head = format!("{timestamp}\n{nonce}\n");
        // The newline that ends the nonce line, and the block that holds it.
        let newline = timestamp.len() + 1 + nonce.len();
        let nonce_end: Vec<u8> = head
            .bytes()
            .chain(signed_body.bytes())
            .skip(newline / BLOCK * BLOCK)
            .take(BLOCK)
            .collect();
        ReplyKeys {
            nonce: digest(b'n', &[nonce.as_bytes()]),
            nonce_end: digest(b'e', &[&nonce_end]),
            statement: digest(b's', &[timestamp.as_bytes(), b"\n", signed_body.as_bytes()]),
        }
    }
}

/// SHA-256 of `kind` then `parts`, its first 8 bytes as a number: against ~4,500 live keys, a
/// chance match is about one reply in 10^15.
fn digest(kind: u8, parts: &[&[u8]]) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update([kind]);
    for part in parts {
        hasher.update(part);
    }
    let sum = hasher.finalize();
    u64::from_le_bytes(std::array::from_fn(|i| sum[i]))
}

/// The replay table, named for its first key: recently verified replies and the clock offset
/// they taught.
pub struct SeenNonces {
    slots: Vec<Slot>,
    /// The latest reply timestamp of an entry evicted while live (-inf: none): an unseen reply
    /// timestamped at or before it may be one the table forgot.
    forgot_until_ms: f64,
    clock: ClockSkew,
}

impl Default for SeenNonces {
    fn default() -> SeenNonces {
        SeenNonces::new()
    }
}

/// Why [`SeenNonces::insert`] refused a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Its nonce is in the table: a replay.
    Seen,
    /// Its nonce is new, but the block ending it, or its timestamp with its signed text, is not:
    /// blocks of seen replies spliced together.
    Spliced,
    /// It is not in the table, but it is no later than a reply the table had to forget.
    Forgotten,
}

impl SeenNonces {
    pub const fn new() -> SeenNonces {
        SeenNonces {
            slots: Vec::new(),
            forgot_until_ms: f64::NEG_INFINITY,
            clock: ClockSkew::new(),
        }
    }

    /// What verified replies have taught of TTPay's clock.
    pub fn clock(&self) -> ClockSkew {
        self.clock
    }

    /// A verified reply timestamped `reply_ts_ms` arrived at `received_ms` (this machine's clock).
    pub fn learn_clock(&mut self, reply_ts_ms: f64, received_ms: f64) {
        self.clock = self.clock.learn(reply_ts_ms, received_ms);
    }

    /// Records a verified reply by its `keys`, or says why it is refused; a refused reply records
    /// nothing. Entries expire a window after the later of the reply's timestamp (`ts_ms`) and
    /// `now_ms`, when the timestamp check alone refuses a replay.
    pub fn insert(&mut self, keys: &ReplyKeys, ts_ms: f64, now_ms: f64) -> Result<(), Refused> {
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); SLOTS];
        }
        if self.holds(keys.nonce, now_ms) {
            return Err(Refused::Seen);
        }
        if self.holds(keys.nonce_end, now_ms) || self.holds(keys.statement, now_ms) {
            return Err(Refused::Spliced);
        }
        if ts_ms <= self.forgot_until_ms {
            return Err(Refused::Forgotten);
        }
        let expires_ms = ts_ms.max(now_ms) + REPLY_WINDOW_MS;
        for hash in [keys.nonce, keys.nonce_end, keys.statement] {
            self.place(hash, ts_ms, expires_ms, now_ms);
        }
        Ok(())
    }

    /// The slots `hash` may occupy, in probe order.
    fn run(hash: u64) -> impl Iterator<Item = usize> {
        let home = (hash as usize) & (SLOTS - 1);
        (0..PROBE).map(move |i| (home + i) & (SLOTS - 1))
    }

    fn holds(&self, hash: u64, now_ms: f64) -> bool {
        Self::run(hash).any(|at| {
            self.slots
                .get(at)
                .is_some_and(|slot| slot.expires_ms > now_ms && slot.hash == hash)
        })
    }

    /// Puts `hash` in the first free slot of its run, or in place of the entry closest to expiry.
    fn place(&mut self, hash: u64, ts_ms: f64, expires_ms: f64, now_ms: f64) {
        let mut free = None;
        let mut oldest: Option<(usize, Slot)> = None;
        for at in Self::run(hash) {
            let Some(&slot) = self.slots.get(at) else {
                continue;
            };
            if slot.expires_ms <= now_ms {
                free = Some(at);
                break;
            }
            match oldest {
                Some((_, o)) if o.expires_ms <= slot.expires_ms => {}
                _ => oldest = Some((at, slot)),
            }
        }
        let at = match (free, oldest) {
            (Some(at), _) => at,
            (None, Some((at, evicted))) => {
                // A live entry gives way: from now on a reply as old as it cannot be checked.
                self.forgot_until_ms = self.forgot_until_ms.max(evicted.ts_ms);
                at
            }
            (None, None) => return,
        };
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = Slot {
                hash,
                expires_ms,
                ts_ms,
            };
        }
    }
}
