//! Request signing as PROTOCOL.md describes it: the signing string, its AES-256-ECB signature
//! and the one-line `Authorization` header.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::secret::AppSecret;

/// The `Authorization` scheme name, followed by one space.
pub const SCHEME: &str = "TTPAY-AES-256-ECB";

/// Four lines joined by `\n`, no trailing newline, no method line.
pub fn signing_string(path: &str, timestamp: &str, nonce: &str, body: &str) -> String {
    [path, timestamp, nonce, body].join("\n")
}

/// base64 (standard alphabet, `=` padded) of the encrypted signing string.
pub fn signature(secret: &AppSecret, signing_string: &str) -> String {
    STANDARD.encode(secret.encrypt(signing_string.as_bytes()))
}

/// The documented field order, commas without spaces, no quotes.
pub fn authorization(
    app_id: &str,
    mch_id: &str,
    nonce: &str,
    timestamp: &str,
    signature: &str,
) -> String {
    format!("{SCHEME} app_id={app_id},mch_id={mch_id},nonce_str={nonce},timestamp={timestamp},signature={signature}")
}

/// 32 upper-case hex digits from 16 random bytes.
pub fn nonce_from_bytes(bytes: &[u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Decodes a base64 signature; `None` when it is not standard padded base64.
pub fn decode_signature(signature: &str) -> Option<Vec<u8>> {
    STANDARD.decode(signature).ok()
}
