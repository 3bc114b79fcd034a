//! Turns the representative's pointer, wheel and keyboard into [`InputEvent`]s in the
//! customer's screen coordinates, and remembers what is held so nothing sticks.
//!
//! Rules:
//! - A move is sent only when the pointer is over the picture (and the remote pixel changed);
//!   while a button is held, moves in the border go to the nearest edge so drags can reach it.
//! - A button press in the border is ignored; a release is sent only for a press we sent.
//! - Keys are sent as down/up pairs, remembered by physical key so the up carries the same
//!   keysym as the down even if Shift changed in between. Auto-repeat is not forwarded (the
//!   customer's machine repeats a held key itself); winit's synthetic presses on focus-in are
//!   ignored. [`InputState::release_all`] sends an up for everything still down.

use super::keys::{self, KeyAction};
use super::scale::View;
use tandem_protocol::input::{Button, InputEvent};
use winit::keyboard::{Key, KeyLocation, PhysicalKey};

/// Pixels of smooth scrolling that make one wheel notch.
const PIXELS_PER_NOTCH: f64 = 50.0;

/// One key event, as winit reports it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyInput<'a> {
    /// Which key on the keyboard.
    pub physical: PhysicalKey,
    /// What it means in the representative's layout.
    pub logical: &'a Key,
    /// Left, right, keypad or standard.
    pub location: KeyLocation,
    /// Pressed or released.
    pub down: bool,
    /// An auto-repeat of a held key.
    pub repeat: bool,
    /// Made up by winit around focus changes.
    pub synthetic: bool,
}

/// Input bookkeeping for one window.
#[derive(Debug, Default)]
pub(crate) struct InputState {
    view: Option<View>,
    cursor: Option<(f64, f64)>,
    last_sent: Option<(u16, u16)>,
    buttons: Vec<Button>,
    keys: Vec<(PhysicalKey, u32)>,
    /// Unsent fractions of wheel notches, in notches (protocol direction).
    wheel: (f64, f64),
}

impl InputState {
    /// Sets where the picture is (after a resize or a new picture size).
    pub(crate) fn set_view(&mut self, view: Option<View>) {
        self.view = view;
    }

    /// The pointer moved to window position (`x`, `y`).
    pub(crate) fn cursor_moved(&mut self, x: f64, y: f64, out: &mut Vec<InputEvent>) {
        self.cursor = Some((x, y));
        let Some(view) = self.view else { return };
        let target = match view.to_remote(x, y) {
            Some(p) => p,
            None if !self.buttons.is_empty() => view.to_remote_clamped(x, y),
            None => return,
        };
        self.move_to(target, out);
    }

    /// The pointer left the window.
    /// Where the window's cursor is, in window pixels (none while it is outside).
    pub(crate) fn cursor(&self) -> Option<(f64, f64)> {
        self.cursor
    }

    pub(crate) fn cursor_left(&mut self) {
        self.cursor = None;
    }

    /// A button was pressed or released.
    pub(crate) fn button(&mut self, button: Button, down: bool, out: &mut Vec<InputEvent>) {
        if !down {
            if let Some(i) = self.buttons.iter().position(|b| *b == button) {
                self.buttons.remove(i);
                out.push(InputEvent::PointerButton {
                    button,
                    down: false,
                });
            }
            return;
        }
        if self.buttons.contains(&button) {
            return;
        }
        let Some(target) = self.over_picture() else {
            return;
        };
        self.move_to(target, out);
        self.buttons.push(button);
        out.push(InputEvent::PointerButton { button, down: true });
    }

    /// Wheel by lines (winit's sign: positive moves the content right/down, i.e. scrolls
    /// left/up).
    pub(crate) fn wheel_lines(&mut self, dx: f64, dy: f64, out: &mut Vec<InputEvent>) {
        self.wheel_notches(-dx, -dy, out);
    }

    /// Wheel by pixels (touchpads), same sign as [`InputState::wheel_lines`].
    pub(crate) fn wheel_pixels(&mut self, dx: f64, dy: f64, out: &mut Vec<InputEvent>) {
        self.wheel_notches(-dx / PIXELS_PER_NOTCH, -dy / PIXELS_PER_NOTCH, out);
    }

