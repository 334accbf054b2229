//! The APP_SECRET, held only as an expanded AES-256 key. It has no accessor, and its `Debug`
//! prints a placeholder, so no message, log line or serialisation can carry it out.

use std::fmt;

use aes::Aes256;
use ecb::cipher::block_padding::Pkcs7;
use ecb::cipher::crypto_common::InnerInit;
use ecb::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};

use super::error::Error;

pub struct AppSecret {
    // Expanded once per client, so signing costs the block encryptions alone; the aes crate's
    // `zeroize` feature wipes it (and each per-call copy) when dropped.
    cipher: Aes256,
}

impl AppSecret {
    /// The key is the UTF-8 bytes of the secret, which TTPay issues as exactly 32 characters.
    pub fn new(secret: &str) -> Result<AppSecret, Error> {
        let cipher = Aes256::new_from_slice(secret.as_bytes()).map_err(|_| {
            // The length is safe to say; the value never is.
            Error::invalid(
                "appSecret",
                format!("must be exactly 32 bytes of UTF-8 (got {})", secret.len()),
            )
        });
        scrub_stack();
        Ok(AppSecret { cipher: cipher? })
    }

    /// AES-256-ECB with PKCS#7 padding; always at least one block, a whole one when `plain` is
    /// already a multiple of 16 bytes.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        ecb::Encryptor::<Aes256>::inner_init(self.cipher.clone())
            .encrypt_padded_vec_mut::<Pkcs7>(plain)
    }

    /// The inverse of [`encrypt`](Self::encrypt); `None` when the length or the padding is wrong.
    pub fn decrypt(&self, cipher_text: &[u8]) -> Option<Vec<u8>> {
        ecb::Decryptor::<Aes256>::inner_init(self.cipher.clone())
            .decrypt_padded_vec_mut::<Pkcs7>(cipher_text)
            .ok()
    }
}

/// Zeroes the stack area the key schedule just used: on wasm the stack lies in linear memory,
/// where its temporaries (the key's bytes among them) would stay readable until overwritten
/// (tests/js/hostile.test.mjs scans the memory for them). `zeroize` covers the heap copies only.
#[inline(never)]
fn scrub_stack() {
    let mut area = [0u8; 4096];
    zeroize::Zeroize::zeroize(&mut area);
    std::hint::black_box(&mut area);
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}
