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
}
