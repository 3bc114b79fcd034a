//! The representative's own clipboard beside the session window.
//!
//! What the customer copies lands on the representative's clipboard. Theirs goes the other way
//! only when they paste into the window (Ctrl+V, Shift+Insert): it is read then, once, and sent
//! ahead of the paste keys on the same ordered input channel, so the customer's machine has it
//! when the keys arrive. Nothing the representative copies elsewhere leaves their machine
//! until they paste it into the customer's screen.

use std::time::Duration;

use tandem_clipboard::{Clipboard, ClipboardOut};
use tandem_protocol::clipboard::Clip;
use tandem_protocol::input::InputEvent;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::session::UiCommand;

/// How long a paste waits for the representative's clipboard to be read before the keys go
/// on without it.
const READ_WAIT: Duration = Duration::from_millis(500);

const CONTROL: [u32; 2] = [0xffe3, 0xffe4];
const SHIFT: [u32; 2] = [0xffe1, 0xffe2];
const KEY_V: [u32; 2] = [0x76, 0x56];
const INSERT: u32 = 0xff63;

/// Which modifiers are held, from the key events the window sends.
#[derive(Debug, Default)]
struct Held {
    control: bool,
    shift: bool,
}

impl Held {
    /// Follows `event`; true when it is the press of a paste shortcut.
    fn is_paste(&mut self, event: &InputEvent) -> bool {
        let InputEvent::Key { keysym, down } = *event else {
            return false;
        };
        if CONTROL.contains(&keysym) {
            self.control = down;
        } else if SHIFT.contains(&keysym) {
            self.shift = down;
        }
        down && ((self.control && KEY_V.contains(&keysym)) || (self.shift && keysym == INSERT))
    }
}

/// Forwards the window's input to the session, reading the representative's clipboard and
/// sending it first when they paste, and puts the customer's copies on their clipboard. Runs
/// until the window's input ends.
pub async fn forward_input(
    mut input: UnboundedReceiver<InputEvent>,
    commands: UnboundedSender<UiCommand>,
    mut from_customer: UnboundedReceiver<Clip>,
) {
    let (answers_tx, mut answers) = mpsc::unbounded_channel();
    let clipboard = Clipboard::start(None, answers_tx);
    let mut held = Held::default();
    // The customer's last copy, now on our clipboard: pasting it back sends nothing.
    let mut theirs: Option<Clip> = None;
    loop {
        tokio::select! {
            event = input.recv() => {
                let Some(event) = event else { break };
                if held.is_paste(&event)
                    && let Some(c) = clipboard.as_ref()
                    && let Some(clip) = read(c, &mut answers).await
                    && theirs.as_ref() != Some(&clip)
                {
                    eprintln!("your clipboard goes to the customer: {}", clip.describe());
                    let _ = commands.send(UiCommand::Clipboard(clip));
                }
                if commands.send(UiCommand::Input(event)).is_err() {
                    break;
                }
            }
            Some(clip) = from_customer.recv() => {
                if let Some(c) = clipboard.as_ref() {
                    c.set(clip.clone());
                }
                theirs = Some(clip);
            }
        }
    }
}

/// Reads the clipboard once, waiting at most [`READ_WAIT`].
async fn read(
    clipboard: &Clipboard,
    answers: &mut UnboundedReceiver<ClipboardOut>,
) -> Option<Clip> {
    // A late answer to an earlier read is not this one's.
    while answers.try_recv().is_ok() {}
    clipboard.read_now();
    let answer = tokio::time::timeout(READ_WAIT, answers.recv()).await;
    tracing::debug!(?answer, "the representative's clipboard, read for a paste");
    match answer {
        Ok(Some(ClipboardOut::Copied(clip))) => Some(clip),
        Ok(Some(ClipboardOut::NotShared(why))) => {
            eprintln!("your clipboard was not sent: {why}");
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(keysym: u32, down: bool) -> InputEvent {
        InputEvent::Key { keysym, down }
    }

    #[test]
    fn paste_shortcuts_are_recognised_from_the_key_stream() {
        let mut h = Held::default();
        assert!(!h.is_paste(&key(0x76, true)), "v alone types a v");
        assert!(!h.is_paste(&key(0xffe3, true)));
        assert!(h.is_paste(&key(0x76, true)), "Ctrl+V");
        assert!(!h.is_paste(&key(0x76, false)), "only the press");
        assert!(!h.is_paste(&key(0xffe3, false)));
        assert!(!h.is_paste(&key(0x56, true)), "control released");
        assert!(!h.is_paste(&key(0xff63, true)), "Insert alone");
        assert!(!h.is_paste(&key(0xffe2, true)));
        assert!(h.is_paste(&key(0xff63, true)), "Shift+Insert");
        assert!(!h.is_paste(&InputEvent::PointerMove { x: 1, y: 2 }));
    }
}
