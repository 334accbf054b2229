//! Text a server sent, made safe for a one-line error message.

/// `s` safe to put in a one-line message: control characters (and the Unicode line and paragraph
/// separators) become `\u{…}` escapes, so text a server sent cannot forge log lines.
pub fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match u32::from(c) {
            _ if !needs_escape(c) => out.push(c),
            n if n > 0xff => out.push_str(&format!("\\u{{{n:04x}}}")),
            n => out.push_str(&format!("\\u{{{n:02x}}}")),
        }
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
    fn control_characters_are_escaped_and_nothing_else() {
        assert_eq!(escape_controls("plain 成功"), "plain 成功");
        assert_eq!(
            escape_controls("a\nb\r\u{1b}[31m\u{85}\u{2028}"),
            "a\\u{0a}b\\u{0d}\\u{1b}[31m\\u{85}\\u{2028}"
        );
    }
}