    /// A key was pressed or released.
    pub(crate) fn key(&mut self, k: KeyInput<'_>, out: &mut Vec<InputEvent>) {
        let physical = k.physical;
        if !k.down {
            if let Some(i) = self.keys.iter().position(|(p, _)| *p == physical) {
                let (_, keysym) = self.keys.remove(i);
                out.push(InputEvent::Key {
                    keysym,
                    down: false,
                });
            }
            return;
        }
        if k.repeat || k.synthetic || self.keys.iter().any(|(p, _)| *p == physical) {
            return;
        }
        match keys::action(k.logical, k.location) {
            Some(KeyAction::Sym(keysym)) => {
                self.keys.push((physical, keysym));
                out.push(InputEvent::Key { keysym, down: true });
            }
            Some(KeyAction::Text(text)) => out.push(InputEvent::Text(text)),
            None => {}
        }
    }

    /// Releases every key (last pressed first) and button still down on the customer's side.
    pub(crate) fn release_all(&mut self, out: &mut Vec<InputEvent>) {
        for (_, keysym) in self.keys.drain(..).rev() {
            out.push(InputEvent::Key {
                keysym,
                down: false,
            });
        }
        for button in self.buttons.drain(..).rev() {
            out.push(InputEvent::PointerButton {
                button,
                down: false,
            });
        }
        self.wheel = (0.0, 0.0);
    }

    /// The remote pixel under the cursor, if the cursor is over the picture.
    fn over_picture(&self) -> Option<(u16, u16)> {
        let (x, y) = self.cursor?;
        self.view?.to_remote(x, y)
    }

    fn move_to(&mut self, target: (u16, u16), out: &mut Vec<InputEvent>) {
        if self.last_sent != Some(target) {
            self.last_sent = Some(target);
            out.push(InputEvent::PointerMove {
                x: target.0,
                y: target.1,
            });
        }
    }

