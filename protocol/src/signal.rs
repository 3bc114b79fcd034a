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
        /// The customer portal the representative works on (`None` = the default portal).
        #[serde(default)]
        portal: Option<String>,
    },
    /// List the representatives logged in now, with their portal and active sessions.
    ListReps,
    /// The host invites representatives into its session.
    InviteReps {
        /// One representative, or everyone logged in on a portal (first to accept joins).
        target: InviteTarget,
        /// Rights they get on accepting.
        rights: Rights,
        /// Hidden from the customer.
        masked: bool,
        /// Shown only to the invited representatives.
        comment: String,
    },
    /// An invited representative accepts.
    AcceptInvitation {
        /// From [`RepInvitation::id`].
        invitation: u64,
    },
    /// An invited representative whose connection was lost (or whose portal restarted)
    /// comes back to its place in `session`: same attendee id, same rights.
    ReturnToSession {
        /// From [`PortalMessage::Joined`].
        session: u64,
    },
    /// An invited representative declines.
    DeclineInvitation {
        /// From [`RepInvitation::id`].
        invitation: u64,
    },
    /// The host invites an external specialist.
    InviteSpecialist {
        /// View only, or view and control.
        rights: Rights,
    },
    /// The host cancels a specialist invitation; its key admits nobody new and lets nobody
    /// back after a lost connection (those present stay).
    CancelSpecialistInvitation {
        /// The invitation's support key.
        key: SessionCode,
    },
    /// An external specialist joins with a support key (no account).
    JoinAsSpecialist {
        /// The support key.
        key: SessionCode,
        /// The specialist's name, shown to everyone.
        name: String,
        /// The `t=` token of the invitation link, when joining from it (not when the key was
        /// typed): checked before the per-address limit on wrong keys.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_token: Option<String>,
        /// The `seat_token` of an earlier [`PortalMessage::Joined`] with this key, when coming
        /// back after a lost connection: the portal puts the specialist back in that seat
        /// (same attendee id, the rights it held when its connection dropped), never in one
        /// with the key's rights. A token that names no seat of this key is refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seat_token: Option<String>,
    },
    /// The host replaces an attendee's whole grant. Kept for older viewers: it drops every
    /// right it does not name, so viewers send [`ClientMessage::ChangeRights`] instead.
    SetRights {
        /// Whose.
        attendee: AttendeeId,
        /// The new grant.
        rights: Rights,
    },
    /// The host adds and takes away rights of an attendee; rights named in neither set stay
    /// as they are. The portal applies it to the grant in force when it arrives, so two
    /// changes in a row never undo each other's rights.
    ChangeRights {
        /// Whose.
        attendee: AttendeeId,
        /// Rights added.
        #[serde(default)]
        grant: Rights,
        /// Rights taken away.
        #[serde(default)]
        revoke: Rights,
    },
    /// The host removes an attendee from the session.
    RemoveAttendee {
        /// Whom.
        attendee: AttendeeId,
    },
    /// A chat message to the session.
    Chat {
        /// The text.
        text: String,
        /// Only for representatives (never shown to the customer or specialists).
        #[serde(default)]
        reps_only: bool,
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
    /// The customer's agent comes back to a session after a reboot or a lost connection.
    Resume {
        /// The session it was in.
        session: u64,
        /// The secret it got in [`PortalMessage::Redeemed`].
        secret: String,
    },
    /// The customer's agent redeems a code.
    Redeem {
        /// The code the customer was given.
        code: SessionCode,
        /// Who is at the machine ("alice@laptop"), shown to the representative.
        customer: String,
        /// The `t=` token of the join link, when the agent was started from one (not for a
        /// typed code): checked before the per-address limit on wrong codes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_token: Option<String>,
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
        /// Lets the agent come back with [`ClientMessage::Resume`] after a reboot or a lost
        /// connection, within the portal's resume window. Keep it secret.
        #[serde(default)]
        resume_secret: String,
    },
    /// To the agent: it is back in its session; `AttendeeJoined` for everyone present follows.
    Resumed {
        /// The session.
        session: u64,
        /// The agent's attendee id.
        you: AttendeeId,
        /// The host.
        host: AttendeeInfo,
    },
    /// To attendees: the customer's machine is gone for now (reboot, network); the session
    /// waits for it.
    CustomerAway {
        /// Words for a person.
        reason: String,
        /// Seconds the portal keeps the session waiting.
        wait_secs: u64,
    },
    /// To attendees: the customer's machine is back; a new connection offer follows.
    CustomerBack,
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
        /// To a specialist that took a new seat: what gets it back into this seat after a
        /// lost connection (`seat_token` in [`ClientMessage::JoinAsSpecialist`]). A secret of
        /// this connection: never shown or logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seat_token: Option<String>,
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
    /// Representatives logged in now.
    Reps {
        /// One entry per representative.
        reps: Vec<RepPresence>,
    },
    /// To an invited representative: an alert to accept or decline.
    Invitation(RepInvitation),
    /// To an invited representative: the invitation is gone (someone else accepted, the host
    /// cancelled or the session ended).
    InvitationWithdrawn {
        /// Which.
        invitation: u64,
    },
    /// To the host: what became of an invitation.
    InvitationAnswered {
        /// Which.
        invitation: u64,
        /// Who answered.
        by: String,
        /// Accepted (true) or declined.
        accepted: bool,
    },
    /// To the host: a specialist invitation was created.
    SpecialistInvited(SpecialistInvitation),
    /// To the host: a specialist invitation was cancelled (by the host, or because the host
    /// removed a specialist who joined with it).
    SpecialistInvitationCancelled {
        /// Its support key.
        key: SessionCode,
    },
    /// To the agent: the host changed an attendee's rights. `seq` increases with every grant
    /// of the session, so a replayed grant is recognisable.
    Grant {
        /// Whose rights.
        attendee: AttendeeId,
        /// The new grant.
        rights: Rights,
        /// Strictly increasing per session, starting at 1.
        seq: u64,
    },
    /// Everyone in the session as the recipient may see them (sent on every change).
    Roster {
        /// Attendees, customer excluded.
        attendees: Vec<AttendeeInfo>,
    },
    /// A chat message.
    Chat {
        /// Sender.
        from: AttendeeId,
        /// Sender's name.
        name: String,
        /// The text.
        text: String,
        /// Representatives only.
        reps_only: bool,
    },
    /// A request failed.
    Error {
        /// Machine-readable category.
        kind: ErrorKind,
        /// Words for a person.
        message: String,
    },
}

