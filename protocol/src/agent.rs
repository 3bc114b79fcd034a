//! The agent's side of a session: one state machine for all attendees.
//!
//! Calling order (as quinn-proto's `Connection`): feed inputs with `handle_*`, then drain
//! [`AgentSession::poll_transmit`] and [`AgentSession::poll_event`] until both return
//! `None`, then arm a timer for [`AgentSession::poll_timeout`] and call
//! [`AgentSession::handle_timeout`] when it fires. `now` is always passed in.
//!
//! The shell injects input only when an [`AgentEvent::Inject`] comes out; that event is
//! produced in exactly one place, after [`rights::may_inject`] said yes.
//!
//! Keyframes are costly (the whole screen encoded again), so an attendee cannot have them at
//! will: after an [`AgentEvent::NeedsKeyframe`] the shell calls
//! [`AgentSession::handle_keyframe_sent`] once that keyframe is queued, and until then
//! refresh requests from that attendee are no-ops; answered refreshes are at least
//! [`REFRESH_INTERVAL`] apart (one asked sooner is answered when the interval is over).
//!
//! Folder listings and fetches from the customer's shared folder need, besides the FILES
//! right, the customer's consent to browsing ([`AgentSession::allow_browse`]); until it is
//! given they wait and [`AgentEvent::BrowseRequested`] asks the customer.
//!
//! One source of truth: the same state answers "who receives frames and the cursor?"
//! ([`AgentSession::frame_recipients`]), "whose input is injected?" (the one place that emits
//! [`AgentEvent::Inject`]) and "what is the customer told?" ([`AgentSession::customer_view`]).
//! The customer is never shown a portal announcement replayed as text.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::ids::{AttendeeId, Rights, Role};
use crate::input::InputEvent;
use crate::rights::{self, Consent};
use crate::signal::AttendeeInfo;
use crate::wire::{self, ErrorCode, Message};

/// How long an attendee has to say hello after the portal announced it.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(15);
/// Interval of liveness pings on an otherwise quiet connection.
pub const PING_INTERVAL: Duration = Duration::from_secs(5);
/// Silence after which an attendee's connection counts as lost.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Shortest interval between two keyframes sent because the same attendee asked for a
/// refresh. A viewer asks after a corrupt or dropped update, a few times a session; without
/// this, 20,000 requests cost the agent 21 s of CPU.
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug)]
enum Phase {
    AwaitingHello { deadline: Instant },
    Ready,
}

#[derive(Debug)]
struct Attendee {
    name: String,
    /// Hidden from the customer: never named to them, and limited to what needs no question
    /// to the customer (see [`rights::masked_limit`]).
    masked: bool,
    role: Role,
    granted: Rights,
    consent: Consent,
    phase: Phase,
    last_heard: Instant,
    next_ping: Instant,
    refused: u64,
    nonce: u64,
    /// An [`AgentEvent::NeedsKeyframe`] is out and the shell has not reported it sent.
    keyframe_pending: bool,
    /// When a refresh request was last answered with a keyframe.
    last_refresh: Option<Instant>,
    /// A refresh asked too soon after the last one, answered at this time.
    refresh_due: Option<Instant>,
    /// Listings and fetches waiting for the customer's browse consent.
    held: Vec<Message>,
    /// Keys and buttons this attendee pressed and has not released: released for them when
    /// they lose control or leave, so nothing stays held down on the customer's machine.
    pressed: std::collections::BTreeSet<Pressed>,
    /// A clip this attendee is sending, chunk by chunk.
    clip: crate::clipboard::ClipAssembler,
}

impl Attendee {
    fn effective(&self) -> Rights {
        let rights = rights::effective(self.granted, self.consent);
        if self.masked {
            rights.intersect(rights::masked_limit())
        } else {
            rights
        }
    }

    fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready)
    }

    /// Receives frames and the cursor.
    fn sees(&self) -> bool {
        self.is_ready() && rights::may_view(self.effective())
    }

    /// Its input is injected.
    fn controls(&self) -> bool {
        self.is_ready() && rights::may_inject_as(self.role, self.effective())
    }
}

/// The agent-side session state machine. See the module docs for the calling order.
#[derive(Debug, Default)]
pub struct AgentSession {
    attendees: BTreeMap<AttendeeId, Attendee>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<AgentEvent>,
    last_grant: u64,
    /// Attendees the customer allowed to browse the shared folder, for the whole session
    /// (kept when an attendee's connection drops and comes back).
    browse_allowed: std::collections::BTreeSet<AttendeeId>,
    /// Browsing allowed for everyone in advance (the customer chose so when starting).
    browse_allowed_for_all: bool,
    /// What the customer allowed for everyone the host brings in; a newcomer starts with it.
    session_consent: Consent,
    /// Moves on whenever someone loses control (see [`Self::control_epoch`]).
    control_epoch: u64,
    /// Serial of the last clip of the customer's clipboard sent out.
    clip_serial: u32,
}

impl AgentSession {
    /// A session with no attendees yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// An attendee without a name (tests and benchmarks); see [`Self::handle_attendee_announced`].
    pub fn handle_attendee_joined(
        &mut self,
        id: AttendeeId,
        role: Role,
        granted: Rights,
        now: Instant,
    ) {
        let info = AttendeeInfo {
            id,
            name: String::new(),
            role,
            rights: granted,
            masked: false,
        };
        self.handle_attendee_announced(&info, now);
    }

    /// The portal announced an attendee with the rights it granted. It starts with the
    /// session's consent ([`Self::set_session_consent`]; none before the customer answered).
    /// An attendee announced again (after the agent's portal connection came back) keeps its
    /// connection and consent; only the grant, name and mask are refreshed.
    pub fn handle_attendee_announced(&mut self, info: &AttendeeInfo, now: Instant) {
        let (id, role, granted) = (info.id, info.role, info.rights);
        if self.attendees.contains_key(&id) {
            self.update(id, |a| {
                a.role = role;
                a.granted = granted;
                a.name.clone_from(&info.name);
                a.masked = info.masked;
            });
            return;
        }
        self.attendees.insert(
            id,
            Attendee {
                name: info.name.clone(),
                masked: info.masked,
                role,
                granted,
                consent: self.session_consent,
                phase: Phase::AwaitingHello {
                    deadline: now + HELLO_TIMEOUT,
                },
                last_heard: now,
                next_ping: now + PING_INTERVAL,
                refused: 0,
                nonce: 0,
                keyframe_pending: false,
                last_refresh: None,
                refresh_due: None,
                held: Vec::new(),
                pressed: std::collections::BTreeSet::new(),
                clip: Default::default(),
            },
        );
    }

    /// The portal says the attendee left; forget it.
    pub fn handle_attendee_left(&mut self, id: AttendeeId) {
        self.forget(id);
    }

    /// The portal changed an attendee's grant. Grants carry a per-session sequence number
    /// that must increase: a replayed or reordered grant is refused. Takes effect before the
    /// next input is handled.
    pub fn handle_grant(
        &mut self,
        id: AttendeeId,
        granted: Rights,
        seq: u64,
    ) -> Result<(), GrantError> {
        if seq <= self.last_grant {
            return Err(GrantError::Replayed {
                seq,
                last: self.last_grant,
            });
        }
        if !self.attendees.contains_key(&id) {
            return Err(GrantError::UnknownAttendee(id));
        }
        self.last_grant = seq;
        self.update(id, |a| a.granted = granted);
        Ok(())
    }

    /// The customer decided what this attendee may do. Takes effect before the next input.
    pub fn handle_consent(&mut self, id: AttendeeId, consent: Consent) {
        self.update(id, |a| a.consent = consent);
    }

