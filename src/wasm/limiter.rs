//! The process-wide rate limiter: one token bucket per app_id, shared by every client in this
//! wasm instance (TTPay counts requests per app_id, whichever client sends them).

use std::cell::RefCell;
use std::collections::HashMap;

use crate::core::limiter::TokenBucket;

thread_local! {
    static BUCKETS: RefCell<HashMap<String, TokenBucket>> = RefCell::new(HashMap::new());
}

/// Reserves a token for `app_id`; returns how long to wait before sending.
pub fn take(app_id: &str, rate: f64, now_ms: f64) -> f64 {
    BUCKETS.with(|b| {
        let mut buckets = b.borrow_mut();
        match buckets.get_mut(app_id) {
            Some(bucket) => bucket.take(rate, now_ms),
            None => {
                let mut bucket = TokenBucket::new(rate, now_ms);
                let wait = bucket.take(rate, now_ms);
                buckets.insert(app_id.to_string(), bucket);
                wait
            }
        }
    })
}

/// Returns a reserved token whose request will not be sent.
pub fn refund(app_id: &str) {
    BUCKETS.with(|b| {
        if let Some(bucket) = b.borrow_mut().get_mut(app_id) {
            bucket.refund();
        }
    });
}
