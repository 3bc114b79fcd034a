//! X11 keysyms (the protocol's key names) to enigo keys.
//!
//! One path on every platform, so the X11 tests here exercise the table Windows and macOS
//! rely on: named keys first, then characters as `Key::Unicode`. On X11 enigo turns both back
//! into exactly the keysym we started from, so nothing is lost there; a keysym the table does
//! not know goes to enigo as `Key::Other(keysym)`, which its X11 backend takes as a raw keysym.
//! On Windows/macOS `Key::Other` means a virtual-key code instead, so unknown keysyms are
//! refused there rather than pressing some unrelated key.

use enigo::Key;

const FUNCTION_KEYS: [Key; 20] = [
    Key::F1,
    Key::F2,
    Key::F3,
    Key::F4,
    Key::F5,
    Key::F6,
    Key::F7,
    Key::F8,
    Key::F9,
    Key::F10,
    Key::F11,
    Key::F12,
    Key::F13,
    Key::F14,
    Key::F15,
    Key::F16,
    Key::F17,
    Key::F18,
    Key::F19,
    Key::F20,
];

const KEYPAD_DIGITS: [Key; 10] = [
    Key::Numpad0,
    Key::Numpad1,
    Key::Numpad2,
    Key::Numpad3,
    Key::Numpad4,
    Key::Numpad5,
    Key::Numpad6,
    Key::Numpad7,
    Key::Numpad8,
    Key::Numpad9,
];

/// The enigo key for `keysym`, or `None` when this platform has no way to press it.
pub(super) fn key_for_keysym(keysym: u32) -> Option<Key> {
    named_key(keysym)
        .or_else(|| char_for_keysym(keysym).map(Key::Unicode))
        .or_else(|| unnamed_key(keysym))
}

/// Keys with a name in enigo. Entries shared by all platforms map back to the same keysym on
/// X11 (left/right variants that enigo would merge are listed per platform).
fn named_key(keysym: u32) -> Option<Key> {
    let key = match keysym {
        0x0020 => Key::Space,
        0xff08 => Key::Backspace,
        0xff09 => Key::Tab,
        0xff0d => Key::Return,
        0xff1b => Key::Escape,
        0xffff => Key::Delete,
        0xff50 => Key::Home,
        0xff51 => Key::LeftArrow,
        0xff52 => Key::UpArrow,
        0xff53 => Key::RightArrow,
        0xff54 => Key::DownArrow,
        0xff55 => Key::PageUp,
        0xff56 => Key::PageDown,
        0xff57 => Key::End,
        0xff6a => Key::Help,
        0xffe1 => Key::LShift,
        0xffe2 => Key::RShift,
        0xffe3 => Key::LControl,
        0xffe4 => Key::RControl,
        0xffe5 => Key::CapsLock,
        0xffe9 => Key::Alt,
        0xffeb => Key::Meta,
        0xffaa => Key::Multiply,
        0xffab => Key::Add,
        0xffad => Key::Subtract,
        0xffae => Key::Decimal,
        0xffaf => Key::Divide,
        0xffb0..=0xffb9 => KEYPAD_DIGITS[(keysym - 0xffb0) as usize],
        0xffbe..=0xffd1 => FUNCTION_KEYS[(keysym - 0xffbe) as usize],
        0x1008ff11 => Key::VolumeDown,
        0x1008ff12 => Key::VolumeMute,
        0x1008ff13 => Key::VolumeUp,
        0x1008ff14 => Key::MediaPlayPause,
        0x1008ff16 => Key::MediaPrevTrack,
        0x1008ff17 => Key::MediaNextTrack,
        // Keys Macs do not have.
        #[cfg(not(target_os = "macos"))]
        0xff13 => Key::Pause,
        #[cfg(not(target_os = "macos"))]
        0xff61 => Key::PrintScr,
        #[cfg(not(target_os = "macos"))]
        0xff63 => Key::Insert,
        #[cfg(not(target_os = "macos"))]
        0xff7f => Key::Numlock,
        #[cfg(not(target_os = "macos"))]
        0xffd2 => Key::F21,
        #[cfg(not(target_os = "macos"))]
        0xffd3 => Key::F22,
        #[cfg(not(target_os = "macos"))]
        0xffd4 => Key::F23,
        #[cfg(not(target_os = "macos"))]
        0xffd5 => Key::F24,
        // Right-hand modifiers and keypad Enter: X11 has exact keysyms (handled by
        // `unnamed_key`); elsewhere use the closest named key.
        #[cfg(windows)]
        0xffea => Key::RMenu,
        #[cfg(windows)]
        0xffec => Key::RWin,
        #[cfg(windows)]
        0xff67 => Key::Apps,
        #[cfg(windows)]
        0xff14 => Key::Scroll,
        #[cfg(target_os = "macos")]
        0xffea => Key::ROption,
        #[cfg(target_os = "macos")]
        0xffec => Key::RCommand,
        #[cfg(any(windows, target_os = "macos"))]
        0xff8d => Key::Return,
        _ => return None,
    };
    Some(key)
}

/// The character a keysym types: Latin-1 keysyms are the code point itself, other
/// characters are `0x0100_0000 + code point`. Control characters are not characters here.
fn char_for_keysym(keysym: u32) -> Option<char> {
    let code = match keysym {
        0x20..=0x7e | 0xa0..=0xff => keysym,
        0x0100_0100..=0x0110_ffff => keysym - 0x0100_0000,
        _ => return None,
    };
    char::from_u32(code)
}

/// Keysyms with neither a name nor a character (e.g. `ISO_Level3_Shift`, `dead_acute`).
#[cfg(all(unix, not(target_os = "macos")))]
fn unnamed_key(keysym: u32) -> Option<Key> {
    // NoSymbol would "find" the first unmapped keycode and press nothing useful.
    (keysym != 0).then_some(Key::Other(keysym))
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn unnamed_key(_keysym: u32) -> Option<Key> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_protocol::input::{keysym_by_name, keysym_for_char};

    #[test]
    fn named_keys_come_first() {
        let name = |n: &str| keysym_by_name(n).and_then(key_for_keysym);
        assert_eq!(name("Return"), Some(Key::Return));
        assert_eq!(name("space"), Some(Key::Space));
        assert_eq!(name("F5"), Some(Key::F5));
        assert_eq!(name("F20"), Some(Key::F20));
        assert_eq!(name("Shift_R"), Some(Key::RShift));
        assert_eq!(key_for_keysym(0xffb7), Some(Key::Numpad7));
    }

    #[test]
    fn characters_become_unicode_keys() {
        for c in ['a', 'Z', '!', 'ä', '€', '日'] {
            assert_eq!(
                key_for_keysym(keysym_for_char(c)),
                Some(Key::Unicode(c)),
                "{c}"
            );
        }
    }

    #[test]
    fn control_codes_are_not_characters() {
        assert_eq!(char_for_keysym(0x0a), None);
        assert_eq!(char_for_keysym(0x7f), None);
        assert_eq!(char_for_keysym(0x0100_000a), None);
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn unknown_keysyms_pass_through_on_x11() {
        assert_eq!(key_for_keysym(0xfe03), Some(Key::Other(0xfe03))); // ISO_Level3_Shift
        assert_eq!(key_for_keysym(0), None);
    }
}
