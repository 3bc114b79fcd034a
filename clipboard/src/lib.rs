//! The desktop's clipboard, read and written on a thread of its own: text and PNG images.
//!
//! Two users. The customer app: what the customer copies goes to the attendees allowed to use
//! the clipboard, and what they copy lands on the customer's clipboard (who may is decided by
//! the agent core, `AgentSession::share_clipboard` and `AgentEvent::ClipboardReceived`). The
//! representative's window: what the customer copies lands on the representative's clipboard,
//! and theirs is read when they paste into the window.
//!
//! The clipboard is read only when asked: on every change while [`Clipboard::watch`] is on
//! (the desktop says when; nothing polls), or once with [`Clipboard::read_now`].

#[cfg(target_os = "linux")]
mod x11;

use tandem_protocol::clipboard::Clip;
use tokio::sync::mpsc;

/// What the clipboard thread reports.
#[derive(Debug)]
pub enum ClipboardOut {
    /// The clipboard holds this (it changed while watching, or [`Clipboard::read_now`]).
    Copied(Clip),
    /// It holds something that cannot be shared (too large, another format).
    NotShared(String),
    /// [`Clipboard::read_now`] found nothing to read: nobody owns the clipboard, or what it
    /// holds was put there through this handle.
    Nothing,
}

/// A handle on the desktop's clipboard. Dropping it stops the thread.
pub struct Clipboard {
    #[cfg(target_os = "linux")]
    inner: x11::Handle,
}

impl Clipboard {
    /// Starts on the clipboard of `display` (`None`: `DISPLAY`). `None` with a warning when
    /// the desktop's clipboard cannot be reached: the session goes on without.
    pub fn start(display: Option<&str>, out: mpsc::UnboundedSender<ClipboardOut>) -> Option<Self> {
        #[cfg(target_os = "linux")]
        {
            let display = display.filter(|d| !d.is_empty());
            match x11::Handle::spawn(display, out) {
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

    /// Puts a clip on the clipboard (text also as the primary selection, for a middle click).
    pub fn set(&self, clip: Clip) {
        #[cfg(target_os = "linux")]
        self.inner.send(x11::Command::Set(clip));
    }

    /// Whether every copy is read and reported: the customer app watches only while someone
    /// may receive them. Cheap to call every turn; the thread hears only of changes.
    pub fn watch(&mut self, on: bool) {
        #[cfg(target_os = "linux")]
        self.inner.watch(on);
    }

    /// Reads what the clipboard holds now, once: answered with `Copied`, `NotShared` or
    /// `Nothing` (or not at all when its owner does not answer within a few seconds).
    pub fn read_now(&self) {
        #[cfg(target_os = "linux")]
        self.inner.send(x11::Command::ReadNow);
    }
}
