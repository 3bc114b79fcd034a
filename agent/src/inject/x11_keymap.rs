//! Linux: types text with the keys the X keymap already has, Shift included.
//!
//! Why not just `enigo.text()`: enigo looks each character's keysym up only in the keymap's
//! unshifted column. Capitals and most punctuation are not there, so it binds them to spare
//! keycodes — a keymap change every X client must reload — and enigo 0.6.1 then sends the key
//! events that follow with an XTEST delay of up to 12 ms each (its key-map delay is fixed at
//! 12 ms, ignores `linux_delay`, and stays set for later keys). Measured: 8 ms per character
//! of mixed-case text, 24 ms per character after a repeated one. Typing a shifted character
//! as Shift + its key avoids both; characters the keymap lacks (€ on a US keymap) still go
//! through enigo's spare-keycode binding.

use tandem_protocol::input::keysym_for_char;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

const NO_SYMBOL: u32 = 0;

/// How to type one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stroke {
    /// Press this keycode.
    Key(u8),
    /// Press this keycode with Shift held.
    Shifted(u8),
    /// Not on the keymap: let enigo bind it to a spare keycode.
    Bind(char),
}

/// A connection of our own for reading the keymap (enigo's is private).
pub(super) struct KeymapReader {
    conn: RustConnection,
}

impl KeymapReader {
    pub(super) fn connect(display: &str) -> Result<Self, String> {
        let (conn, _) = x11rb::connect(Some(display)).map_err(|e| e.to_string())?;
        Ok(KeymapReader { conn })
    }

    /// The current keymap. Read afresh for each text (one round trip) rather than cached, so a
    /// layout switch or enigo's own bindings never leave us with a stale copy.
    pub(super) fn keymap(&self) -> Result<Keymap, String> {
        let setup = self.conn.setup();
        let (min_keycode, max_keycode) = (setup.min_keycode, setup.max_keycode);
        let count = max_keycode.saturating_sub(min_keycode).saturating_add(1);
        let reply = self
            .conn
            .get_keyboard_mapping(min_keycode, count)
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?;
        Ok(Keymap {
            min_keycode,
            per_keycode: usize::from(reply.keysyms_per_keycode),
            keysyms: reply.keysyms,
        })
    }
}

/// The core keymap: for each keycode from `min_keycode` on, `per_keycode` keysyms, column 0
/// unshifted and column 1 shifted.
pub(super) struct Keymap {
    min_keycode: u8,
    per_keycode: usize,
    keysyms: Vec<u32>,
}

impl Keymap {
    /// How to type `c`: its key if the keymap has it unshifted or shifted, else a binding.
    pub(super) fn stroke(&self, c: char) -> Stroke {
        let keysym = keysym_for_char(c);
        let column = |col: usize| self.keycode_with(keysym, col);
        match (column(0), column(1)) {
            (Some(keycode), _) => Stroke::Key(keycode),
            (None, Some(keycode)) => Stroke::Shifted(keycode),
            (None, None) => Stroke::Bind(c),
        }
    }

    fn keycode_with(&self, keysym: u32, col: usize) -> Option<u8> {
        if self.per_keycode <= col || keysym == NO_SYMBOL {
            return None;
        }
        let row = self
            .keysyms
            .chunks_exact(self.per_keycode)
            .position(|row| row[col] == keysym)?;
        // Rows are keycodes min_keycode..=max_keycode, so the sum is at most max_keycode.
        u8::try_from(row)
            .ok()
            .and_then(|row| self.min_keycode.checked_add(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keycodes 10–12 of a US keymap: 1/!, 2/@, and a/A.
    fn us() -> Keymap {
        Keymap {
            min_keycode: 10,
            per_keycode: 2,
            keysyms: vec![0x31, 0x21, 0x32, 0x40, 0x61, 0x41],
        }
    }

    #[test]
    fn unshifted_shifted_and_missing() {
        let map = us();
        assert_eq!(map.stroke('2'), Stroke::Key(11));
        assert_eq!(map.stroke('a'), Stroke::Key(12));
        assert_eq!(map.stroke('!'), Stroke::Shifted(10));
        assert_eq!(map.stroke('A'), Stroke::Shifted(12));
        assert_eq!(map.stroke('€'), Stroke::Bind('€'));
    }

    #[test]
    fn an_empty_keymap_binds_everything() {
        let map = Keymap {
            min_keycode: 8,
            per_keycode: 0,
            keysyms: Vec::new(),
        };
        assert_eq!(map.stroke('a'), Stroke::Bind('a'));
    }
}
