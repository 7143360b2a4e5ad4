//! Quoting untrusted values in messages: an error quotes at most a short prefix of a bad
//! value, so a 1 MB version string or a 9 MB file line never becomes a 1 MB "one-line" error.

use std::fmt;

/// How many characters of a bad value a message quotes.
pub const QUOTE_LIMIT: usize = 60;

/// How many characters of a whole message from elsewhere (a parser's error, a controller's
/// reason) are kept.
pub const MESSAGE_LIMIT: usize = 300;

/// `value` for a message: whole when short, otherwise its first [`QUOTE_LIMIT`] characters
/// followed by `…` and the full length, e.g. `7.0.000000… (1048576 bytes)`. Control characters
/// are escaped so a value cannot rewrite the operator's terminal.
pub fn quoted(value: &str) -> Quoted<'_> {
    Quoted {
        text: value,
        limit: QUOTE_LIMIT,
    }
}

/// A message from elsewhere (a parser's error that may quote its input, a controller's
/// reason), kept to [`MESSAGE_LIMIT`] characters like [`quoted`].
pub fn clipped(message: &str) -> Quoted<'_> {
    Quoted {
        text: message,
        limit: MESSAGE_LIMIT,
    }
}

/// A value as it appears in a message (see [`quoted`]).
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a> {
    text: &'a str,
    limit: usize,
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.text.chars();
        for character in chars.by_ref().take(self.limit) {
            write_char(f, character)?;
        }
        if chars.next().is_some() {
            write!(f, "… ({} bytes)", self.text.len())?;
        }
        Ok(())
    }
}

fn write_char(f: &mut fmt::Formatter<'_>, character: char) -> fmt::Result {
    if character.is_control() {
        write!(f, "{}", character.escape_default())
    } else {
        fmt::Write::write_char(f, character)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole() {
        assert_eq!(quoted("7.0.2239").to_string(), "7.0.2239");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = "9".repeat(1 << 20);
        let text = quoted(&long).to_string();
        assert!(text.len() < 100, "{} bytes", text.len());
        assert!(text.ends_with("… (1048576 bytes)"), "{text}");
        assert!(text.starts_with(&"9".repeat(QUOTE_LIMIT)), "{text}");
    }

    #[test]
    fn messages_keep_more_than_values() {
        let message = "m".repeat(1000);
        let text = clipped(&message).to_string();
        assert!(text.starts_with(&"m".repeat(MESSAGE_LIMIT)) && text.ends_with("… (1000 bytes)"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(quoted("a\u{1b}[2Jb\n").to_string(), "a\\u{1b}[2Jb\\n");
    }
}
