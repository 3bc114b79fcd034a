//! Signalling between the portal and its clients (agents and viewers): JSON objects over one
//! WebSocket per client, tagged by `"type"`. Unknown types fail to parse on purpose; the
//! portal answers them with [`PortalMessage::Error`] rather than guessing.
//!
//! The portal relays [`SignalPayload`]s between the agent and each attendee but never sees
//! screen contents: those travel on the WebRTC data channels (see [`crate::wire`]).

use serde::{Deserialize, Serialize};

use crate::ids::{AttendeeId, Rights, Role, SessionCode};

/// Version of this signalling vocabulary; sent in [`ClientMessage::Hello`].
pub const SIGNAL_VERSION: u16 = 1;

/// What an agent or viewer sends to the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientMessage {
    /// First message on every connection.
    Hello {
        /// [`SIGNAL_VERSION`] of the client.
        version: u16,
        /// Free-form product string ("tandem-agent 0.1.0"), for the audit log.
        client: String,
    },
    /// A representative logs in.
    Login {
        /// Account name.
        user: String,
        /// Password; only ever compared against its Argon2id hash.
        password: String,
    },
    /// A logged-in representative creates a code for a customer.
    CreateCode {
        /// The customer's name as the representative typed it.
        customer: String,
        /// The customer portal the code belongs to (`None` = the default portal).
        portal: Option<String>,
    },
    /// List this representative's active codes.
    ListCodes,
    /// Cancel an active code.
    CancelCode {
        /// The code to cancel.
        code: SessionCode,
    },
    /// The host joins the session of one of its codes; answered once the customer redeemed it.
    JoinSession {
        /// The code the host created.
        code: SessionCode,
    },
    /// The customer's agent redeems a code.
    Redeem {
        /// The code the customer was given.
        code: SessionCode,
        /// Who is at the machine ("alice@laptop"), shown to the representative.
        customer: String,
    },
    /// WebRTC negotiation for a peer connection with attendee `to`.
    Signal {
        /// The other end of the peer connection.
        to: AttendeeId,
        /// Offer, answer or candidate.
        payload: SignalPayload,
    },
    /// The customer's consent, reported for the session record and to the host.
    Consent {
        /// The attendee the consent is for.
        attendee: AttendeeId,
        /// The rights the customer allowed (a subset of what was granted).
        allowed: Rights,
    },
    /// Leave (viewer) or end (agent, host) the session.
    EndSession {
        /// Shown to everyone else.
        reason: String,
    },
}

/// What the portal sends to an agent or viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PortalMessage {
    /// Answer to [`ClientMessage::Hello`].
    Welcome {
        /// The portal's [`SIGNAL_VERSION`].
        version: u16,
    },
    /// Login accepted.
    LoggedIn {
        /// The representative's display name.
        name: String,
    },
    /// A new code.
    CodeCreated(CodeInfo),
    /// This representative's active codes.
    Codes {
        /// Newest first.
        codes: Vec<CodeInfo>,
    },
    /// The code is cancelled and admits nobody.
    CodeCancelled {
        /// The cancelled code.
        code: SessionCode,
    },
    /// To the agent: its code was accepted and a session exists.
    Redeemed {
        /// The session's number in the portal's records.
        session: u64,
        /// The agent's own attendee id.
        you: AttendeeId,
        /// Who asked for the session (the host representative).
        host: AttendeeInfo,
    },
    /// To a viewer: it is now an attendee of the session.
    Joined {
        /// The session's number in the portal's records.
        session: u64,
        /// The viewer's own attendee id.
        you: AttendeeId,
        /// The customer's name.
        customer: String,
        /// Rights the portal granted this attendee (the customer may narrow them).
        rights: Rights,
    },
    /// To the agent: someone joined and wants a peer connection.
    AttendeeJoined(AttendeeInfo),
    /// An attendee left.
    AttendeeLeft {
        /// Who left.
        attendee: AttendeeId,
    },
    /// To the host: what the customer allowed.
    Consent {
        /// Whose rights.
        attendee: AttendeeId,
        /// What the customer allowed.
        allowed: Rights,
    },
    /// WebRTC negotiation relayed from attendee `from`.
    Signal {
        /// Who sent it.
        from: AttendeeId,
        /// Offer, answer or candidate.
        payload: SignalPayload,
    },
    /// The session is over.
    SessionEnded {
        /// Why, in words for a person.
        reason: String,
    },
    /// A request failed.
    Error {
        /// Machine-readable category.
        kind: ErrorKind,
        /// Words for a person.
        message: String,
    },
}

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
    /// Too many attempts from this address; try later.
    RateLimited,
    /// The session does not exist or has ended.
    SessionGone,
    /// Something failed inside the portal.
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_a_stable_json_shape() {
        let code: SessionCode = "012345678".parse().expect("valid");
        let m = ClientMessage::Redeem {
            code,
            customer: "alice@pc".into(),
        };
        assert_eq!(
            serde_json::to_string(&m).expect("serialises"),
            r#"{"type":"redeem","code":"012345678","customer":"alice@pc"}"#
        );
        let e = PortalMessage::Error {
            kind: ErrorKind::CodeExpired,
            message: "x".into(),
        };
        assert_eq!(
            serde_json::to_string(&e).expect("serialises"),
            r#"{"type":"error","kind":"code_expired","message":"x"}"#
        );
    }

    #[test]
    fn malformed_codes_do_not_parse() {
        let bad = r#"{"type":"redeem","code":"12345","customer":"a"}"#;
        assert!(serde_json::from_str::<ClientMessage>(bad).is_err());
        let unknown = r#"{"type":"format_disk"}"#;
        assert!(serde_json::from_str::<ClientMessage>(unknown).is_err());
    }
}
