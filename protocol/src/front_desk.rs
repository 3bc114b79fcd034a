//! The front of house as it travels over signalling: customer portals and their modes, help
//! requests a customer sends without a code, their state as the customer's page shows it, and
//! the queries a representative's List View shows.
//!
//! The browser pages and the native clients speak these same JSON shapes; the web app's
//! TypeScript declarations are checked against samples a test writes from these types.

use serde::{Deserialize, Serialize};

use crate::ids::SessionCode;

/// How a customer portal starts a support session (the GoToAssist modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortalMode {
    /// Phone mode: the customer types a 9-digit code a representative made for this portal.
    SmartPin,
    /// Web mode, one button: the request goes to every representative on the portal.
    SmartButton,
    /// Web mode, a question and the portal's fields, sent to every representative on it.
    SmartBox,
    /// Web mode: the customer picks one of the representatives logged in on the portal.
    SmartMatch,
    /// Queue mode: the SmartBox form; requests go round-robin to available representatives.
    Queue,
}

impl PortalMode {
    /// Every mode, in the order an administrator sees them.
    pub const ALL: [PortalMode; 5] = [
        PortalMode::SmartPin,
        PortalMode::SmartButton,
        PortalMode::SmartBox,
        PortalMode::SmartMatch,
        PortalMode::Queue,
    ];

    /// The mode's name on the wire and in configuration ("smart_box").
    pub fn as_str(self) -> &'static str {
        match self {
            PortalMode::SmartPin => "smart_pin",
            PortalMode::SmartButton => "smart_button",
            PortalMode::SmartBox => "smart_box",
            PortalMode::SmartMatch => "smart_match",
            PortalMode::Queue => "queue",
        }
    }

    /// Parses [`PortalMode::as_str`].
    pub fn parse(text: &str) -> Option<PortalMode> {
        PortalMode::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Whether the customer fills in the portal's question and fields.
    pub fn has_form(self) -> bool {
        matches!(self, PortalMode::SmartBox | PortalMode::Queue)
    }
}

/// Where a session from a web request starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatStart {
    /// Chat in the customer's browser first; the representative escalates to the customer
    /// app when the screen is needed.
    WebChat,
    /// Straight to the customer app (its chat is in its window).
    Download,
}

impl ChatStart {
    /// The name on the wire and in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatStart::WebChat => "web_chat",
            ChatStart::Download => "download",
        }
    }

    /// Parses [`ChatStart::as_str`].
    pub fn parse(text: &str) -> Option<ChatStart> {
        [ChatStart::WebChat, ChatStart::Download]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// What a SmartBox field accepts; checked by the portal, not only by the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines.
    LongText,
    /// An email address.
    Email,
    /// A telephone number: digits, spaces, `+ - ( ) .`.
    Phone,
    /// Digits only.
    Number,
}

/// One field an administrator put on a SmartBox or Queue portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// Shown beside the input.
    pub label: String,
    /// The request is refused without it.
    pub required: bool,
    /// What it accepts.
    pub kind: FieldKind,
}

/// A representative the customer may pick on a SmartMatch portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepCard {
    /// Names the representative in [`crate::signal::ClientMessage::RequestHelp`]; not their
    /// login name (strangers see it).
    pub handle: String,
    /// Display name.
    pub name: String,
}

/// Whether a portal takes requests now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortalAvailability {
    /// Requests (or codes) are taken.
    Open,
    /// Open, but no representative is logged in on it now.
    NobodyOnline,
    /// The administrator closed it.
    Closed,
}

/// A customer portal as its page shows it; sent again whenever it changes (representatives
/// logging in or out, the queue growing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalPage {
    /// The name in its address, `/p/<name>`.
    pub name: String,
    /// Its title ("Acme IT help").
    pub title: String,
    /// How it starts sessions.
    pub mode: PortalMode,
    /// Web Chat first, or straight to the customer app.
    pub chat_start: ChatStart,
    /// The form's fields (SmartBox and Queue).
    pub fields: Vec<FieldSpec>,
    /// Open, nobody online, or closed.
    pub availability: PortalAvailability,
    /// SmartMatch: the representatives to choose from; empty otherwise.
    pub reps: Vec<RepCard>,
    /// Queue mode: customers waiting now.
    pub queue_length: u32,
}

/// A help request as the customer's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    /// Nobody has accepted it yet.
    Waiting {
        /// Queue mode: 1 means next in line; absent in Web mode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u32>,
        /// Queue mode: the estimated wait in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimated_wait_secs: Option<u64>,
        /// Representatives logged in on the portal now.
        reps_online: u32,
    },
    /// A representative has it in front of them now.
    Ringing,
    /// A representative took it.
    Accepted {
        /// Their display name.
        rep_name: String,
        /// Chat in this page first, or the customer app now.
        chat_start: ChatStart,
    },
    /// The representative wants to see the screen: start the customer app with this link.
    AppNeeded {
        /// The join page (which offers the customer app) for the session's code.
        join_url: String,
        /// The code, for the customer app's code field.
        code: SessionCode,
    },
    /// The customer app joined: the session shares the screen now.
    InSession,
    /// It is over; the sentence says why.
    Ended {
        /// Words for the customer.
        reason: String,
    },
}

/// One label and value of a SmartBox form, as the representative reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    /// The field's label.
    pub label: String,
    /// What the customer typed (may be empty for an optional field).
    pub value: String,
}

/// An incoming request in a representative's List View.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Answer with this id.
    pub request: u64,
    /// The portal it came from.
    pub portal: String,
    /// The portal's mode.
    pub mode: PortalMode,
    /// The customer's name as they typed it.
    pub customer: String,
    /// Their question (empty for SmartButton and SmartMatch).
    pub question: String,
    /// The form's other fields.
    pub fields: Vec<FieldValue>,
    /// Seconds since the customer asked.
    pub waiting_secs: u64,
    /// Queue mode: seconds before the offer moves on to the next representative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_expires_in_secs: Option<u64>,
}

/// Customers waiting on one Queue-mode portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueLength {
    /// The portal.
    pub portal: String,
    /// How many wait.
    pub waiting: u32,
}

/// How a session ended, as the representative records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The customer's problem is solved.
    Resolved,
    /// It is not.
    Unresolved,
}

impl Outcome {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Unresolved => "unresolved",
        }
    }
}
