//! The viewer's side of a session with one agent.
//!
//! Calling order: after [`ViewerSession::new`], drain [`ViewerSession::poll_transmit`] (the
//! hello); feed every data channel message to [`ViewerSession::handle_datagram`]; drain
//! transmits and [`ViewerSession::poll_event`]; arm a timer for
//! [`ViewerSession::poll_timeout`] and call [`ViewerSession::handle_timeout`].
//!
//! Screen updates are applied only when their last chunk arrives, so [`ViewerSession::frame`]
//! never shows half an update. What the agent can make the viewer hold is bounded
//! ([`crate::updates`]): a screen announced beyond [`wire::MAX_SCREEN_SIDE`] /
//! [`wire::MAX_SCREEN_PIXELS`] ends the session, an unfinished update beyond its limit is
//! dropped.

use std::collections::VecDeque;
use std::time::Instant;

use crate::agent::{Channel, IDLE_TIMEOUT, PING_INTERVAL};
use crate::ids::{AttendeeId, Rights};
use crate::input::InputEvent;
use crate::rights;
use crate::tiles::{FrameBuffer, Rect};
use crate::updates::{Applied, UpdateError, UpdateStream};
use crate::wire::{self, ErrorCode, FrameUpdate, Message};

/// What the viewer's shell should show or do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewerEvent {
    /// The agent accepted us.
    Ready {
        /// Negotiated protocol version.
        version: u16,
        /// Rights in force.
        rights: Rights,
    },
    /// Our rights changed (the customer or host changed them).
    RightsChanged(Rights),
    /// A complete update was applied; [`ViewerSession::frame`] shows it.
    FrameReady {
        /// The update's number.
        seq: u32,
        /// Bytes the update took on the wire.
        bytes: u64,
        /// The rectangles it changed.
        rects: Vec<Rect>,
    },
    /// The agent refused something; words for the representative.
    Refused(String),
    /// A file-transfer message from the agent.
    File(Message),
    /// The customer's clipboard, as they copied it (we hold the CLIPBOARD right).
    Clipboard(crate::clipboard::Clip),
    /// The customer's machine reboots now; the agent comes back by itself.
    Rebooting,
    /// The pointer's look changed ([`Message::CursorShape`]).
    CursorShape(Message),
    /// The pointer moved on the customer's screen.
    CursorMoved {
        /// Screen x of the hot spot.
        x: u16,
        /// Screen y of the hot spot.
        y: u16,
    },
    /// The session is over.
    Ended {
        /// Why.
        reason: String,
    },
}

/// Why input was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendInputError {
    /// The session is not ready or has ended.
    #[error("not connected")]
    NotConnected,
    /// We only have view rights.
    #[error("view only: the customer has not given you control")]
    ViewOnly,
    /// Our rights in force do not include the clipboard.
    #[error("no clipboard: the clipboard right is not yours, or the customer took control away")]
    NoClipboard,
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Connecting,
    Ready { rights: Rights },
    Ended,
}

/// The viewer-side state machine. See the module docs for the calling order.
#[derive(Debug)]
pub struct ViewerSession {
    phase: Phase,
    updates: UpdateStream,
    transmits: VecDeque<(Channel, Vec<u8>)>,
    events: VecDeque<ViewerEvent>,
    last_heard: Instant,
    next_ping: Instant,
    nonce: u64,
    clip: crate::clipboard::ClipAssembler,
    clip_serial: u32,
}

impl ViewerSession {
    /// Starts a session as attendee `me`; the hello is queued at once.
    pub fn new(me: AttendeeId, now: Instant) -> Self {
        let mut s = ViewerSession {
            phase: Phase::Connecting,
            updates: UpdateStream::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            last_heard: now,
            next_ping: now + PING_INTERVAL,
            nonce: 0,
            clip: Default::default(),
            clip_serial: 0,
        };
        let hello = Message::Hello {
            version_min: wire::VERSION_MIN,
            version_max: wire::VERSION_MAX,
            attendee: me,
        };
        s.transmits.push_back((Channel::Control, hello.encode()));
        s
    }

    /// The picture as of the last complete update.
    pub fn frame(&self) -> &FrameBuffer {
        self.updates.frame()
    }

    /// Rights in force (none before the agent's welcome).
    pub fn rights(&self) -> Rights {
        match self.phase {
            Phase::Ready { rights } => rights,
            _ => Rights::NONE,
        }
    }