    /// The customer decided what everyone the host brings in may do: applied to everyone
    /// present, and the starting consent of everyone who joins later.
    pub fn set_session_consent(&mut self, consent: Consent) {
        self.session_consent = consent;
        let ids: Vec<AttendeeId> = self.attendees.keys().copied().collect();
        for id in ids {
            self.update(id, |a| a.consent = consent);
        }
    }

    /// The customer takes all control away from everyone at once (and from whoever joins
    /// later, until [`Self::give_control_back`]). Nothing else they allowed changes.
    pub fn revoke_all_control(&mut self) {
        self.set_control(false);
    }

    /// The customer lets control go back to everyone whose grant includes it. Only takes
    /// effect where the customer allowed viewing: nobody steers a screen they cannot see.
    pub fn give_control_back(&mut self) {
        self.set_control(true);
    }

    /// Whether the customer currently lets the host's people control (the session bar shows
    /// "Stop control" or "Give control back" from it).
    pub fn control_allowed(&self) -> bool {
        self.session_consent.control
    }

    fn set_control(&mut self, control: bool) {
        self.session_consent.control = control;
        let ids: Vec<AttendeeId> = self.attendees.keys().copied().collect();
        for id in ids {
            self.update(id, |a| a.consent.control = control);
        }
    }

    /// Sends a file-transfer message (answers to fetches and offers) to an attendee, on the
    /// files channel, if its rights still include FILES.
    pub fn send_file_message(&mut self, to: AttendeeId, message: &Message) -> bool {
        let allowed = self.effective_rights(to).contains(Rights::FILES);
        if allowed {
            self.send(to, Channel::Files, message);
        }
        allowed
    }

    /// Rights currently in force for an attendee (none for unknown ones).
    pub fn effective_rights(&self, id: AttendeeId) -> Rights {
        self.attendees
            .get(&id)
            .map_or(Rights::NONE, Attendee::effective)
    }

    /// Attendees that completed the hello and may see the screen: they get frames and the
    /// cursor, and they are who the customer is told sees the screen.
    pub fn frame_recipients(&self) -> Vec<AttendeeId> {
        self.attendees
            .iter()
            .filter(|(_, a)| a.sees())
            .map(|(id, _)| *id)
            .collect()
    }

    /// May a chat message from `from` be shown to the customer? Only from someone the
    /// customer can see (not masked) whose rights in force include CHAT.
    pub fn chat_reaches_customer(&self, from: AttendeeId) -> bool {
        self.attendees
            .get(&from)
            .is_some_and(|a| !a.masked && a.effective().contains(Rights::CHAT))
    }

    /// The name the customer knows an attendee by, if the customer may know it.
    pub fn name_for_customer(&self, id: AttendeeId) -> Option<&str> {
        self.attendees
            .get(&id)
            .filter(|a| !a.masked)
            .map(|a| a.name.as_str())
    }

    /// Tell everyone the machine reboots now (the customer agreed).
    pub fn announce_reboot(&mut self) {
        let ids: Vec<AttendeeId> = self.attendees.keys().copied().collect();
        for id in ids {
            self.send(id, Channel::Control, &Message::Rebooting);
        }
    }

    /// Tell everyone the session is over.
    pub fn end(&mut self, reason: &str) {
        let ids: Vec<AttendeeId> = self.attendees.keys().copied().collect();
        for id in ids {
            self.send(
                id,
                Channel::Control,
                &Message::End {
                    reason: reason.to_owned(),
                },
            );
        }
    }

