//! The process-wide rate limiter: one token bucket per app_id, shared by every client in this
//! wasm instance (TTPay counts requests per app_id, whichever client sends them).

use std::cell::RefCell;

use crate::core::limiter::TokenBucket;

thread_local! {
    // A few app ids at most: a list is smaller in the wasm than a hash map and as fast here.
    static BUCKETS: RefCell<Vec<(String, TokenBucket)>> = const { RefCell::new(Vec::new()) };
}

fn find<'a>(buckets: &'a mut [(String, TokenBucket)], app_id: &str) -> Option<&'a mut TokenBucket> {
    buckets
        .iter_mut()
        .find(|(id, _)| id == app_id)
        .map(|(_, b)| b)
}

/// Reserves a token for `app_id`; returns how long to wait before sending.
pub fn take(app_id: &str, rate: f64, now_ms: f64) -> f64 {
    BUCKETS.with(|b| {
        let mut buckets = b.borrow_mut();
        if let Some(bucket) = find(&mut buckets, app_id) {
            return bucket.take(rate, now_ms);
        }
        let mut bucket = TokenBucket::new(rate, now_ms);
        let wait = bucket.take(rate, now_ms);
        buckets.push((app_id.to_string(), bucket));
        wait
    })
}

/// Returns a reserved token whose request will not be sent.
pub fn refund(app_id: &str) {
    BUCKETS.with(|b| {
        if let Some(bucket) = find(&mut b.borrow_mut(), app_id) {
            bucket.refund();
        }
    });
}
