//! winit keys to X11 keysyms, which is what [`InputEvent::Key`] carries.
//!
//! We use winit's *logical* key: it follows the representative's layout and Shift, but not Ctrl
//! (winit leaves Ctrl out of it), so Ctrl+C arrives as `Control_L` down, `c` down, `c` up,
//! `Control_L` up. Keypad keys are sent as their ordinary keysyms (`5`, `Return`, `Left`), which
//! every agent can type.
//!
//! [`InputEvent::Key`]: tandem_protocol::input::InputEvent::Key

use tandem_protocol::input::keysym_for_char;
use winit::keyboard::{Key, KeyLocation, NamedKey};

/// What one key press sends to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyAction {
    /// A key with an X11 keysym: sent as down and, later, up.
    Sym(u32),
    /// Text that is no single key (e.g. a composed sequence): sent once as text.
    Text(String),
}

/// The action for a logical key, or `None` for keys we do not forward (dead keys, unknown
/// keys, media keys).
pub(crate) fn action(key: &Key, location: KeyLocation) -> Option<KeyAction> {
    match key {
        Key::Named(named) => named_keysym(*named, location).map(KeyAction::Sym),
        Key::Character(s) => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => Some(KeyAction::Sym(keysym_for_char(c))),
                (Some(_), Some(_)) if !s.chars().any(char::is_control) => {
                    Some(KeyAction::Text(s.to_string()))
                }
                _ => None,
            }
        }
        Key::Unidentified(_) | Key::Dead(_) => None,
    }
}

/// The X11 keysym of a named key; left and right modifiers are told apart by `location`.
pub(crate) fn named_keysym(key: NamedKey, location: KeyLocation) -> Option<u32> {
    let right = location == KeyLocation::Right;
    let side = |left: u32| if right { left + 1 } else { left };
    let sym = match key {
        NamedKey::Enter => 0xff0d,
        NamedKey::Backspace => 0xff08,
        NamedKey::Tab => 0xff09,
        NamedKey::Escape => 0xff1b,
        NamedKey::Space => 0x0020,
        NamedKey::Delete => 0xffff,
        NamedKey::Insert => 0xff63,
        NamedKey::Home => 0xff50,
        NamedKey::ArrowLeft => 0xff51,
        NamedKey::ArrowUp => 0xff52,
        NamedKey::ArrowRight => 0xff53,
        NamedKey::ArrowDown => 0xff54,
        NamedKey::PageUp => 0xff55,
        NamedKey::PageDown => 0xff56,
        NamedKey::End => 0xff57,
        NamedKey::Pause => 0xff13,
        NamedKey::ScrollLock => 0xff14,
        NamedKey::PrintScreen => 0xff61,
        NamedKey::ContextMenu => 0xff67,
        NamedKey::NumLock => 0xff7f,
        NamedKey::CapsLock => 0xffe5,
        NamedKey::Shift => side(0xffe1),
        NamedKey::Control => side(0xffe3),
        NamedKey::Meta => side(0xffe7),
        NamedKey::Alt => side(0xffe9),
        NamedKey::Super => side(0xffeb),
        NamedKey::Hyper => side(0xffed),
        NamedKey::AltGraph => 0xfe03, // ISO_Level3_Shift
        other => return function_key(other).map(|n| 0xffbe + n - 1),
    };
    Some(sym)
}

/// `n` for the function key F`n` (1..=35).
fn function_key(key: NamedKey) -> Option<u32> {
    use NamedKey::*;
    const KEYS: [NamedKey; 35] = [
        F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14, F15, F16, F17, F18, F19, F20,
        F21, F22, F23, F24, F25, F26, F27, F28, F29, F30, F31, F32, F33, F34, F35,
    ];
    // The position is below 35, so the cast is exact.
    KEYS.iter().position(|k| *k == key).map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_protocol::input::keysym_by_name;

    fn named(key: NamedKey) -> Option<u32> {
        named_keysym(key, KeyLocation::Standard)
    }

    fn by_name(name: &str) -> Option<u32> {
        keysym_by_name(name)
    }

    #[test]
    fn editing_keys_match_the_protocol_names() {
        let pairs = [
            (NamedKey::Enter, "Return"),
            (NamedKey::Backspace, "BackSpace"),
            (NamedKey::Tab, "Tab"),
            (NamedKey::Escape, "Escape"),
            (NamedKey::Delete, "Delete"),
            (NamedKey::Insert, "Insert"),
            (NamedKey::Home, "Home"),
            (NamedKey::End, "End"),
            (NamedKey::PageUp, "Page_Up"),
            (NamedKey::PageDown, "Page_Down"),
            (NamedKey::ArrowLeft, "Left"),
            (NamedKey::ArrowUp, "Up"),
            (NamedKey::ArrowRight, "Right"),
            (NamedKey::ArrowDown, "Down"),
            (NamedKey::Space, "space"),
        ];
        for (key, name) in pairs {
            assert_eq!(named(key), by_name(name), "{key:?}");
        }
    }

    #[test]
    fn function_keys_f1_to_f24() {
        use NamedKey::*;
        let keys = [
            F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14, F15, F16, F17, F18, F19,
            F20, F21, F22, F23, F24,
        ];
        for (i, key) in keys.into_iter().enumerate() {
            assert_eq!(named(key), by_name(&format!("F{}", i + 1)), "{key:?}");
        }
        assert_eq!(named(F35), Some(0xffe0));
    }

    #[test]
    fn modifiers_have_sides() {
        let left = |k| named_keysym(k, KeyLocation::Left);
        let right = |k| named_keysym(k, KeyLocation::Right);
        assert_eq!(left(NamedKey::Shift), by_name("Shift_L"));
        assert_eq!(right(NamedKey::Shift), by_name("Shift_R"));
        assert_eq!(left(NamedKey::Control), by_name("Control_L"));
        assert_eq!(right(NamedKey::Control), by_name("Control_R"));
        assert_eq!(left(NamedKey::Alt), by_name("Alt_L"));
        assert_eq!(right(NamedKey::Alt), by_name("Alt_R"));
        assert_eq!(left(NamedKey::Super), by_name("Super_L"));
        assert_eq!(right(NamedKey::Super), Some(0xffec));
        assert_eq!(named(NamedKey::Control), by_name("Control_L"));
        assert_eq!(named(NamedKey::AltGraph), Some(0xfe03));
    }

    #[test]
    fn characters_use_keysym_for_char() {
        let ch = |s: &str| action(&Key::Character(s.into()), KeyLocation::Standard);
        assert_eq!(ch("c"), Some(KeyAction::Sym(0x63)));
        assert_eq!(ch("C"), Some(KeyAction::Sym(0x43)));
        assert_eq!(ch("!"), Some(KeyAction::Sym(0x21)));
        assert_eq!(ch("é"), Some(KeyAction::Sym(0xe9)));
        assert_eq!(ch("€"), Some(KeyAction::Sym(0x0100_20ac)));
        assert_eq!(ch("5"), Some(KeyAction::Sym(0x35)));
        assert_eq!(ch("ñe"), Some(KeyAction::Text("ñe".into())));
        assert_eq!(ch("\u{3}"), None);
        assert_eq!(ch(""), None);
    }

    #[test]
    fn unforwarded_keys() {
        let loc = KeyLocation::Standard;
        assert_eq!(action(&Key::Dead(Some('`')), loc), None);
        assert_eq!(action(&Key::Named(NamedKey::AudioVolumeUp), loc), None);
        assert_eq!(
            action(&Key::Named(NamedKey::Enter), KeyLocation::Numpad),
            Some(KeyAction::Sym(0xff0d))
        );
    }
}
