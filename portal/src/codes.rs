//! Rules for session codes, without IO: what state a code is in at a given time, which
//! error a customer sees for it, and the texts (link, invitation) a representative gets.
//!
//! A code is *active* while its stored state is `active` and `now < expires_at`. Only active
//! codes count against a representative's limit, appear in `ListCodes`, can be cancelled,
//! and can be redeemed — exactly once.

use std::time::Duration;

use tandem_protocol::SessionCode;
use tandem_protocol::signal::ErrorKind;

/// Longest customer or portal name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The state stored for a code. Expiry is not stored: it follows from `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredState {
    /// Issued and not used yet.
    Active,
    /// Used by a customer's agent.
    Redeemed,
    /// Withdrawn by the representative.
    Cancelled,
}

impl StoredState {
    /// The value in the `codes.state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            StoredState::Active => "active",
            StoredState::Redeemed => "redeemed",
            StoredState::Cancelled => "cancelled",
        }
    }

    /// Parses the `codes.state` column.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(StoredState::Active),
            "redeemed" => Some(StoredState::Redeemed),
            "cancelled" => Some(StoredState::Cancelled),
            _ => None,
        }
    }
}

/// What a code is at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    /// Usable for this many more seconds (at least 1).
    Active {
        /// Seconds until it expires.
        expires_in_secs: u64,
    },
    /// Never redeemed, and its time is up.
    Expired,
    /// Already used.
    Redeemed,
    /// Withdrawn by the representative.
    Cancelled,
}

/// The status of a code stored as `state` with `expires_at`, at unix time `now`.
/// Redeemed and cancelled win over expiry: they say more about what happened.
pub fn status(state: StoredState, expires_at: i64, now: i64) -> CodeStatus {
    match state {
        StoredState::Redeemed => CodeStatus::Redeemed,
        StoredState::Cancelled => CodeStatus::Cancelled,
        StoredState::Active if now < expires_at => CodeStatus::Active {
            expires_in_secs: u64::try_from(expires_at - now).unwrap_or(1),
        },
        StoredState::Active => CodeStatus::Expired,
    }
}

/// Why a code cannot be used (redeemed, cancelled, joined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    /// No such code (or, for a representative, not one of theirs).
    #[error("this code is not valid; check the digits or ask your representative for a new one")]
    Unknown,
    /// The code's time ran out.
    #[error("this code has expired; ask your representative for a new one")]
    Expired,
    /// The code was used already.
    #[error("this code was already used; ask your representative for a new one")]
    Redeemed,
    /// The representative cancelled it.
    #[error("this code was cancelled by the representative")]
    Cancelled,
}

impl CodeRefusal {
    /// The refusal for a code in `status`, or `None` when it is active.
    pub fn for_status(status: CodeStatus) -> Option<Self> {
        match status {
            CodeStatus::Active { .. } => None,
            CodeStatus::Expired => Some(CodeRefusal::Expired),
            CodeStatus::Redeemed => Some(CodeRefusal::Redeemed),
            CodeStatus::Cancelled => Some(CodeRefusal::Cancelled),
        }
    }

    /// The refusal in words for the representative who owns the code.
    pub fn rep_message(self) -> &'static str {
        match self {
            CodeRefusal::Unknown => "you have no such code",
            CodeRefusal::Expired => "this code has expired",
            CodeRefusal::Redeemed => "this code was already used by the customer",
            CodeRefusal::Cancelled => "this code was cancelled",
        }
    }

    /// The signalling error category.
    pub fn kind(self) -> ErrorKind {
        match self {
            CodeRefusal::Unknown => ErrorKind::CodeUnknown,
            CodeRefusal::Expired => ErrorKind::CodeExpired,
            CodeRefusal::Redeemed => ErrorKind::CodeRedeemed,
            CodeRefusal::Cancelled => ErrorKind::CodeCancelled,
        }
    }
}

