//! A token bucket: TTPay allows 5 requests per second per app_id, and answers 11001 above that.
//! Waiting on the client side is cheaper than a refused request followed by a backoff.

/// Holds up to `rate` tokens (a one-second burst) and refills `rate` per second.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBucket {
    tokens: f64,
    updated_ms: f64,
}

impl TokenBucket {
    pub fn new(rate: f64, now_ms: f64) -> TokenBucket {
        TokenBucket {
            tokens: rate.max(1.0),
            updated_ms: now_ms,
        }
    }

    /// Takes one token for a request to start, returning how long to wait before sending (0 when
    /// one is free now). The token is reserved at once, so concurrent callers queue in order.
    pub fn take(&mut self, rate: f64, now_ms: f64) -> f64 {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        let capacity = rate.max(1.0);
        let elapsed = (now_ms - self.updated_ms).max(0.0);
        self.tokens = (self.tokens + elapsed * rate / 1000.0).min(capacity);
        self.updated_ms = self.updated_ms.max(now_ms);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            0.0
        } else {
            -self.tokens * 1000.0 / rate
        }
    }

    /// Gives back a token reserved by a request that will not be sent (its wait was cut short).
    pub fn refund(&mut self) {
        self.tokens += 1.0;
    }
}
