//! What signalling messages carry: codes, attendees, invitations, WebRTC payloads, errors.

use serde::{Deserialize, Serialize};

use crate::ids::{AttendeeId, Rights, Role, SessionCode};

/// An active code as a representative sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeInfo {
    /// The 9-digit code.
    pub code: SessionCode,
    /// The customer's name.
    pub customer: String,
    /// The customer portal.
    pub portal: String,
    /// Seconds left before it expires.
    pub expires_in_secs: u64,
    /// Link that takes the customer to the code's portal page.
    pub join_url: String,
    /// Ready-to-send invitation text containing the link.
    pub invitation: String,
}

/// An attendee as the agent (and the roster) sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendeeInfo {
    /// Unique in the session.
    pub id: AttendeeId,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Rights granted by the portal for this session.
    pub rights: Rights,
    /// Hidden from the customer (invited representatives only).
    #[serde(default)]
    pub masked: bool,
}

/// Whom the host invites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InviteTarget {
    /// One representative by account name.
    Rep {
        /// Account name.
        user: String,
    },
    /// Every representative logged in on this portal; the first to accept joins.
    Portal {
        /// Portal name.
        portal: String,
    },
}

/// A logged-in representative as the host sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepPresence {
    /// Account name.
    pub user: String,
    /// Display name.
    pub name: String,
    /// The portal they work on.
    pub portal: String,
    /// Sessions they are in now.
    pub active_sessions: u32,
}

/// An invitation as the invited representative sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepInvitation {
    /// Answer with this id.
    pub id: u64,
    /// The session.
    pub session: u64,
    /// Who invites.
    pub host: String,
    /// The customer.
    pub customer: String,
    /// The host's comment (never shown to the customer).
    pub comment: String,
    /// Rights on accepting.
    pub rights: Rights,
    /// Whether they will be hidden from the customer.
    pub masked: bool,
}

/// A specialist invitation as the host gets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecialistInvitation {
    /// The 9-digit support key.
    pub key: SessionCode,
    /// Link to the portal's code page with the key.
    pub join_url: String,
    /// Ready email text: link, support key and the granted rights.
    pub email: String,
    /// Rights granted.
    pub rights: Rights,
}

/// WebRTC negotiation data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignalPayload {
    /// SDP offer (with gathered candidates).
    Offer {
        /// The session description.
        sdp: String,
    },
    /// SDP answer (with gathered candidates).
    Answer {
        /// The session description.
        sdp: String,
    },
    /// The agent found no direct path to this attendee and asks the portal for a relay
    /// (agent → portal only; the portal answers both ends with [`SignalPayload::Relay`]).
    RelayRequest,
    /// Portal → each end: connect to the portal's relay with this one-use token.
    Relay {
        /// Capability for one relay connection; never logged.
        token: String,
    },
}

/// Categories of portal errors, so clients can react without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The message was malformed or not allowed in this state.
    BadRequest,
    /// Not logged in, or wrong user name or password.
    Unauthorized,
    /// No such code.
    CodeUnknown,
    /// The code's time ran out.
    CodeExpired,
    /// The code was already used.
    CodeRedeemed,
    /// The representative cancelled the code.
    CodeCancelled,
    /// The representative has the maximum number of active codes.
    TooManyCodes,
    /// The session already has the most specialists it admits.
    TooManySpecialists,
    /// The invitation is gone (accepted by someone else, cancelled, expired).
    InvitationGone,
    /// Only the host may do that.
    NotHost,
    /// Too many attempts from this address; try later.
    RateLimited,
    /// The session does not exist or has ended.
    SessionGone,
    /// No such customer portal.
    PortalUnknown,
    /// The portal is closed, or nobody who could take the request is logged in.
    NobodyAvailable,
    /// Too many customers wait in the portal's queue.
    QueueFull,
    /// The help request is gone (withdrawn, taken by someone else, ended).
    RequestGone,
    /// The mail server could not be reached or refused the message.
    MailFailed,
    /// The password was right; the account also needs the code from its authenticator app.
    SecondFactor,
    /// Something failed inside the portal.
    Internal,
}

/// Something that happened between the customer's agent and an attendee, which the portal
/// cannot see (it travels peer to peer): the agent reports it for the session's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SessionActivity {
    /// A file went between the customer and an attendee, complete and verified.
    File {
        /// The attendee on the other end.
        attendee: AttendeeId,
        /// The file's name (no folders).
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Its SHA-256, lowercase hex.
        sha256: String,
        /// It went to the customer (else it came from the customer).
        to_customer: bool,
    },
    /// An attendee listed a folder the customer shares.
    FolderListing {
        /// Who.
        attendee: AttendeeId,
        /// The folder, relative to the shared one.
        folder: String,
    },
    /// The customer's machine reboots at an attendee's request.
    Reboot {
        /// Who asked.
        attendee: AttendeeId,
    },
}

/// What the portal's policy says about recording a session (sent in `Redeemed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingTerms {
    /// A customer who refuses recording ends the session (else it goes on unrecorded).
    pub required: bool,
}
