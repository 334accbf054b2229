//! One API call through the single pipeline: validate → build → sign → (the shell sends) →
//! classify. Clock and randomness are inputs, so a whole call runs in a native test.

use super::body;
use super::error::{Error, ErrorKind};
use super::options::{self, ClientConfig, Input};
use super::reply::{self, Success};
use super::sign;

pub const CLOSE_ORDER_PATH: &str = "/v1/transaction/close";

/// A validated call: URL, signed path and body are built once; every attempt is signed afresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub url: String,
    pub path: String,
    pub body: String,
    pub mch_id: String,
}

/// One attempt, ready to send: the bytes in `body` are exactly the bytes that were signed.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    pub url: &'a str,
    pub body: &'a str,
    pub headers: [(&'static str, String); 4],
}

/// Why an attempt ended without a reply, as the shell observed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Interrupted {
    /// fetch rejected or the body could not be read; the detail is the host's message.
    Network(String),
    /// `timeoutMs` fired first.
    Timeout,
    /// The caller's signal fired first.
    Aborted,
}

impl Call {
    /// `closeOrder({ transactionId?, mchId? })`: `mchId` overrides the client's for this call.
    pub fn close_order(
        config: &ClientConfig,
        transaction_id: &Input,
        mch_id: &Input,
    ) -> Result<Call, Error> {
        let transaction_id = options::transaction_id(transaction_id)?;
        let mch_id = match mch_id {
            Input::Missing => config.mch_id.clone(),
            other => options::header_id("mchId", other)?,
        };
        let (url, path) = config.base_url.endpoint(CLOSE_ORDER_PATH);
        let body = body::close_order(&config.app_id, &mch_id, transaction_id.as_deref());
        Ok(Call {
            url,
            path,
            body,
            mch_id,
        })
    }

    /// Signs one attempt with the caller's clock reading (ms since the epoch) and 16 random bytes.
    pub fn sign(&self, config: &ClientConfig, now_ms: f64, random: &[u8; 16]) -> Request<'_> {
        let timestamp = config.timestamp_unit.format(now_ms);
        let nonce = sign::nonce_from_bytes(random);
        let text = sign::signing_string(&self.path, &timestamp, &nonce, &self.body);
        let signature = sign::signature(&config.secret, &text);
        let authorization =
            sign::authorization(&config.app_id, &self.mch_id, &nonce, &timestamp, &signature);
        Request {
            url: &self.url,
            body: &self.body,
            headers: [
                ("Authorization", authorization),
                ("Content-Type", "application/json".to_string()),
                ("app_id", config.app_id.clone()),
                ("User-Agent", config.user_agent.clone()),
            ],
        }
    }

    /// Classifies the reply to an attempt.
    pub fn finish(&self, http_status: u16, body: &[u8]) -> Result<Success, Error> {
        reply::classify(http_status, body)
    }

    /// The error for an attempt that got no reply.
    pub fn interrupted(&self, config: &ClientConfig, why: Interrupted) -> Error {
        match why {
            Interrupted::Network(detail) => Error::new(
                ErrorKind::Network,
                format!("could not reach TTPay at {}: {detail}", self.url),
            ),
            Interrupted::Timeout => Error::new(
                ErrorKind::Timeout,
                format!(
                    "no complete reply from TTPay within timeoutMs ({} ms)",
                    config.timeout_ms
                ),
            ),
            Interrupted::Aborted => Error::new(
                ErrorKind::Aborted,
                "the caller's signal aborted the request",
            ),
        }
    }
}
