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
