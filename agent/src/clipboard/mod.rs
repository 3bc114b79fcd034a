//! The customer's clipboard: what the customer copies goes to the attendees allowed to use
//! the clipboard, and what they copy lands on the customer's clipboard. Who may is decided by
//! the agent core (`AgentSession::share_clipboard`, `AgentEvent::ClipboardReceived`); this
//! module only reads and writes the desktop's clipboard, on a thread of its own.
//!
//! The customer's clipboard is read only while someone may receive it ([`Clipboard::watch`]),
//! and only when it changes (the desktop says so; nothing polls). What was copied before
//! anyone had the right is not sent: sharing starts with the next copy.

#[cfg(target_os = "linux")]
mod x11;

use tandem_protocol::clipboard::Clip;
use tokio::sync::mpsc;

/// What the clipboard thread reports.
#[derive(Debug)]
pub enum ClipboardOut {
    /// The customer copied this (while watching).
    Copied(Clip),
    /// The customer copied something that cannot be shared (too large, another format).
    NotShared(String),
}

/// The session's handle on the customer's clipboard. Dropping it stops the thread.
pub struct Clipboard {
    #[cfg(target_os = "linux")]
    inner: x11::Handle,
}

impl Clipboard {
    /// Starts watching the clipboard of `display` (the session's X display). `None` with a
    /// warning when the desktop's clipboard cannot be reached: the session goes on without.
    pub fn start(display: Option<&str>, out: mpsc::UnboundedSender<ClipboardOut>) -> Option<Self> {
        #[cfg(target_os = "linux")]
        {
            let display = crate::capture::resolve_display(display);
            match x11::Handle::spawn(display.as_deref(), out) {
                Ok(inner) => Some(Clipboard { inner }),
                Err(e) => {
                    tracing::warn!("no shared clipboard: {e}");
                    None
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (display, out);
            tracing::warn!("no shared clipboard on this platform yet");
            None
        }
    }

    /// Puts a clip on the customer's clipboard (text also as the primary selection, for a
    /// middle click).
    pub fn set(&self, clip: Clip) {
        #[cfg(target_os = "linux")]
        self.inner.send(x11::Command::Set(clip));
    }

    /// Whether the customer's copies are read and reported: only while someone may receive
    /// them. Cheap to call every turn; the thread hears only of changes.
    pub fn watch(&mut self, on: bool) {
        #[cfg(target_os = "linux")]
        self.inner.watch(on);
    }
}