    /// One message from attendee `from`'s peer connection. The connection is bound to `from`
    /// by the portal's signalling, so `from` is trusted; the bytes are not.
    pub fn handle_datagram(&mut self, from: AttendeeId, bytes: &[u8], now: Instant) {
        let Some(a) = self.attendees.get_mut(&from) else {
            return; // not (or no longer) an attendee: nothing it says matters
        };
        a.last_heard = now;
        let msg = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.send(
                    from,
                    Channel::Control,
                    &error(ErrorCode::Malformed, e.to_string()),
                );
                return;
            }
        };
        match msg {
            Message::Hello {
                version_min,
                version_max,
                attendee,
            } => self.handle_hello(from, (version_min, version_max), attendee),
            Message::Input(event) => self.handle_input(from, event),
            Message::Ping { nonce } => self.send(from, Channel::Control, &Message::Pong { nonce }),
            Message::Pong { .. } => {}
            Message::RebootRequest => {
                let allowed =
                    self.is_ready(from) && self.effective_rights(from).contains(Rights::REBOOT);
                if allowed {
                    self.events.push_back(AgentEvent::RebootRequested { from });
                } else {
                    let text = "reboot refused: you do not have the reboot right".to_owned();
                    self.send(from, Channel::Control, &error(ErrorCode::NotAllowed, text));
                }
            }
            Message::RefreshRequest => self.handle_refresh(from, now),
            Message::ControlRequest => self.handle_control_request(from),
            Message::End { reason } => {
                self.forget(from);
                self.events.push_back(AgentEvent::AttendeeEnded {
                    attendee: from,
                    reason,
                });
            }
            Message::Error { .. } => {}
            Message::Clipboard(chunk) => self.handle_clip_chunk(from, chunk),
            Message::Unknown { id, .. } => {
                let text = format!("unknown message id {id}");
                self.send(
                    from,
                    Channel::Control,
                    &error(ErrorCode::UnknownMessage, text),
                );
            }
            Message::FileOffer { .. }
            | Message::FileAccept { .. }
            | Message::FileChunk { .. }
            | Message::FileComplete { .. }
            | Message::FileFailed { .. }
            | Message::FileFetch { .. }
            | Message::ListDir { .. } => self.handle_file(from, msg),
            Message::Welcome { .. }
            | Message::RightsChanged { .. }
            | Message::FrameUpdate(_)
            | Message::CursorShape { .. }
            | Message::CursorPosition { .. }
            | Message::DirListing { .. }
            | Message::Rebooting => {
                self.send(
                    from,
                    Channel::Control,
                    &error(ErrorCode::NotAllowed, "agent-only message".into()),
                );
            }
        }
    }

    /// Advance timers: pings, hello deadlines, idle connections.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut lost = Vec::new();
        let mut ping = Vec::new();
        let mut refresh = Vec::new();
        for (id, a) in &mut self.attendees {
            if a.refresh_due.is_some_and(|due| now >= due) {
                a.refresh_due = None;
                refresh.push(*id);
            }
            if let Phase::AwaitingHello { deadline } = a.phase
                && now >= deadline
            {
                lost.push((*id, "no hello from the viewer in time".to_owned()));
                continue;
            }
            if now.saturating_duration_since(a.last_heard) >= IDLE_TIMEOUT {
                lost.push((*id, "connection lost".to_owned()));
                continue;
            }
            if matches!(a.phase, Phase::Ready) && now >= a.next_ping {
                a.nonce += 1;
                a.next_ping = now + PING_INTERVAL;
                ping.push((*id, a.nonce));
            }
        }
        for (id, nonce) in ping {
            self.send(id, Channel::Control, &Message::Ping { nonce });
        }
        for id in refresh {
            self.handle_refresh(id, now);
        }
        for (id, reason) in lost {
            self.forget(id);
            self.events.push_back(AgentEvent::AttendeeLost {
                attendee: id,
                reason,
            });
        }
    }

    /// The next instant [`Self::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.attendees
            .values()
            .map(|a| {
                let idle = a.last_heard + IDLE_TIMEOUT;
                let next = match a.phase {
                    Phase::AwaitingHello { deadline } => deadline.min(idle),
                    Phase::Ready => a.next_ping.min(idle),
                };
                a.refresh_due.map_or(next, |due| due.min(next))
            })
            .min()
    }

    /// Next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next thing for the shell to do.
    pub fn poll_event(&mut self) -> Option<AgentEvent> {
        self.events.pop_front()
    }

    fn is_ready(&self, id: AttendeeId) -> bool {
        self.attendees
            .get(&id)
            .is_some_and(|a| matches!(a.phase, Phase::Ready))
    }

    fn handle_hello(&mut self, from: AttendeeId, theirs: (u16, u16), claimed: AttendeeId) {
        if claimed != from {
            let text = format!("this connection belongs to attendee {from}, not {claimed}");
            self.send(from, Channel::Control, &error(ErrorCode::NotAllowed, text));
            return;
        }
        let Some(version) = wire::negotiate_version((wire::VERSION_MIN, wire::VERSION_MAX), theirs)
        else {
            let text = format!(
                "no common protocol version (agent {}-{}, viewer {}-{})",
                wire::VERSION_MIN,
                wire::VERSION_MAX,
                theirs.0,
                theirs.1
            );
            self.send(
                from,
                Channel::Control,
                &error(ErrorCode::VersionMismatch, text),
            );
            self.forget(from);
            self.events.push_back(AgentEvent::AttendeeLost {
                attendee: from,
                reason: "version mismatch".into(),
            });
            return;
        };
        let Some(a) = self.attendees.get_mut(&from) else {
            return;
        };
        a.phase = Phase::Ready;
        let rights = a.effective();
        self.send(
            from,
            Channel::Control,
            &Message::Welcome { version, rights },
        );
        if rights::may_view(rights) {
            self.need_keyframe(from);
        }
    }

    /// Input in the shell's queue that was sent before this number changed must not be
    /// injected any more: it moves on whenever someone loses control (or leaves), so
    /// "Stop control" also stops what was already on its way.
    pub fn control_epoch(&self) -> u64 {
        self.control_epoch
    }

    /// Removes an attendee, releasing what they held down.
    fn forget(&mut self, id: AttendeeId) {
        self.release_pressed(id);
        if self.attendees.remove(&id).is_some_and(|a| a.controls()) {
            self.control_epoch += 1;
        }
    }

    /// Applies `change` and tells the attendee if its effective rights moved.
    fn update(&mut self, id: AttendeeId, change: impl FnOnce(&mut Attendee)) {
        let Some(a) = self.attendees.get_mut(&id) else {
            return;
        };
        let before = a.effective();
        let controlled = a.controls();
        change(a);
        if controlled && !a.controls() {
            self.control_epoch += 1;
            self.release_pressed(id);
        }
        let Some(a) = self.attendees.get_mut(&id) else {
            return;
        };
        let after = a.effective();
        let ready = matches!(a.phase, Phase::Ready);
        if before == after || !ready {
            return;
        }
        // A new refusal after a rights change is reported again (once).
        a.refused = 0;
        self.send(
            id,
            Channel::Control,
            &Message::RightsChanged { rights: after },
        );
        if !rights::may_view(before) && rights::may_view(after) {
            self.need_keyframe(id);
        }
    }

    fn send(&mut self, to: AttendeeId, channel: Channel, msg: &Message) {
        self.transmits.push_back(Transmit {
            to,
            channel,
            payload: msg.encode(),
        });
    }
}

fn error(code: ErrorCode, text: String) -> Message {
    Message::Error { code, text }
}

#[path = "agent_events.rs"]
mod events;
pub use events::{AgentEvent, Channel, GrantError, Transmit};
#[path = "agent_requests.rs"]
mod requests;
pub use requests::{CONTROL_DECLINED, MAX_HELD_BROWSE};
#[path = "agent_clipboard.rs"]
mod clipboard;
#[path = "agent_input.rs"]
mod input;
#[path = "agent_view.rs"]
mod view;
pub use input::MAX_TEXT_CHARS;
use input::Pressed;
