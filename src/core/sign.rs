//! Request signing as PROTOCOL.md describes it: the signing string, its AES-256-ECB signature
//! and the one-line `Authorization` header.

use super::base64;
use super::secret::AppSecret;
use super::text::{cat, join};

/// The `Authorization` scheme name, followed by one space.
pub const SCHEME: &str = "TTPAY-AES-256-ECB";

/// Four lines joined by `\n`, no trailing newline, no method line.
pub fn signing_string(path: &str, timestamp: &str, nonce: &str, body: &str) -> String {
    join(&[path, timestamp, nonce, body], "\n")
}

/// base64 (standard alphabet, `=` padded) of the encrypted signing string.
pub fn signature(secret: &AppSecret, signing_string: &str) -> String {
    base64::encode(&secret.encrypt(signing_string.as_bytes()))
}

/// The documented field order, commas without spaces, no quotes.
pub fn authorization(
    app_id: &str,
    mch_id: &str,
    nonce: &str,
    timestamp: &str,
    signature: &str,
) -> String {
    cat(&[
        SCHEME,
        " app_id=",
        app_id,
        ",mch_id=",
        mch_id,
        ",nonce_str=",
        nonce,
        ",timestamp=",
        timestamp,
        ",signature=",
        signature,
    ])
}

/// 32 upper-case hex digits from 16 random bytes.
pub fn nonce_from_bytes(bytes: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut hex = [0u8; 32];
    for (pair, &b) in hex.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = HEX[usize::from(b >> 4)];
            *lo = HEX[usize::from(b & 0x0f)];
        }
    }
    String::from_utf8(hex.to_vec()).unwrap_or_default()
}

/// Decodes a base64 signature; `None` when it is not standard padded base64.
pub fn decode_signature(signature: &str) -> Option<Vec<u8>> {
    base64::decode(signature)
}
