//! Untrusted bytes made safe to show a person (SPEC "Untrusted bytes"): every control character
//! written out as text. Pure text, no I/O: the core uses it for its messages, `ui` for output.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// `s` as a person's terminal may show it: every control character (C0, DEL and C1) is written
/// out as text (`\n`, `\r`, `\t`, `\x1b`, `\u{9b}`), so that data can neither move the cursor,
/// retitle the window, clear the screen nor start a line of its own. Backslashes stay as they
/// are: this is for reading, not for parsing back.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && c.is_ascii() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path as a message shows it: `escape`d, so a line break or an escape sequence in a directory
/// name can neither start a line of its own (forging what tokctl says) nor act on the terminal.
/// Every path that reaches a message goes through this, never through a bare `display()`.
pub trait Shown {
    fn shown(&self) -> String;
}

impl Shown for Path {
    fn shown(&self) -> String {
        escape(&self.display().to_string()).into_owned()
    }
}

/// `escape` for a message that tokctl wrote on several lines: its line breaks stay.
pub(crate) fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(escape).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_writes_every_control_character_as_text() {
        assert!(matches!(escape("plain é ✓ \\x"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}]0;t\u{7}\u{1b}[2J\rb\nc\td"), r"a\x1b]0;t\x07\x1b[2J\rb\nc\td");
        assert_eq!(escape("\0\u{7f}\u{80}\u{9b}\u{9f}\u{a0}"), "\\x00\\x7f\\u{80}\\u{9b}\\u{9f}\u{a0}");
        assert_eq!(escape_lines("one \u{1b}[2J\ntwo\r"), "one \\x1b[2J\ntwo\\r");
    }
}
