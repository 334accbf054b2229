//! Reply nonces seen inside the verification window, so a genuinely signed reply captured once
//! cannot be played back as the answer to another request (PROTOCOL.md, revised decision).
//!
//! Bounded memory: a fixed open-addressing table of nonce hashes with their expiry. A nonce is
//! remembered until its window has passed, unless more than a probe run of live entries share its
//! slots; then the one closest to expiry gives way. At TTPay's 5 requests per second per app, a
//! 5-minute window holds 1,500 replies: below the table's size, so for one or two apps nothing
//! live is evicted. Beyond that (many apps in one process, or no rate limit) the table fails
//! closed: it remembers the latest reply timestamp it had to forget, and refuses any unseen reply
//! timestamped no later than that, since it can no longer tell such a reply from a replay. Evicted
//! entries are the oldest of their probe run, so replies arriving in time order are not refused.

/// Slots in the table (a power of two); 24 bytes each.
pub const SLOTS: usize = 4096;
/// How many neighbouring slots a nonce may occupy.
const PROBE: usize = 16;

#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u64,
    /// When the entry stops mattering (ms); 0 marks an empty slot.
    expires_ms: f64,
    /// The reply's own timestamp (ms).
    ts_ms: f64,
}

/// The set of recently verified reply nonces.
#[derive(Default)]
pub struct SeenNonces {
    slots: Vec<Slot>,
    /// The latest reply timestamp of an entry evicted while live (-inf: none): an unseen reply
    /// timestamped at or before it may be one the table forgot.
    forgot_until_ms: f64,
}

/// Why [`SeenNonces::insert`] refused a nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// It is in the table: a replay.
    Seen,
    /// It is not, but its reply is no later than one the table had to forget.
    Forgotten,
}

impl SeenNonces {
    pub const fn new() -> SeenNonces {
        SeenNonces {
            slots: Vec::new(),
            forgot_until_ms: f64::NEG_INFINITY,
        }
    }

    /// Records `nonce`, whose reply is timestamped `ts_ms`, or says why it is refused. Entries
    /// expire a window after the later of the reply's timestamp and `now_ms`, when the timestamp
    /// check alone refuses a replay.
    pub fn insert(&mut self, nonce: &str, ts_ms: f64, now_ms: f64) -> Result<(), Refused> {
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); SLOTS];
        }
        let hash = fnv1a(nonce.as_bytes());
        let home = (hash as usize) & (SLOTS - 1);
        let mut free: Option<usize> = None;
        let mut oldest = home;
        let mut oldest_expiry = f64::INFINITY;
        let mut oldest_ts = f64::NEG_INFINITY;
        for i in 0..PROBE {
            let at = (home + i) & (SLOTS - 1);
            let Some(slot) = self.slots.get(at) else {
                continue;
            };
            let live = slot.expires_ms > now_ms;
            if live && slot.hash == hash {
                return Err(Refused::Seen);
            }
            if !live && free.is_none() {
                free = Some(at);
            }
            if slot.expires_ms < oldest_expiry {
                oldest_expiry = slot.expires_ms;
                oldest_ts = slot.ts_ms;
                oldest = at;
            }
        }
        if ts_ms <= self.forgot_until_ms {
            return Err(Refused::Forgotten);
        }
        let at = match free {
            Some(at) => at,
            None => {
                // A live entry gives way: from now on a reply as old as it cannot be checked.
                self.forgot_until_ms = self.forgot_until_ms.max(oldest_ts);
                oldest
            }
        };
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = Slot {
                hash,
                expires_ms: ts_ms.max(now_ms) + super::verify::REPLY_WINDOW_MS,
                ts_ms,
            };
        }
        Ok(())
    }
}

/// FNV-1a, 64 bits: only verified nonces are recorded, so nobody chooses what collides.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