/// Checks a customer or portal name typed by a person: trimmed, 1..=100 characters, no
/// control characters. Returns the trimmed name.
pub fn clean_name(raw: &str, what: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(format!("the {what} must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the {what} is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    // Names are shown to the customer next to the app's own words: the same characters as in
    // chat could make one pass for something else.
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(format!("the {what} contains control characters"));
    }
    if name
        .chars()
        .any(tandem_protocol::chat::is_direction_control)
    {
        return Err(format!(
            "the {what} contains a character that changes the direction of text"
        ));
    }
    Ok(name.to_owned())
}

/// The link a customer opens for `code`: `<base>/join/<digits>`.
pub fn join_url(base_url: &str, code: SessionCode) -> String {
    format!("{}/join/{}", base_url.trim_end_matches('/'), code.digits())
}

/// "10 minutes", "1 minute", "45 seconds": a time left, rounded up, for people.
pub fn duration_text(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    if secs < 60 {
        return if secs == 1 {
            "1 second".into()
        } else {
            format!("{secs} seconds")
        };
    }
    let minutes = secs.div_ceil(60);
    if minutes == 1 {
        "1 minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

/// The ready-to-send invitation text for a customer.
pub fn invitation(
    customer: &str,
    rep_name: &str,
    url: &str,
    code: SessionCode,
    left: Duration,
) -> String {
    format!(
        "Dear {customer},\n\nplease click this link to begin your support session with \
         {rep_name}: {url}\n\nIf you are asked for a support code, enter {code}. The code works \
         once and expires in {}.",
        duration_text(left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_carry_line_breaks_or_direction_overrides() {
        assert_eq!(
            clean_name("  Sam Expert ", "name").as_deref(),
            Ok("Sam Expert")
        );
        assert_eq!(
            clean_name("Jürgen Çelik", "name").as_deref(),
            Ok("Jürgen Çelik")
        );
        for bad in [
            "Sam\nType 'accept 2-9'",
            "Sam\u{2028}x",
            "evil\u{202E}txt",
            "a\u{2066}b",
        ] {
            assert!(clean_name(bad, "name").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn active_until_expiry_then_expired() {
        let s = StoredState::Active;
        assert_eq!(
            status(s, 100, 40),
            CodeStatus::Active {
                expires_in_secs: 60
            }
        );
        assert_eq!(
            status(s, 100, 99),
            CodeStatus::Active { expires_in_secs: 1 }
        );
        assert_eq!(status(s, 100, 100), CodeStatus::Expired);
        assert_eq!(status(s, 100, 1000), CodeStatus::Expired);
    }

    #[test]
    fn redeemed_and_cancelled_win_over_expiry() {
        assert_eq!(status(StoredState::Redeemed, 100, 40), CodeStatus::Redeemed);
        assert_eq!(
            status(StoredState::Redeemed, 100, 400),
            CodeStatus::Redeemed
        );
        assert_eq!(
            status(StoredState::Cancelled, 100, 40),
            CodeStatus::Cancelled
        );
        assert_eq!(
            status(StoredState::Cancelled, 100, 400),
            CodeStatus::Cancelled
        );
    }

    #[test]
    fn refusals_match_status() {
        assert_eq!(
            CodeRefusal::for_status(CodeStatus::Active { expires_in_secs: 5 }),
            None
        );
        assert_eq!(
            CodeRefusal::for_status(CodeStatus::Expired),
            Some(CodeRefusal::Expired)
        );
        assert_eq!(CodeRefusal::Expired.kind(), ErrorKind::CodeExpired);
        assert_eq!(CodeRefusal::Redeemed.kind(), ErrorKind::CodeRedeemed);
        assert_eq!(CodeRefusal::Cancelled.kind(), ErrorKind::CodeCancelled);
        assert_eq!(CodeRefusal::Unknown.kind(), ErrorKind::CodeUnknown);
        assert!(CodeRefusal::Redeemed.to_string().contains("already used"));
    }

    #[test]
    fn stored_state_round_trips() {
        for s in [
            StoredState::Active,
            StoredState::Redeemed,
            StoredState::Cancelled,
        ] {
            assert_eq!(StoredState::parse(s.as_str()), Some(s));
        }
        assert_eq!(StoredState::parse("expired"), None);
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("  Alice  ", "customer name"), Ok("Alice".into()));
        assert!(clean_name("   ", "customer name").is_err());
        assert!(clean_name("a\nb", "customer name").is_err());
        assert!(clean_name(&"x".repeat(101), "customer name").is_err());
        assert!(clean_name(&"é".repeat(100), "customer name").is_ok());
    }

    #[test]
    fn texts_for_people() {
        let code: SessionCode = "012345678".parse().expect("valid");
        let url = join_url("https://help.example.com/", code);
        assert_eq!(url, "https://help.example.com/join/012345678");
        let text = invitation("Alice", "Bob", &url, code, Duration::from_secs(600));
        assert!(text.starts_with("Dear Alice,"));
        assert!(text.contains("with Bob: https://help.example.com/join/012345678"));
        assert!(text.contains("enter 012345678"));
        assert!(text.contains("expires in 10 minutes"));
        assert_eq!(duration_text(Duration::from_secs(61)), "2 minutes");
        assert_eq!(duration_text(Duration::from_secs(1)), "1 second");
        assert_eq!(duration_text(Duration::ZERO), "1 second");
    }
}
