//! Identifiers and rights: newtypes that can only be built by parsing, so holding one means
//! it is valid.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use serde::{Deserialize, Serialize};

/// A 9-digit session code. Built only from a CSPRNG ([`SessionCode::random`]) or by parsing
/// ([`SessionCode::from_str`]); leading zeros are significant ("000123456" is a valid code).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionCode(u32);

/// Why a string is not a session code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeParseError {
    /// Not exactly nine digits once spaces and dashes are removed.
    #[error("a session code has exactly 9 digits")]
    WrongLength,
    /// Something other than a digit, space or dash.
    #[error("a session code contains only digits")]
    NotDigits,
}

impl SessionCode {
    /// Number of distinct codes (10⁹).
    pub const SPACE: u32 = 1_000_000_000;

    /// Draws a code uniformly from all 10⁹ codes. `rng` must be a cryptographically secure
    /// generator: codes are bearer secrets for the few minutes they live.
    pub fn random<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        SessionCode(rng.random_range(0..Self::SPACE))
    }

    /// The code as its 9 digits, no separators.
    pub fn digits(&self) -> String {
        format!("{:09}", self.0)
    }

    /// The code for logs: nine stars, no digit at all ("*********"). Even a few digits
    /// would help a guesser (three of nine cut the space a thousandfold), and codes double
    /// as support keys; a log line identifies the session by its number instead.
    pub fn redacted(&self) -> String {
        "*".repeat(9)
    }
}

impl FromStr for SessionCode {
    type Err = CodeParseError;

    /// Accepts "123456789", "123 456 789" and "123-456-789" (as people read codes aloud).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut value: u32 = 0;
        let mut count = 0;
        for c in s.trim().chars() {
            match c {
                ' ' | '-' => continue,
                '0'..='9' => {
                    count += 1;
                    if count > 9 {
                        return Err(CodeParseError::WrongLength);
                    }
                    value = value * 10 + (c as u32 - '0' as u32);
                }
                _ => return Err(CodeParseError::NotDigits),
            }
        }
        if count != 9 {
            return Err(CodeParseError::WrongLength);
        }
        Ok(SessionCode(value))
    }
}

impl TryFrom<String> for SessionCode {
    type Error = CodeParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SessionCode> for String {
    fn from(c: SessionCode) -> String {
        c.digits()
    }
}

impl fmt::Display for SessionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits())
    }
}

impl fmt::Debug for SessionCode {
    /// Debug output is redacted so a code never lands in a log by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionCode({})", self.redacted())
    }
}

/// One participant of a session, unique within it. The portal assigns ids; the customer's
/// agent is always [`AttendeeId::CUSTOMER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttendeeId(u32);

impl AttendeeId {
    /// The customer (the agent's side).
    pub const CUSTOMER: AttendeeId = AttendeeId(1);
    /// The representative who created the code.
    pub const HOST: AttendeeId = AttendeeId(2);

    /// Attendee ids are plain numbers on the wire; any value is a well-formed id.
    pub const fn from_wire(v: u32) -> Self {
        AttendeeId(v)
    }

    /// The id as sent on the wire.
    pub const fn to_wire(self) -> u32 {
        self.0
    }
}

impl fmt::Display for AttendeeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What an attendee may do. A set of independent bits; unknown bits from a newer peer are
/// dropped on parse, so they can never grant anything this version does not understand.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "u32", into = "u32")]
pub struct Rights(u32);

impl Rights {
    /// No rights at all.
    pub const NONE: Rights = Rights(0);
    /// See the customer's screen.
    pub const VIEW: Rights = Rights(1);
    /// Send keyboard and mouse input.
    pub const CONTROL: Rights = Rights(1 << 1);
    /// Chat with the customer.
    pub const CHAT: Rights = Rights(1 << 2);
    /// Send and fetch files.
    pub const FILES: Rights = Rights(1 << 3);
    /// Ask to reboot the customer's machine.
    pub const REBOOT: Rights = Rights(1 << 4);
    /// Read the customer's clipboard and write to it (text and images).
    pub const CLIPBOARD: Rights = Rights(1 << 5);
    const KNOWN: u32 = 0b11_1111;

    /// Everything a host representative gets by default.
    pub const HOST_DEFAULT: Rights = Rights(
        Self::VIEW.0
            | Self::CONTROL.0
            | Self::CHAT.0
            | Self::FILES.0
            | Self::REBOOT.0
            | Self::CLIPBOARD.0,
    );

    /// Parses wire bits, ignoring bits this version does not know.
    pub const fn from_wire(bits: u32) -> Self {
        Rights(bits & Self::KNOWN)
    }

    /// The bits as sent on the wire.
    pub const fn to_wire(self) -> u32 {
        self.0
    }

