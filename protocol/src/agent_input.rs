//! Remote input on the customer's machine: the one place that lets it through
//! ([`AgentEvent::Inject`]), and what the agent releases for someone who loses control.
//! Part of [`AgentSession`]; see the module docs there.

use super::*;

/// Longest text one input message may type: typing goes at a few dozen characters a second,
/// so a longer one would keep typing long after control was taken away.
pub const MAX_TEXT_CHARS: usize = 256;

pub(super) fn track(pressed: &mut std::collections::BTreeSet<Pressed>, p: Pressed, down: bool) {
    if down {
        // Bounded by the keys and buttons there are; a flood of distinct fake keysyms is
        // capped too.
        if pressed.len() < 64 {
            pressed.insert(p);
        }
    } else {
        pressed.remove(&p);
    }
}

/// A key (keysym) or pointer button held down by a remote attendee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Pressed {
    Key(u32),
    Button(u8),
}

impl AgentSession {
    pub(super) fn handle_input(&mut self, from: AttendeeId, event: InputEvent) {
        let Some(a) = self.attendees.get_mut(&from) else {
            return;
        };
        if let InputEvent::Text(text) = &event
            && text.chars().count() > MAX_TEXT_CHARS
        {
            let text = format!("text input refused: more than {MAX_TEXT_CHARS} characters at once");
            self.send(from, Channel::Control, &error(ErrorCode::NotAllowed, text));
            return;
        }
        if a.controls() {
            match event {
                InputEvent::Key { keysym, down } => {
                    track(&mut a.pressed, Pressed::Key(keysym), down)
                }
                InputEvent::PointerButton { button, down } => {
                    track(&mut a.pressed, Pressed::Button(button.0), down);
                }
                _ => {}
            }
            self.events.push_back(AgentEvent::Inject { from, event });
            return;
        }
        a.refused += 1;
        let count = a.refused;
        self.events
            .push_back(AgentEvent::InputRefused { from, count });
        // Tell the viewer once, not per mouse move.
        if count == 1 {
            let text = "input refused: you do not have control of this machine".to_owned();
            self.send(from, Channel::Control, &error(ErrorCode::NotAllowed, text));
        }
    }

    /// Injects a release for every key and button `id` holds down (it lost control).
    pub(super) fn release_pressed(&mut self, id: AttendeeId) {
        let Some(a) = self.attendees.get_mut(&id) else {
            return;
        };
        for p in std::mem::take(&mut a.pressed) {
            let event = match p {
                Pressed::Key(keysym) => InputEvent::Key {
                    keysym,
                    down: false,
                },
                Pressed::Button(b) => InputEvent::PointerButton {
                    button: crate::input::Button(b),
                    down: false,
                },
            };
            self.events
                .push_back(AgentEvent::Inject { from: id, event });
        }
    }
}