    /// True until the session ended.
    pub fn is_open(&self) -> bool {
        self.phase != Phase::Ended
    }

    /// Queue keyboard or mouse input. Refused locally when we lack control, so the
    /// representative learns at once; the agent enforces the same rule regardless.
    pub fn send_input(&mut self, event: InputEvent) -> Result<(), SendInputError> {
        match self.phase {
            Phase::Ready { rights } if rights::may_inject(rights) => {
                self.transmits
                    .push_back((Channel::Input, Message::Input(event).encode()));
                Ok(())
            }
            Phase::Ready { .. } => Err(SendInputError::ViewOnly),
            _ => Err(SendInputError::NotConnected),
        }
    }

    /// Queue input without the local rights check, leaving the decision to the agent (which
    /// answers a refusal with an error). For automation that must see what the agent does.
    pub fn send_input_unchecked(&mut self, event: InputEvent) -> Result<(), SendInputError> {
        match self.phase {
            Phase::Ready { .. } => {
                self.transmits
                    .push_back((Channel::Input, Message::Input(event).encode()));
                Ok(())
            }
            _ => Err(SendInputError::NotConnected),
        }
    }

    /// Queue a file-transfer message for the agent (on the files channel). The agent checks
    /// the FILES right and answers a refusal with `FileFailed`.
    pub fn send_file_message(&mut self, message: &Message) -> Result<(), SendInputError> {
        match self.phase {
            Phase::Ready { .. } => {
                self.transmits.push_back((Channel::Files, message.encode()));
                Ok(())
            }
            _ => Err(SendInputError::NotConnected),
        }
    }

    /// Put a clip on the customer's clipboard. Sent on the input channel, so a paste key
    /// pressed after it finds it there. Refused locally without the CLIPBOARD right (the agent
    /// enforces the same rule); `unchecked` leaves the decision to the agent, for automation
    /// that must see what the agent does.
    pub fn send_clipboard(
        &mut self,
        clip: &crate::clipboard::Clip,
        unchecked: bool,
    ) -> Result<(), SendInputError> {
        match self.phase {
            Phase::Ready { rights } if unchecked || rights.contains(Rights::CLIPBOARD) => {
                self.clip_serial = self.clip_serial.wrapping_add(1);
                for m in clip.messages(self.clip_serial) {
                    self.transmits.push_back((Channel::Input, m.encode()));
                }
                Ok(())
            }
            Phase::Ready { .. } => Err(SendInputError::NoClipboard),
            _ => Err(SendInputError::NotConnected),
        }
    }

    /// Ask the agent to reboot the customer's machine (needs the REBOOT right; the customer
    /// is asked).
    pub fn request_reboot(&mut self) {
        self.transmits
            .push_back((Channel::Control, Message::RebootRequest.encode()));
    }

    /// Ask the customer, through the agent, to give control back (after they took it away).
    pub fn request_control(&mut self) {
        self.transmits
            .push_back((Channel::Control, Message::ControlRequest.encode()));
    }

    /// Ask the agent for the whole screen again.
    pub fn request_refresh(&mut self) {
        self.transmits
            .push_back((Channel::Control, Message::RefreshRequest.encode()));
    }

    /// Leave the session: the agent is told why, and [`ViewerEvent::Ended`] follows, as for
    /// every other end, so the shell stops (closes the link, tells the portal it left)
    /// rather than sit on a link the agent has already given up. Nothing after it.
    pub fn leave(&mut self, reason: &str) {
        if self.phase != Phase::Ended {
            self.transmits.push_back((
                Channel::Control,
                Message::End {
                    reason: reason.into(),
                }
                .encode(),
            ));
            self.end(reason.to_owned());
        }
    }

