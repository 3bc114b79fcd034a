//! What goes in and out of [`AgentSession`]: bytes to send, events for the shell, and why a
//! grant was refused. Part of the agent core; see the module docs there.

use super::*;

/// Which data channel a message travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Session control: hello, rights, pings, errors, end.
    Control,
    /// Keyboard and mouse: small, never queued behind frames.
    Input,
    /// Screen updates: bulk, flow-controlled.
    Frames,
    /// File transfer: bulk, flow-controlled, never ahead of input.
    Files,
}

/// Bytes to send to one attendee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Recipient.
    pub to: AttendeeId,
    /// Channel to send on.
    pub channel: Channel,
    /// One encoded [`Message`].
    pub payload: Vec<u8>,
}

/// What the shell must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgentEvent {
    /// Inject this input into the customer's desktop.
    Inject {
        /// Who sent it.
        from: AttendeeId,
        /// The event.
        event: InputEvent,
    },
    /// Input arrived from an attendee whose rights do not include control; it was dropped.
    InputRefused {
        /// Who sent it.
        from: AttendeeId,
        /// Refusals from this attendee so far.
        count: u64,
    },
    /// This attendee can now be sent the screen: send it a whole frame, then call
    /// [`AgentSession::handle_keyframe_sent`].
    NeedsKeyframe {
        /// Who.
        attendee: AttendeeId,
    },
    /// An attendee asks to list a folder of the customer's shared folder (or to fetch a file
    /// from it) and the customer has not allowed browsing for them: ask the customer, then
    /// call [`AgentSession::allow_browse`] or [`AgentSession::refuse_browse`]. Their requests
    /// wait meanwhile. Raised once per wait, not per request.
    BrowseRequested {
        /// Who asks.
        from: AttendeeId,
        /// The folder to list, or the file to fetch, inside the shared folder ("" is the
        /// shared folder itself). Parsed: no traversal, control or direction characters.
        path: crate::files::RelativePath,
        /// A fetch of a file (true) or a folder listing.
        fetch: bool,
    },
    /// The attendee's connection is gone (timeout or protocol failure); close its transport.
    AttendeeLost {
        /// Who.
        attendee: AttendeeId,
        /// Why, in words.
        reason: String,
    },
    /// An attendee with the reboot right asks to reboot; ask the customer.
    RebootRequested {
        /// Who asks.
        from: AttendeeId,
    },
    /// An attendee whose grant includes control, but whom the customer does not let control
    /// now, asks for it; ask the customer ([`AgentSession::decline_control`] if they say no).
    ControlRequested {
        /// Who asks.
        from: AttendeeId,
    },
    /// A file-transfer message from an attendee allowed to transfer files.
    File {
        /// Who sent it.
        from: AttendeeId,
        /// A `File*`, `ListDir` message.
        message: Message,
    },
    /// An attendee allowed to use the clipboard copied this on their side: put it on the
    /// customer's clipboard (and tell the customer).
    ClipboardReceived {
        /// Who sent it.
        from: AttendeeId,
        /// What they copied.
        clip: crate::clipboard::Clip,
    },
    /// The attendee asked to leave or end.
    AttendeeEnded {
        /// Who.
        attendee: AttendeeId,
        /// Their words.
        reason: String,
    },
}

/// Why a grant from the portal was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// Its sequence number is not above the last applied one: a replay or reordering.
    #[error("grant #{seq} is not newer than #{last}: ignored")]
    Replayed {
        /// The grant's number.
        seq: u64,
        /// The last applied number.
        last: u64,
    },
    /// The attendee is not in the session.
    #[error("no attendee {0}")]
    UnknownAttendee(AttendeeId),
}