    /// True when every right in `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets at once.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Only what both sets allow: how consent narrows a grant.
    pub const fn intersect(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// `self` without the rights in `other`.
    pub const fn without(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }

    /// Short human form: "view+control+chat".
    pub fn describe(self) -> String {
        let names = [
            (Self::VIEW, "view"),
            (Self::CONTROL, "control"),
            (Self::CHAT, "chat"),
            (Self::FILES, "files"),
            (Self::REBOOT, "reboot"),
            (Self::CLIPBOARD, "clipboard"),
        ];
        let parts: Vec<&str> = names
            .iter()
            .filter(|(r, _)| self.contains(*r))
            .map(|(_, n)| *n)
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join("+")
        }
    }
}

/// A rights word that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown right '{0}' (use view, control, chat, files, reboot, clipboard joined by '+')")]
pub struct RightsParseError(String);

impl FromStr for Rights {
    type Err = RightsParseError;

    /// Parses [`Rights::describe`]'s form: "view+control", "none". "control" alone means
    /// view and control (nobody controls a screen they cannot see).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut r = Rights::NONE;
        for word in s.split('+').map(str::trim) {
            r = r.union(match word {
                "none" => Rights::NONE,
                "view" => Rights::VIEW,
                "control" => Rights::VIEW.union(Rights::CONTROL),
                "chat" => Rights::CHAT,
                "files" => Rights::FILES,
                "reboot" => Rights::REBOOT,
                "clipboard" => Rights::CLIPBOARD,
                other => return Err(RightsParseError(other.to_owned())),
            });
        }
        Ok(r)
    }
}

impl From<u32> for Rights {
    fn from(bits: u32) -> Self {
        Rights::from_wire(bits)
    }
}

impl From<Rights> for u32 {
    fn from(r: Rights) -> u32 {
        r.0
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rights({})", self.describe())
    }
}

/// The part an attendee plays in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// The person whose machine runs the agent.
    Customer,
    /// The representative who created the session code.
    Host,
    /// A representative invited by the host.
    Representative,
    /// An external specialist without a representative account.
    Specialist,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_with_separators_and_keep_leading_zeros() {
        let c: SessionCode = "012-345 678".parse().expect("valid");
        assert_eq!(c.digits(), "012345678");
        assert_eq!(c.to_string(), "012345678");
        assert_eq!(c.redacted(), "*********");
        let debug = format!("{c:?}");
        assert_eq!(debug, "SessionCode(*********)");
        assert!(!debug.chars().any(|d| d.is_ascii_digit()), "{debug}");
    }

    #[test]
    fn bad_codes_are_refused() {
        assert_eq!(
            "12345678".parse::<SessionCode>(),
            Err(CodeParseError::WrongLength)
        );
        assert_eq!(
            "1234567890".parse::<SessionCode>(),
            Err(CodeParseError::WrongLength)
        );
        assert_eq!(
            "12345678x".parse::<SessionCode>(),
            Err(CodeParseError::NotDigits)
        );
        assert_eq!("".parse::<SessionCode>(), Err(CodeParseError::WrongLength));
        assert_eq!(
            "９２３４５６７８９".parse::<SessionCode>(),
            Err(CodeParseError::NotDigits)
        );
    }

    #[test]
    fn random_codes_cover_the_space() {
        let mut rng = rand::rng();
        let codes: std::collections::HashSet<_> =
            (0..1000).map(|_| SessionCode::random(&mut rng)).collect();
        assert!(codes.len() > 990, "collisions in 1000 draws from 10^9");
        assert!(codes.iter().any(|c| c.digits().starts_with('0')) || codes.len() == 1000);
    }

    #[test]
    fn rights_words_round_trip() {
        for r in [
            Rights::VIEW,
            Rights::HOST_DEFAULT,
            Rights::VIEW.union(Rights::CHAT),
        ] {
            assert_eq!(r.describe().parse::<Rights>(), Ok(r));
        }
        assert_eq!(
            "control".parse::<Rights>(),
            Ok(Rights::VIEW.union(Rights::CONTROL))
        );
        assert_eq!("none".parse::<Rights>(), Ok(Rights::NONE));
        assert!("view+root".parse::<Rights>().is_err());
    }

    #[test]
    fn unknown_right_bits_are_dropped() {
        let r = Rights::from_wire(0xFFFF_FFFF);
        assert_eq!(r, Rights::HOST_DEFAULT);
        assert!(Rights::HOST_DEFAULT.contains(Rights::CONTROL));
        assert!(!Rights::VIEW.contains(Rights::CONTROL));
        assert_eq!(Rights::HOST_DEFAULT.intersect(Rights::VIEW), Rights::VIEW);
        assert_eq!(Rights::VIEW.union(Rights::CHAT).describe(), "view+chat");
    }
}