    /// Adds notches in protocol direction (positive = right/down) and sends whole ones.
    fn wheel_notches(&mut self, dx: f64, dy: f64, out: &mut Vec<InputEvent>) {
        let Some(target) = self.over_picture() else {
            self.wheel = (0.0, 0.0);
            return;
        };
        let (ax, ay) = (self.wheel.0 + dx, self.wheel.1 + dy);
        let (wx, wy) = (ax.trunc(), ay.trunc());
        self.wheel = (ax - wx, ay - wy);
        if wx == 0.0 && wy == 0.0 {
            return;
        }
        self.move_to(target, out);
        let notches = |n: f64| n.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16;
        out.push(InputEvent::Wheel {
            dx: notches(wx),
            dy: notches(wy),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use winit::keyboard::{KeyCode, NamedKey};

    const PRESS: (bool, bool, bool) = (true, false, false);
    const RELEASE: (bool, bool, bool) = (false, false, false);

    /// 1920x1080 shown in 1000x1000: picture at y 219..781.
    fn state() -> InputState {
        let mut s = InputState::default();
        s.set_view(View::new((1920, 1080), (1000, 1000)));
        s
    }

    fn run(f: impl FnOnce(&mut Vec<InputEvent>)) -> Vec<InputEvent> {
        let mut out = Vec::new();
        f(&mut out);
        out
    }

    fn key(
        s: &mut InputState,
        code: KeyCode,
        logical: Key,
        ev: (bool, bool, bool),
    ) -> Vec<InputEvent> {
        let loc = match logical {
            Key::Named(NamedKey::Control | NamedKey::Shift) => KeyLocation::Left,
            _ => KeyLocation::Standard,
        };
        let (down, repeat, synthetic) = ev;
        let k = KeyInput {
            physical: PhysicalKey::Code(code),
            logical: &logical,
            location: loc,
            down,
            repeat,
            synthetic,
        };
        run(|o| s.key(k, o))
    }

    #[test]
    fn moves_inside_only_and_deduplicated() {
        let mut s = state();
        assert_eq!(
            run(|o| s.cursor_moved(500.0, 500.0, o)),
            vec![InputEvent::PointerMove { x: 960, y: 540 }]
        );
        assert_eq!(run(|o| s.cursor_moved(500.0, 100.0, o)), vec![]);
        // Exactly half size: two window positions inside one remote pixel send one move.
        s.set_view(View::new((1920, 1080), (960, 540)));
        assert_eq!(
            run(|o| s.cursor_moved(100.0, 100.0, o)),
            vec![InputEvent::PointerMove { x: 200, y: 200 }]
        );
        assert_eq!(run(|o| s.cursor_moved(100.1, 100.1, o)), vec![]);
    }

    #[test]
    fn border_click_is_ignored_and_its_release_too() {
        let mut s = state();
        assert_eq!(run(|o| s.cursor_moved(500.0, 100.0, o)), vec![]);
        assert_eq!(run(|o| s.button(Button::LEFT, true, o)), vec![]);
        assert_eq!(run(|o| s.button(Button::LEFT, false, o)), vec![]);
    }

    #[test]
    fn click_in_picture_and_drag_into_the_border() {
        let mut s = state();
        let _ = run(|o| s.cursor_moved(500.0, 500.0, o));
        assert_eq!(
            run(|o| s.button(Button::RIGHT, true, o)),
            vec![InputEvent::PointerButton {
                button: Button::RIGHT,
                down: true
            }]
        );
        assert_eq!(
            run(|o| s.cursor_moved(500.0, 10.0, o)),
            vec![InputEvent::PointerMove { x: 960, y: 0 }]
        );
        assert_eq!(
            run(|o| s.button(Button::RIGHT, false, o)),
            vec![InputEvent::PointerButton {
                button: Button::RIGHT,
                down: false
            }]
        );
    }

    #[test]
    fn wheel_lines_and_pixels() {
        let mut s = state();
        assert_eq!(run(|o| s.wheel_lines(0.0, 1.0, o)), vec![], "no cursor yet");
        let _ = run(|o| s.cursor_moved(500.0, 500.0, o));
        // X11 button 4 (scroll up) arrives as LineDelta(0, 1).
        assert_eq!(
            run(|o| s.wheel_lines(0.0, 1.0, o)),
            vec![InputEvent::Wheel { dx: 0, dy: -1 }]
        );
        assert_eq!(
            run(|o| s.wheel_lines(-1.0, -2.0, o)),
            vec![InputEvent::Wheel { dx: 1, dy: 2 }]
        );
        assert_eq!(run(|o| s.wheel_pixels(0.0, -30.0, o)), vec![]);
        assert_eq!(
            run(|o| s.wheel_pixels(0.0, -30.0, o)),
            vec![InputEvent::Wheel { dx: 0, dy: 1 }]
        );
    }

    #[test]
    fn ctrl_c_sends_modifier_down_and_up() {
        let mut s = state();
        let ctrl = || Key::Named(NamedKey::Control);
        let c = || Key::Character("c".into());
        let mut all = key(&mut s, KeyCode::ControlLeft, ctrl(), PRESS);
        all.extend(key(&mut s, KeyCode::KeyC, c(), PRESS));
        all.extend(key(&mut s, KeyCode::KeyC, c(), (true, true, false)));
        all.extend(key(&mut s, KeyCode::KeyC, c(), RELEASE));
        all.extend(key(&mut s, KeyCode::ControlLeft, ctrl(), RELEASE));
        let k = |keysym, down| InputEvent::Key { keysym, down };
        assert_eq!(
            all,
            vec![
                k(0xffe3, true),
                k(0x63, true),
                k(0x63, false),
                k(0xffe3, false)
            ]
        );
    }

    #[test]
    fn release_uses_the_keysym_of_the_press() {
        let mut s = state();
        let _ = key(&mut s, KeyCode::KeyA, Key::Character("a".into()), PRESS);
        let up = key(&mut s, KeyCode::KeyA, Key::Character("A".into()), RELEASE);
        assert_eq!(
            up,
            vec![InputEvent::Key {
                keysym: 0x61,
                down: false
            }]
        );
    }

    #[test]
    fn synthetic_presses_and_unknown_releases_are_ignored() {
        let mut s = state();
        let alt = Key::Named(NamedKey::Alt);
        assert_eq!(
            key(&mut s, KeyCode::AltLeft, alt.clone(), (true, false, true)),
            vec![]
        );
        assert_eq!(key(&mut s, KeyCode::AltLeft, alt, RELEASE), vec![]);
    }

    #[test]
    fn focus_loss_releases_everything_held() {
        let mut s = state();
        let _ = run(|o| s.cursor_moved(500.0, 500.0, o));
        let _ = run(|o| s.button(Button::LEFT, true, o));
        let _ = key(
            &mut s,
            KeyCode::ShiftLeft,
            Key::Named(NamedKey::Shift),
            PRESS,
        );
        let _ = key(&mut s, KeyCode::KeyX, Key::Character("X".into()), PRESS);
        assert_eq!(
            run(|o| s.release_all(o)),
            vec![
                InputEvent::Key {
                    keysym: 0x58,
                    down: false
                },
                InputEvent::Key {
                    keysym: 0xffe1,
                    down: false
                },
                InputEvent::PointerButton {
                    button: Button::LEFT,
                    down: false
                },
            ]
        );
        assert_eq!(run(|o| s.release_all(o)), vec![]);
        assert_eq!(run(|o| s.button(Button::LEFT, false, o)), vec![]);
    }
}
