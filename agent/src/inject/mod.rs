//! Input injection: one small trait; enigo implements it on every platform.
//!
//! ```text
//! InputEvent (X11 keysyms, screen pixels) ──► Injector::inject ──► enigo ──► XTEST / SendInput / CGEvent
//! ```
//!
//! Errors never carry the key or text that failed: they may be logged, and keystrokes must
//! not be.

mod enigo_backend;
mod keysym_map;
#[cfg(target_os = "linux")]
mod x11_keymap;

use tandem_protocol::input::InputEvent;

/// Why input could not be injected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InjectError {
    /// No display was given and `DISPLAY` is unset or empty (X11).
    #[error("no display: set DISPLAY or pass --display")]
    NoDisplay,
    /// The display (or the platform's input API) could not be opened.
    #[error("cannot open display {display}: {reason}")]
    Connect {
        /// The display name we tried, e.g. `:5`.
        display: String,
        /// What the connection attempt reported.
        reason: String,
    },
    /// The event has no equivalent on this platform (an unknown keysym or button).
    #[error("cannot inject on this platform: {0}")]
    Unsupported(&'static str),
    /// The platform rejected the event or the connection broke.
    #[error("input injection failed: {0}")]
    Failed(String),
}

/// A sink for input events.
pub trait Injector: Send {
    /// Performs `event` on the local desktop.
    fn inject(&mut self, event: &InputEvent) -> Result<(), InjectError>;
}

/// Opens the platform backend. `display` is e.g. `Some(":5")`; `None` = the `DISPLAY`
/// environment variable on X11 (ignored elsewhere: there is one desktop).
pub fn open(display: Option<&str>) -> Result<Box<dyn Injector>, InjectError> {
    Ok(Box::new(enigo_backend::EnigoInjector::open(display)?))
}
