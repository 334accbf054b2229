//! The APP_SECRET, held only as an expanded AES-256 key. It has no accessor, and its `Debug`
//! prints a placeholder, so no message, log line or serialisation can carry it out.

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::{Aes256, Block};
use std::fmt;

use super::error::Error;
use super::text;

const BLOCK: usize = 16;

pub struct AppSecret {
    // Expanded once per client: signing then costs the block encryptions alone.
    cipher: Aes256,
}

impl AppSecret {
    /// The key is the UTF-8 bytes of the secret, which TTPay issues as exactly 32 characters.
    pub fn new(secret: &str) -> Result<AppSecret, Error> {
        let len = secret.len();
        if len != 32 {
            // The length is safe to say; the value never is.
            return Err(Error::invalid(
                "appSecret",
                text::cat(&[
                    "must be exactly 32 bytes of UTF-8 (got ",
                    &text::uint(len as u64),
                    ")",
                ]),
            ));
        }
        let cipher = Aes256::new_from_slice(secret.as_bytes())
            .map_err(|_| Error::invalid("appSecret", "must be exactly 32 bytes of UTF-8"));
        scrub_stack();
        Ok(AppSecret { cipher: cipher? })
    }

    /// AES-256-ECB with PKCS#7 padding; always at least one block, a whole one when `plain` is
    /// already a multiple of 16 bytes.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        let pad = BLOCK - plain.len() % BLOCK;
        let mut blocks = to_blocks(plain, pad);
        // All blocks in one call: the bitsliced cipher works on two at a time, and a block
        // encrypted alone still pays for two.
        self.cipher.encrypt_blocks(&mut blocks);
        blocks.concat()
    }

    /// The inverse of [`encrypt`](Self::encrypt); `None` when the length or the padding is wrong.
    pub fn decrypt(&self, cipher_text: &[u8]) -> Option<Vec<u8>> {
        if cipher_text.is_empty() || cipher_text.len() % BLOCK != 0 {
            return None;
        }
        let mut blocks = to_blocks(cipher_text, 0);
        self.cipher.decrypt_blocks(&mut blocks);
        let mut out = blocks.concat();
        let pad = usize::from(*out.last()?);
        if pad == 0 || pad > BLOCK || pad > out.len() {
            return None;
        }
        let body_len = out.len() - pad;
        if !out.get(body_len..)?.iter().all(|&b| usize::from(b) == pad) {
            return None;
        }
        out.truncate(body_len);
        Some(out)
    }
}

/// Zeroes the stack area the key schedule just used: on wasm it lies in linear memory, where its
/// temporaries (the key's bytes among them) would otherwise stay readable until overwritten.
#[inline(never)]
fn scrub_stack() {
    let mut area = [0u8; 4096];
    std::hint::black_box(&mut area);
}

/// `bytes` then `pad` bytes of value `pad`, as 16-byte blocks (`bytes.len() + pad` is a multiple
/// of 16 wherever this is called).
fn to_blocks(bytes: &[u8], pad: usize) -> Vec<Block> {
    let mut blocks = vec![Block::default(); (bytes.len() + pad) / BLOCK];
    for (i, b) in blocks.iter_mut().flatten().enumerate() {
        *b = bytes.get(i).copied().unwrap_or(pad as u8);
    }
    blocks
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}