impl PortalMessage {
    /// The message's type as on the wire ("redeemed", "signal"…), for logs and errors: the
    /// derived `Debug` shows every field, and fields hold codes, keys in links and
    /// invitation texts, resume secrets, seat tokens and SDP, none of which may reach a log.
    pub fn kind(&self) -> &'static str {
        match self {
            PortalMessage::Welcome { .. } => "welcome",
            PortalMessage::LoggedIn { .. } => "logged_in",
            PortalMessage::CodeCreated(_) => "code_created",
            PortalMessage::Codes { .. } => "codes",
            PortalMessage::CodeCancelled { .. } => "code_cancelled",
            PortalMessage::Redeemed { .. } => "redeemed",
            PortalMessage::Resumed { .. } => "resumed",
            PortalMessage::CustomerAway { .. } => "customer_away",
            PortalMessage::CustomerBack => "customer_back",
            PortalMessage::Joined { .. } => "joined",
            PortalMessage::AttendeeJoined(_) => "attendee_joined",
            PortalMessage::AttendeeLeft { .. } => "attendee_left",
            PortalMessage::Consent { .. } => "consent",
            PortalMessage::Signal { .. } => "signal",
            PortalMessage::SessionEnded { .. } => "session_ended",
            PortalMessage::Reps { .. } => "reps",
            PortalMessage::Invitation(_) => "invitation",
            PortalMessage::InvitationWithdrawn { .. } => "invitation_withdrawn",
            PortalMessage::InvitationAnswered { .. } => "invitation_answered",
            PortalMessage::SpecialistInvited(_) => "specialist_invited",
            PortalMessage::SpecialistInvitationCancelled { .. } => {
                "specialist_invitation_cancelled"
            }
            PortalMessage::Grant { .. } => "grant",
            PortalMessage::Roster { .. } => "roster",
            PortalMessage::Chat { .. } => "chat",
            PortalMessage::Error { .. } => "error",
        }
    }
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
    /// Something failed inside the portal.
    Internal,
}

#[cfg(test)]
#[path = "signal_tests.rs"]
mod tests;