    /// One message from the agent.
    pub fn handle_datagram(&mut self, bytes: &[u8], now: Instant) {
        if self.phase == Phase::Ended {
            return;
        }
        self.last_heard = now;
        let msg = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                let err = Message::Error {
                    code: ErrorCode::Malformed,
                    text: e.to_string(),
                };
                self.transmits.push_back((Channel::Control, err.encode()));
                return;
            }
        };
        match msg {
            Message::Welcome { version, rights } => {
                self.phase = Phase::Ready { rights };
                self.events
                    .push_back(ViewerEvent::Ready { version, rights });
            }
            Message::RightsChanged { rights } => {
                if let Phase::Ready { rights: r } = &mut self.phase {
                    *r = rights;
                    self.events.push_back(ViewerEvent::RightsChanged(rights));
                }
            }
            Message::FrameUpdate(update) => self.handle_frame(update, bytes.len() as u64),
            Message::Ping { nonce } => {
                self.transmits
                    .push_back((Channel::Control, Message::Pong { nonce }.encode()));
            }
            Message::Pong { .. } => {}
            Message::Error { code, text } => {
                if code == ErrorCode::VersionMismatch {
                    self.end(text);
                } else {
                    self.events.push_back(ViewerEvent::Refused(text));
                }
            }
            Message::End { reason } => self.end(reason),
            Message::Unknown { id, .. } => {
                let err = Message::Error {
                    code: ErrorCode::UnknownMessage,
                    text: format!("unknown message id {id}"),
                };
                self.transmits.push_back((Channel::Control, err.encode()));
            }
            Message::FileOffer { .. }
            | Message::FileAccept { .. }
            | Message::FileChunk { .. }
            | Message::FileComplete { .. }
            | Message::FileFailed { .. }
            | Message::DirListing { .. } => self.events.push_back(ViewerEvent::File(msg)),
            Message::Rebooting => self.events.push_back(ViewerEvent::Rebooting),
            Message::Clipboard(chunk) => match self.clip.handle(chunk) {
                Ok(None) => {}
                Ok(Some(clip)) => self.events.push_back(ViewerEvent::Clipboard(clip)),
                Err(e) => self
                    .events
                    .push_back(ViewerEvent::Refused(format!("customer's clipboard: {e}"))),
            },
            Message::CursorShape { .. } => self.events.push_back(ViewerEvent::CursorShape(msg)),
            Message::CursorPosition { x, y } => {
                self.events.push_back(ViewerEvent::CursorMoved { x, y });
            }
            Message::Hello { .. }
            | Message::Input(_)
            | Message::RefreshRequest
            | Message::RebootRequest
            | Message::ControlRequest
            | Message::FileFetch { .. }
            | Message::ListDir { .. } => {
                let err = Message::Error {
                    code: ErrorCode::NotAllowed,
                    text: "viewer-only message".into(),
                };
                self.transmits.push_back((Channel::Control, err.encode()));
            }
        }
    }

    /// The transport closed under us.
    pub fn handle_disconnect(&mut self, reason: &str) {
        if self.phase != Phase::Ended {
            self.end(reason.to_owned());
        }
    }

    /// Advance timers: ping, idle.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Ended {
            return;
        }
        if now.saturating_duration_since(self.last_heard) >= IDLE_TIMEOUT {
            self.end("connection lost".into());
        } else if now >= self.next_ping {
            self.nonce += 1;
            self.next_ping = now + PING_INTERVAL;
            self.transmits.push_back((
                Channel::Control,
                Message::Ping { nonce: self.nonce }.encode(),
            ));
        }
    }

    /// When [`Self::handle_timeout`] next has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.phase != Phase::Ended).then(|| self.next_ping.min(self.last_heard + IDLE_TIMEOUT))
    }

    /// Next bytes to send and their channel.
    pub fn poll_transmit(&mut self) -> Option<(Channel, Vec<u8>)> {
        self.transmits.pop_front()
    }

    /// Next event for the shell.
    pub fn poll_event(&mut self) -> Option<ViewerEvent> {
        self.events.pop_front()
    }

    fn handle_frame(&mut self, update: FrameUpdate, wire_bytes: u64) {
        let error = match self.updates.handle_chunk(update, wire_bytes) {
            Ok(None) => return,
            Ok(Some(Applied { seq, bytes, rects })) => {
                self.events
                    .push_back(ViewerEvent::FrameReady { seq, bytes, rects });
                return;
            }
            Err(e) => e,
        };
        if let UpdateError::ScreenTooLarge { .. } = error {
            // Every update of that screen would be refused: nothing to show, so leave
            // (telling the agent why) rather than sit there blank.
            self.leave(&error.to_string());
            return;
        }
        // Too large before its end, or corrupt: the update is dropped; the picture needs a
        // whole new screen. (The agent spaces refreshes out, so this cannot loop quickly.)
        let err = Message::Error {
            code: ErrorCode::Malformed,
            text: error.to_string(),
        };
        self.transmits.push_back((Channel::Control, err.encode()));
        self.request_refresh();
    }

    fn end(&mut self, reason: String) {
        self.phase = Phase::Ended;
        self.events.push_back(ViewerEvent::Ended { reason });
    }
}
