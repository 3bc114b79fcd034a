//! Input events an attendee sends to the customer's machine.

/// A pointer button, numbered as X11 does (1 left, 2 middle, 3 right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Button(pub u8);

impl Button {
    /// Primary button.
    pub const LEFT: Button = Button(1);
    /// Middle button.
    pub const MIDDLE: Button = Button(2);
    /// Secondary button.
    pub const RIGHT: Button = Button(3);
}

/// One input event, in the customer's screen coordinates. Keys are X11 keysyms, which name
/// keys independent of keyboard layout on every platform (the agent maps them).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputEvent {
    /// Move the pointer to an absolute position.
    PointerMove {
        /// Column in screen pixels.
        x: u16,
        /// Row in screen pixels.
        y: u16,
    },
    /// Press or release a button at the current position.
    PointerButton {
        /// Which button.
        button: Button,
        /// Pressed (true) or released.
        down: bool,
    },
    /// Scroll by whole notches (positive dy = down, positive dx = right).
    Wheel {
        /// Horizontal notches.
        dx: i16,
        /// Vertical notches.
        dy: i16,
    },
    /// Press or release a key.
    Key {
        /// X11 keysym.
        keysym: u32,
        /// Pressed (true) or released.
        down: bool,
    },
    /// Type a string (layout-independent text entry).
    Text(String),
}

/// A few keysyms by name, for scripts and the console.
pub fn keysym_by_name(name: &str) -> Option<u32> {
    let sym = match name {
        "Return" | "Enter" => 0xff0d,
        "BackSpace" => 0xff08,
        "Tab" => 0xff09,
        "Escape" => 0xff1b,
        "Delete" => 0xffff,
        "Home" => 0xff50,
        "Left" => 0xff51,
        "Up" => 0xff52,
        "Right" => 0xff53,
        "Down" => 0xff54,
        "Page_Up" => 0xff55,
        "Page_Down" => 0xff56,
        "End" => 0xff57,
        "Insert" => 0xff63,
        "Shift_L" => 0xffe1,
        "Shift_R" => 0xffe2,
        "Control_L" => 0xffe3,
        "Control_R" => 0xffe4,
        "Alt_L" => 0xffe9,
        "Alt_R" => 0xffea,
        "Super_L" => 0xffeb,
        "Super_R" => 0xffec,
        "Print" => 0xff61,
        "Menu" => 0xff67,
        "space" => 0x0020,
        _ => {
            if let Some(n) = name.strip_prefix('F').and_then(|n| n.parse::<u32>().ok())
                && (1..=24).contains(&n)
            {
                return Some(0xffbe + n - 1);
            }
            let mut chars = name.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => Some(keysym_for_char(c)),
                _ => None,
            };
        }
    };
    Some(sym)
}

/// The keysym X11 uses for a character: Latin-1 maps to itself, the rest to 0x0100_0000 + code.
pub fn keysym_for_char(c: char) -> u32 {
    let code = c as u32;
    if (0x20..=0x7e).contains(&code) || (0xa0..=0xff).contains(&code) {
        code
    } else {
        0x0100_0000 + code
    }
}

/// Keys the representative's own desktop or browser keeps for itself, sent from a menu: the
/// name (for the console and scripts), the words for a menu, and the keys pressed in order
/// (released in reverse by [`chord`]).
pub const SPECIAL_KEYS: [(&str, &str, &[&str]); 6] = [
    (
        "ctrl-alt-del",
        "Ctrl+Alt+Del",
        &["Control_L", "Alt_L", "Delete"],
    ),
    ("super", "Super (Windows key)", &["Super_L"]),
    ("alt-tab", "Alt+Tab", &["Alt_L", "Tab"]),
    ("print-screen", "Print Screen", &["Print"]),
    ("alt-f4", "Alt+F4", &["Alt_L", "F4"]),
    ("ctrl-esc", "Ctrl+Esc", &["Control_L", "Escape"]),
];

/// Presses `keysyms` in order and releases them in reverse, as a person holds a chord.
pub fn chord(keysyms: &[u32]) -> Vec<InputEvent> {
    let press = keysyms
        .iter()
        .map(|&keysym| InputEvent::Key { keysym, down: true });
    let release = keysyms.iter().rev().map(|&keysym| InputEvent::Key {
        keysym,
        down: false,
    });
    press.chain(release).collect()
}

/// The chord of keys named like `["Control_L", "Alt_L", "Delete"]`, or the first unknown name.
pub fn chord_by_names<S: AsRef<str>>(names: &[S]) -> Result<Vec<InputEvent>, String> {
    let keysyms = names
        .iter()
        .map(|n| keysym_by_name(n.as_ref()).ok_or_else(|| format!("unknown key '{}'", n.as_ref())))
        .collect::<Result<Vec<u32>, String>>()?;
    Ok(chord(&keysyms))
}

/// The chord of a [`SPECIAL_KEYS`] entry by its name ("ctrl-alt-del").
pub fn special_keys(name: &str) -> Option<Vec<InputEvent>> {
    let (_, _, keys) = SPECIAL_KEYS.iter().find(|(n, _, _)| *n == name)?;
    chord_by_names(keys).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_key_is_a_chord_of_known_keys() {
        for (name, _, keys) in SPECIAL_KEYS {
            let events = special_keys(name).expect(name);
            assert_eq!(events.len(), keys.len() * 2, "{name}");
        }
        let cad = special_keys("ctrl-alt-del").expect("ctrl-alt-del");
        let downs: Vec<(u32, bool)> = cad
            .iter()
            .filter_map(|e| match e {
                InputEvent::Key { keysym, down } => Some((*keysym, *down)),
                _ => None,
            })
            .collect();
        assert_eq!(
            downs,
            [
                (0xffe3, true),
                (0xffe9, true),
                (0xffff, true),
                (0xffff, false),
                (0xffe9, false),
                (0xffe3, false)
            ]
        );
        assert_eq!(chord_by_names(&["Nope"]), Err("unknown key 'Nope'".into()));
    }
}
