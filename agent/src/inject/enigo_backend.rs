//! Injection through enigo 0.6: XTEST via x11rb on Linux, SendInput on Windows, CGEvent on
//! macOS. Only the Linux path is built and tested here.
//!
//! What enigo's X11 backend does (read in its source, confirmed against Xvfb):
//! - Each event is an XTEST fake-input request plus two round trips (it looks up the XInput
//!   device id every time, then syncs), so an event has reached the server when `inject`
//!   returns.
//! - A key (named, `Unicode` or `Other`) becomes a keysym, searched only in the *unshifted*
//!   column of the keymap. When it is not there (capitals, `!`, `€`, …) enigo binds the keysym
//!   to a spare keycode with ChangeKeyboardMapping, caches that binding and undoes it on
//!   drop. It works, but every new binding makes every X client reload its keymap. And once
//!   the same bound key repeats within 12 ms, enigo asks XTEST to delay that and every later
//!   key event by up to 12 ms (a fixed delay, independent of `linux_delay`), until another
//!   new binding resets it: ≈24 ms per key click from then on.
//! - `text()` has no fast path on X11: one key click per character, with the same lookup.
//!   We type text ourselves from the live keymap instead (see `x11_keymap`).

use enigo::{
    Axis, Button, Coordinate, Direction, Enigo, InputError, Key, Keyboard, Mouse, Settings,
};
use tandem_protocol::input::{self, InputEvent};

use super::{InjectError, Injector, keysym_map};

/// Notches per wheel event we honour. Each notch is a click of button 4–7 with its own round
/// trips; the cap keeps one hostile or buggy event from blocking injection for seconds.
const MAX_WHEEL_NOTCHES: i16 = 20;

pub(super) struct EnigoInjector {
    enigo: Enigo,
    #[cfg(target_os = "linux")]
    keymap: super::x11_keymap::KeymapReader,
}

impl EnigoInjector {
    pub(super) fn open(display: Option<&str>) -> Result<Self, InjectError> {
        let display = x11_display(display)?;
        // For error messages: off X11 there is one desktop and no name.
        let name = display.clone().unwrap_or_else(|| "the desktop".into());
        let settings = Settings {
            x11_display: display,
            // The default 12 ms is passed to XTEST as a server-side delay on every button
            // event: a click would take ≈25 ms instead of ≈0.4 ms.
            linux_delay: 0,
            ..Default::default()
        };
        let enigo = Enigo::new(&settings).map_err(|e| InjectError::Connect {
            reason: connect_failure_reason(&name, &e),
            display: name.clone(),
        })?;
        #[cfg(target_os = "linux")]
        let keymap = super::x11_keymap::KeymapReader::connect(&name).map_err(|reason| {
            InjectError::Connect {
                display: name,
                reason,
            }
        })?;
        Ok(EnigoInjector {
            enigo,
            #[cfg(target_os = "linux")]
            keymap,
        })
    }

    fn type_text(&mut self, text: &str) -> Result<(), InputError> {
        // enigo would type '\n' as the Linefeed keysym, which many applications ignore;
        // a line break is what Return produces.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.enigo.key(Key::Return, Direction::Click)?;
            }
            if !line.is_empty() {
                self.type_line(line)?;
            }
        }
        Ok(())
    }

    /// Types characters with the keys the keymap has (see `x11_keymap` for why not
    /// `enigo.text`).
    #[cfg(target_os = "linux")]
    fn type_line(&mut self, line: &str) -> Result<(), InputError> {
        use super::x11_keymap::Stroke;
        let read_keymap = |reader: &super::x11_keymap::KeymapReader| {
            reader
                .keymap()
                .map_err(|_| InputError::Simulate("cannot read the X keyboard mapping"))
        };
        let mut keymap = read_keymap(&self.keymap)?;
        for c in line.chars() {
            match keymap.stroke(c) {
                Stroke::Key(keycode) => self.enigo.raw(keycode.into(), Direction::Click)?,
                Stroke::Shifted(keycode) => {
                    self.enigo.key(Key::LShift, Direction::Press)?;
                    let typed = self.enigo.raw(keycode.into(), Direction::Click);
                    self.enigo.key(Key::LShift, Direction::Release)?;
                    typed?;
                }
                Stroke::Bind(c) => {
                    self.enigo.key(Key::Unicode(c), Direction::Click)?;
                    // enigo changed the keymap (and may have dropped older bindings).
                    keymap = read_keymap(&self.keymap)?;
                }
            }
        }
        Ok(())
    }

    /// Windows and macOS enter text as Unicode directly (enigo's fast text path).
    #[cfg(not(target_os = "linux"))]
    fn type_line(&mut self, line: &str) -> Result<(), InputError> {
        self.enigo.text(line)
    }

    fn scroll(&mut self, dx: i16, dy: i16) -> Result<(), InputError> {
        let clamp = |n: i16| i32::from(n.clamp(-MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES));
        // Both enigo and the protocol count positive as down / right.
        if dy != 0 {
            self.enigo.scroll(clamp(dy), Axis::Vertical)?;
        }
        if dx != 0 {
            self.enigo.scroll(clamp(dx), Axis::Horizontal)?;
        }
        Ok(())
    }
}

