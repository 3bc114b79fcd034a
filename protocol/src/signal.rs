//! Signalling between the portal and its clients (agents and viewers): JSON objects over one
//! WebSocket per client, tagged by `"type"`. Unknown types fail to parse on purpose; the
//! portal answers them with [`PortalMessage::Error`] rather than guessing.
//!
//! The portal relays [`SignalPayload`]s between the agent and each attendee but never sees
//! screen contents: those travel on the WebRTC data channels (see [`crate::wire`]).

use serde::{Deserialize, Serialize};

use crate::ids::{AttendeeId, Rights, SessionCode};
pub use crate::management::{ManageRequest, ManagementView};

pub use crate::front_desk::{
    ChatStart, FieldKind, FieldSpec, FieldValue, Outcome, PortalAvailability, PortalMode,
    PortalPage, Query, QueueLength, RepCard, RequestState,
};
#[path = "signal_types.rs"]
mod types;
pub use types::{
    AttendeeInfo, CodeInfo, ErrorKind, InviteTarget, RecordingTerms, RepInvitation, RepPresence,
    SessionActivity, SignalPayload, SpecialistInvitation,
};

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
        /// The code from their authenticator app, when their account has a second factor
        /// (asked for with [`ErrorKind::SecondFactor`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otp: Option<String>,
    },
    /// List the representatives logged in now, with their portal and active sessions.
    ListReps,
    /// From the customer's agent: something that happened peer to peer, for the record.
    Activity(SessionActivity),
    /// The management pages (administrators only): answered with `Management`.
    Manage(ManageRequest),
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
    /// A customer's browser opens a customer portal's page; answered with
    /// [`PortalMessage::Portal`], sent again whenever the page would change.
    OpenPortal {
        /// The portal's name (`/p/<name>`).
        portal: String,
    },
    /// A customer asks for help on a Web- or Queue-mode portal (no code).
    RequestHelp {
        /// The portal's name.
        portal: String,
        /// The customer's name.
        customer: String,
        /// SmartBox and Queue: the question.
        #[serde(default)]
        question: String,
        /// SmartBox and Queue: one value per field of the portal, in its order.
        #[serde(default)]
        fields: Vec<String>,
        /// SmartMatch: the chosen representative's [`RepCard::handle`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rep: Option<String>,
    },
    /// The customer withdraws their request (the page also does so by closing).
    WithdrawRequest {
        /// From [`PortalMessage::RequestStatus`].
        request: u64,
    },
    /// A Web Chat line, from the customer's page or the representative's console.
    WebChat {
        /// The request the chat belongs to.
        request: u64,
        /// The text.
        text: String,
    },
    /// A representative is (not) taking Queue-mode requests now.
    SetAccepting {
        /// Taking requests.
        accepting: bool,
    },
    /// A representative takes a request from their List View.
    AcceptRequest {
        /// From [`Query::request`].
        request: u64,
    },
    /// The representative of a Web Chat asks the customer to start the customer app.
    EscalateRequest {
        /// The request.
        request: u64,
    },
    /// The representative closes a Web Chat (with notes and an outcome for the record).
    CloseRequest {
        /// The request.
        request: u64,
        /// End-of-session notes.
        #[serde(default)]
        notes: String,
        /// Resolved or not.
        outcome: Outcome,
    },
    /// A representative sends one of their codes' invitations by email.
    EmailCode {
        /// The code.
        code: SessionCode,
        /// The customer's address.
        to: String,
        /// The invitation's language ("en", "de"…); the portal's default when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    /// The host stores end-of-session notes and an outcome with a session's record.
    SaveNotes {
        /// The session (from [`PortalMessage::Joined`]).
        session: u64,
        /// The notes.
        notes: String,
        /// Resolved or not.
        outcome: Outcome,
    },
    /// A representative's console asks for a ticket that opens a panel on the session of one
    /// of its codes ([`ClientMessage::OpenSessionPanel`], on a connection of its own).
    PanelTicket {
        /// The code.
        code: SessionCode,
    },
    /// A new connection becomes the host's console panel on a session: it sees what the host
    /// sees and acts as the host, with no screen. Answered with `Joined` once the session
    /// runs (`PanelWaiting` until then).
    OpenSessionPanel {
        /// From [`PortalMessage::PanelTicket`]; works once, for a minute.
        ticket: String,
    },
    /// A console panel starts watching the screen in the browser: the connection stops being
    /// a panel and takes the host's seat, as the host's viewer joining with the code would
    /// (answered with `Joined`; refused while another viewer holds the seat).
    WatchSession,
    /// The agent: whether the customer lets the session be recorded (asked because
    /// `Redeemed` carried recording terms, or again after a resume).
    Recording {
        /// The customer agreed.
        allowed: bool,
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
        /// The portal's address as the native viewer is given it (`https://host:port`, with
        /// `#pin=sha256:…` when the certificate is self-signed): the console's "Open in viewer"
        /// link carries it. Absent from older portals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        portal_url: Option<String>,
        /// An administrator: the console offers the management pages.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        admin: bool,
        /// A team manager: the console offers the management pages for their teams.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        manager: bool,
        /// May see session reports (everyone's, their teams' or their own).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reports: bool,
        /// The functions the policy allows them on their portal (names, see
        /// [`crate::management`]); later changes come as `Functions`. Absent from older
        /// portals: everything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        functions: Option<Vec<String>>,
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
        /// The portal records this session if the customer agrees (the customer is asked
        /// before anything is shown); absent: not recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recording: Option<RecordingTerms>,
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
    /// A customer portal's page (answer to [`ClientMessage::OpenPortal`], and its updates).
    Portal(PortalPage),
    /// To an administrator: the management state, after every change.
    Management(ManagementView),
    /// A session report.
    Report(crate::reports::ReportView),
    /// To a representative: their own second factor, after a request about it.
    SecondFactor(crate::management::SecondFactorView),
    /// To a representative: the functions the policy allows them (on their portal), at
    /// login and whenever the policy changes; the console hides the rest.
    Functions {
        /// Function names (see [`crate::management`]).
        allowed: Vec<String>,
    },
    /// To a customer's page: where their help request stands.
    RequestStatus {
        /// The request.
        request: u64,
        /// Its state.
        state: RequestState,
    },
    /// To a representative: their List View, whole, whenever it changes.
    Queries {
        /// Requests offered to them, oldest first.
        queries: Vec<Query>,
        /// Queue-mode portals they work on and how many wait there.
        queues: Vec<QueueLength>,
        /// Whether they take Queue-mode requests now.
        accepting: bool,
    },
    /// To the representative who accepted a request first.
    RequestTaken {
        /// The request.
        request: u64,
        /// The customer's name.
        customer: String,
        /// The portal.
        portal: String,
        /// Web Chat first, or the customer app now.
        chat_start: ChatStart,
        /// The session's code once the customer app is needed (at once for Download).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<CodeInfo>,
    },
    /// A Web Chat line (to the customer's page and the representative's console).
    WebChat {
        /// The request the chat belongs to.
        request: u64,
        /// Written by the customer (else by the representative).
        from_customer: bool,
        /// The writer's name.
        name: String,
        /// The text.
        text: String,
    },
    /// The invitation email was handed to the mail server.
    CodeEmailed {
        /// The code.
        code: SessionCode,
        /// The address.
        to: String,
    },
    /// Notes and outcome are stored with the record.
    NotesSaved {
        /// The session.
        session: u64,
    },
    /// A ticket for [`ClientMessage::OpenSessionPanel`].
    PanelTicket {
        /// The code it is for.
        code: SessionCode,
        /// The ticket; a secret of this console, never shown or logged.
        ticket: String,
    },
    /// To a panel: its session starts when the customer redeems the code.
    PanelWaiting {
        /// The code.
        code: SessionCode,
    },
    /// To the agent that let the session be recorded: where to send the recording
    /// (`/record/<token>`, one connection). A secret of this connection: never logged.
    RecordingToken {
        /// The token.
        token: String,
    },
    /// To a console: a one-use address (same origin, a minute) of a session's recording.
    Recording {
        /// The session.
        session: u64,
        /// The path to fetch; a secret of this console, never logged.
        url: String,
    },
    /// A request failed.
    Error {
        /// Machine-readable category.
        kind: ErrorKind,
        /// Words for a person.
        message: String,
    },
}

#[cfg(test)]
#[path = "signal_tests.rs"]
mod tests;

#[path = "signal_kinds.rs"]
mod kinds;
