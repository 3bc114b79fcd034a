//! Rules and texts for bringing more people into a session, without IO: what rights an
//! external specialist may get, how they are put in words, the e-mail a host sends, and the
//! checks on what people type (invitation comments, chat).
//!
//! Who sees whom and whose chat reaches whom is decided in `tandem_protocol::roster`, not here.

use tandem_protocol::{Rights, SessionCode};

/// Longest host comment on a representative invitation, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;
/// Longest chat message, in characters (after trimming).
pub const MAX_CHAT_CHARS: usize = 2000;

/// The rights a specialist key grants for what the host asked: anything with control means
/// view, control, chat and the clipboard (someone who may type may paste); everything else
/// means view and chat. Files and reboot are never given to someone without an account.
pub fn specialist_rights(requested: Rights) -> Rights {
    if requested.contains(Rights::CONTROL) {
        Rights::VIEW
            .union(Rights::CONTROL)
            .union(Rights::CHAT)
            .union(Rights::CLIPBOARD)
    } else {
        Rights::VIEW.union(Rights::CHAT)
    }
}

/// A specialist's rights in words: "view only" or "view and control keyboard and mouse".
pub fn rights_in_words(rights: Rights) -> &'static str {
    if rights.contains(Rights::CONTROL) {
        "view and control keyboard and mouse"
    } else {
        "view only"
    }
}

/// The command a specialist runs to join with the link of a key.
pub fn specialist_command(join_url: &str) -> String {
    // Quoted: the link holds '?' and '#', which a shell could otherwise take apart.
    format!("tandem-viewer specialist join '{join_url}' --name \"Your name\"")
}

/// The ready-to-send e-mail inviting an external specialist.
pub fn specialist_email(
    host: &str,
    customer: &str,
    join_url: &str,
    key: SessionCode,
    rights: Rights,
) -> String {
    format!(
        "Hello,\n\n{host} invites you to join a remote support session for {customer} as a \
         specialist.\n\nOpen this link in your browser to join (nothing to install): {join_url}\n\
         With Tandem's viewer installed, you can also run: {command}\n\n\
         Support key: {key}\nGranted rights: {words}.\n\nThe key admits you while the session \
         runs, until {host} cancels the invitation.",
        command = specialist_command(join_url),
        words = rights_in_words(rights),
    )
}

/// Checks the host's comment on an invitation: at most [`MAX_COMMENT_CHARS`], no control
/// characters but line breaks. Empty is fine. Returns it trimmed.
pub fn clean_comment(raw: &str) -> Result<String, String> {
    let comment = raw.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(format!(
            "the comment is longer than {MAX_COMMENT_CHARS} characters"
        ));
    }
    if comment.chars().any(|c| c.is_control() && c != '\n') {
        return Err("the comment contains control characters".into());
    }
    Ok(comment.to_owned())
}

/// Checks a chat message: 1..=[`MAX_CHAT_CHARS`] characters after trimming. Returns it
/// trimmed. Line breaks and tabs are kept; other control characters are refused.
pub fn clean_chat(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("a chat message must not be empty".into());
    }
    if text.chars().count() > MAX_CHAT_CHARS {
        return Err(format!(
            "a chat message is at most {MAX_CHAT_CHARS} characters"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("a chat message must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// Text a person typed, made safe to quote in an error message: no control characters, at
/// most 100 characters.
pub fn quoted(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specialists_get_view_and_chat_plus_control_at_most() {
        let vcc = Rights::VIEW
            .union(Rights::CONTROL)
            .union(Rights::CHAT)
            .union(Rights::CLIPBOARD);
        let vc = Rights::VIEW.union(Rights::CHAT);
        assert_eq!(specialist_rights(Rights::HOST_DEFAULT), vcc);
        assert_eq!(specialist_rights(Rights::CONTROL), vcc);
        assert_eq!(specialist_rights(Rights::NONE), vc);
        assert_eq!(specialist_rights(Rights::FILES.union(Rights::REBOOT)), vc);
        assert_eq!(rights_in_words(vcc), "view and control keyboard and mouse");
        assert_eq!(rights_in_words(vc), "view only");
    }

    #[test]
    fn the_email_holds_link_key_host_customer_and_rights() {
        let key: SessionCode = "012345678".parse().expect("valid");
        let url = "https://help.example.com/join/012345678";
        let text = specialist_email("Bob", "alice@pc", url, key, Rights::VIEW);
        assert!(text.contains("Bob invites you"), "{text}");
        assert!(text.contains("for alice@pc"));
        assert!(text.contains(&format!(
            "Open this link in your browser to join (nothing to install): {url}"
        )));
        assert!(text.contains(&format!(
            "tandem-viewer specialist join '{url}' --name \"Your name\""
        )));
        assert!(text.contains("Support key: 012345678"));
        assert!(text.contains("Granted rights: view only."));
    }

    #[test]
    fn comments_and_chat_are_checked() {
        assert_eq!(clean_comment("  "), Ok(String::new()));
        assert_eq!(clean_comment(" a\nb "), Ok("a\nb".into()));
        assert!(clean_comment("a\u{7}b").is_err());
        assert!(clean_comment(&"x".repeat(501)).is_err());
        assert_eq!(clean_chat("  hi \n"), Ok("hi".into()));
        assert!(clean_chat(" \n ").is_err());
        assert!(clean_chat(&"é".repeat(2000)).is_ok());
        assert!(clean_chat(&"é".repeat(2001)).is_err());
        assert!(clean_chat("a\u{1b}[2Jb").is_err());
        assert_eq!(quoted("ev\nil"), "evil");
    }
}