impl Injector for EnigoInjector {
    fn inject(&mut self, event: &InputEvent) -> Result<(), InjectError> {
        let result = match event {
            InputEvent::PointerMove { x, y } => {
                self.enigo
                    .move_mouse(i32::from(*x), i32::from(*y), Coordinate::Abs)
            }
            InputEvent::PointerButton { button, down } => {
                let button = enigo_button(*button)
                    .ok_or(InjectError::Unsupported("pointer button above 9"))?;
                self.enigo.button(button, direction(*down))
            }
            InputEvent::Wheel { dx, dy } => self.scroll(*dx, *dy),
            InputEvent::Key { keysym, down } => {
                let key = keysym_map::key_for_keysym(*keysym).ok_or(InjectError::Unsupported(
                    "a keysym with no key on this platform",
                ))?;
                self.enigo.key(key, direction(*down))
            }
            InputEvent::Text(text) => self.type_text(text),
            _ => {
                return Err(InjectError::Unsupported(
                    "an input event this agent does not know",
                ));
            }
        };
        result.map_err(|e| InjectError::Failed(describe(&e)))
    }
}

fn direction(down: bool) -> Direction {
    if down {
        Direction::Press
    } else {
        Direction::Release
    }
}

/// X11 button numbers, which the protocol uses, to enigo's buttons (the same numbering on
/// enigo's X11 backend).
fn enigo_button(button: input::Button) -> Option<Button> {
    Some(match button.0 {
        1 => Button::Left,
        2 => Button::Middle,
        3 => Button::Right,
        4 => Button::ScrollUp,
        5 => Button::ScrollDown,
        6 => Button::ScrollLeft,
        7 => Button::ScrollRight,
        8 => Button::Back,
        9 => Button::Forward,
        _ => return None,
    })
}

/// enigo's error text, minus the keysym it names for mapping failures: errors get logged and
/// must not reveal what was typed.
fn describe(e: &InputError) -> String {
    match e {
        InputError::Mapping(_) => "no spare keycode to bind the key to".into(),
        InputError::Unmapping(_) => "cannot release a temporary key binding".into(),
        other => other.to_string(),
    }
}

/// The X display to open: the given one, else `DISPLAY`.
#[cfg(target_os = "linux")]
fn x11_display(display: Option<&str>) -> Result<Option<String>, InjectError> {
    crate::capture::resolve_display(display)
        .map(Some)
        .ok_or(InjectError::NoDisplay)
}

/// One desktop, nothing to choose.
#[cfg(not(target_os = "linux"))]
fn x11_display(_display: Option<&str>) -> Result<Option<String>, InjectError> {
    Ok(None)
}

/// enigo reports only "failed to establish the connection"; on X11, ask x11rb, whose error
/// says why (no such display, authorisation refused, …).
#[cfg(target_os = "linux")]
fn connect_failure_reason(display: &str, e: &enigo::NewConError) -> String {
    match x11rb::connect(Some(display)) {
        Err(why) => why.to_string(),
        Ok(_) => format!("enigo: {e}"),
    }
}

#[cfg(not(target_os = "linux"))]
fn connect_failure_reason(_display: &str, e: &enigo::NewConError) -> String {
    e.to_string()
}
