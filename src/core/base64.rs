//! Standard base64 (RFC 4648 alphabet, `=` padded), the encoding of TTPay's signatures. Our own
//! few lines rather than the `base64` crate, whose engines cost the wasm about 6 KB for two
//! calls; `tests/fuzz.rs` holds both to the crate's output and its strict decoding.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `bytes`, padded with `=` to a multiple of four characters.
pub fn encode(bytes: &[u8]) -> String {
    let sym = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    let mut chunks = bytes.chunks_exact(3);
    // Whole groups first, without a branch per character: this runs for every request signed.
    for c in &mut chunks {
        if let [a, b, c] = *c {
            let n = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
            out.extend_from_slice(&[sym(n, 18), sym(n, 12), sym(n, 6), sym(n, 0)]);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sym(n, 18), sym(n, 12), b'=', b'=']);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sym(n, 18), sym(n, 12), sym(n, 6), b'=']);
        }
        _ => {}
    }
    // Only alphabet bytes and `=` were pushed: always ASCII.
    String::from_utf8(out).unwrap_or_default()
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes canonical padded base64: `None` for a length that is not a multiple of four, a
/// character outside the alphabet, padding anywhere but the end, or non-zero unused bits.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let s = text.as_bytes();
    if s.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let quads = s.len() / 4;
    for (q, quad) in s.chunks_exact(4).enumerate() {
        let pad = match quad {
            [_, _, b'=', b'='] => 2,
            [_, _, _, b'='] => 1,
            _ => 0,
        };
        if pad > 0 && q + 1 != quads {
            return None;
        }
        let mut n = 0u32;
        for &c in quad.get(..4 - pad)? {
            n = n << 6 | sextet(c)?;
        }
        n <<= 6 * pad;
        let [_, b0, b1, b2] = n.to_be_bytes();
        let bytes = [b0, b1, b2];
        let keep = 3 - pad;
        // The bits past the last whole byte must be zero, or two texts would decode alike.
        if bytes.get(keep..)?.iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(bytes.get(..keep)?);
    }
    Some(out)
}
