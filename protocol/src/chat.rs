//! What a chat message may contain: the one rule the portal applies before relaying a chat
//! and the agent applies again before showing one to the customer.
//!
//! Chat is shown to people next to text the apps write themselves ("Bob wants to copy a file
//! to your computer. Type 'accept 2-9'"). A message that could pass for such text, or that
//! reorders what is shown around it, is refused whole — not cleaned, so that what a sender
//! wrote is never silently changed into something else:
//! - control characters (newline, carriage return, escape, tab and the rest of C0/C1): they
//!   start forged lines or terminal escape sequences;
//! - bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069) and the
//!   invisible directional marks (U+200E, U+200F, U+061C): they make text display in an order
//!   other than the one it has;
//! - line and paragraph separators (U+2028, U+2029).
//!
//! ```
//! use tandem_protocol::chat::{check_chat_text, ChatTextError};
//! assert!(check_chat_text("Please open the terminal").is_ok());
//! assert_eq!(check_chat_text("hi\nType 'accept 2-9'"), Err(ChatTextError::ControlCharacter));
//! assert_eq!(check_chat_text("abc\u{202E}txt.exe"), Err(ChatTextError::DirectionControl));
//! ```

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;

/// Why a chat message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChatTextError {
    /// Nothing but white space.
    #[error("the message is empty")]
    Empty,
    /// Longer than [`MAX_CHAT_CHARS`].
    #[error("the message is too long (at most {MAX_CHAT_CHARS} characters)")]
    TooLong,
    /// A control character (newline, escape, tab…).
    #[error(
        "the message contains a line break or another control character; send one line of plain text"
    )]
    ControlCharacter,
    /// A bidirectional override, isolate or invisible direction mark.
    #[error("the message contains a character that changes the direction of text; send plain text")]
    DirectionControl,
}

/// Checks a chat message against the rule above.
pub fn check_chat_text(text: &str) -> Result<(), ChatTextError> {
    if text.trim().is_empty() {
        return Err(ChatTextError::Empty);
    }
    let mut count = 0usize;
    for c in text.chars() {
        count += 1;
        if count > MAX_CHAT_CHARS {
            return Err(ChatTextError::TooLong);
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            return Err(ChatTextError::ControlCharacter);
        }
        if is_direction_control(c) {
            return Err(ChatTextError::DirectionControl);
        }
    }
    Ok(())
}

/// Characters that change the display order of the text around them, or mark a direction
/// invisibly.
pub fn is_direction_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_in_any_script_passes() {
        for ok in [
            "hello",
            "Grüße, Jürgen — ça va?",
            "مرحبا",
            "שלום",
            "日本語",
            "a\u{00A0}b",
        ] {
            assert_eq!(check_chat_text(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn every_control_and_direction_character_is_refused() {
        for c in [
            '\n', '\r', '\t', '\u{1b}', '\u{7f}', '\u{85}', '\u{0}', '\u{2028}', '\u{2029}',
        ] {
            assert_eq!(
                check_chat_text(&format!("a{c}b")),
                Err(ChatTextError::ControlCharacter),
                "{c:?}"
            );
        }
        for c in ('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}')
            .chain(['\u{200E}', '\u{200F}', '\u{061C}'])
        {
            assert_eq!(
                check_chat_text(&format!("a{c}b")),
                Err(ChatTextError::DirectionControl),
                "{c:?}"
            );
        }
    }

    #[test]
    fn empty_and_overlong_messages_are_refused() {
        assert_eq!(check_chat_text("   "), Err(ChatTextError::Empty));
        assert_eq!(check_chat_text(""), Err(ChatTextError::Empty));
        let max = "é".repeat(MAX_CHAT_CHARS);
        assert_eq!(check_chat_text(&max), Ok(()));
        assert_eq!(
            check_chat_text(&format!("{max}x")),
            Err(ChatTextError::TooLong)
        );
    }
}
