//! Text assembly without `format!`: the formatting machinery costs the wasm more than every
//! message it would build (README, "Measured"). Error paths use these, and so does signing (the
//! signing string, the Authorization header, the timestamp), once per request: hence the exact
//! capacities.

/// The pieces, joined.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// The items, with `sep` between each two.
pub fn join(items: &[&str], sep: &str) -> String {
    let len =
        items.iter().map(|p| p.len()).sum::<usize>() + sep.len() * items.len().saturating_sub(1);
    let mut out = String::with_capacity(len);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item);
    }
    out
}

/// The decimal digits of `n`.
pub fn uint(n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits
        .get(at..)
        .map(|d| d.iter().map(|&b| char::from(b)).collect())
        .unwrap_or_default()
}

/// The decimal digits of `n`, with a `-` when negative.
pub fn int(n: i64) -> String {
    let digits = uint(n.unsigned_abs());
    if n < 0 {
        cat(&["-", &digits])
    } else {
        digits
    }
}

/// The characters of `s`, counted as the UTF-8 bytes that start one.
pub fn char_count(s: &str) -> usize {
    s.bytes().filter(|&b| b & 0xC0 != 0x80).count()
}

/// `s` safe to put in a one-line message: control characters (and the Unicode line and paragraph
/// separators) become `\u{…}` escapes, so text a server sent cannot forge log lines.
pub fn escape_controls(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !s.chars().any(needs_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        out.push_str("\\u{");
        let n = u32::from(c);
        let digits = if n > 0xff { 4 } else { 2 };
        for shift in (0..digits).rev() {
            out.push(char::from(HEX[((n >> (shift * 4)) & 0xf) as usize]));
        }
        out.push('}');
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_std_prints_them() {
        for n in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            12345,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            assert_eq!(uint(n), n.to_string());
        }
        for n in [0i64, -1, 1, -10, 12002, -104, i64::MIN, i64::MAX] {
            assert_eq!(int(n), n.to_string());
        }
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert_eq!(join(&["a", "b", "c"], ", "), "a, b, c");
        assert_eq!(join(&[], ", "), "");
    }

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert_eq!(escape_controls("plain 成功"), "plain 成功");
        assert_eq!(
            escape_controls("a\nb\r\u{1b}[31m\u{85}\u{2028}"),
            "a\\u{0a}b\\u{0d}\\u{1b}[31m\\u{85}\\u{2028}"
        );
    }
}
