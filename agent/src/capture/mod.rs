//! Screen capture: one small trait, one backend per platform.
//!
//! ```text
//! open(display) ──► Box<dyn ScreenCapture>
//!                      │ wait_for_damage(timeout) ──► Vec<Rect>   (what changed; [] = idle)
//!                      │ grab()                    ──► FrameRef    (BGRX, whole screen)
//!                      ▼
//!                 TileEncoder::encode(frame, Some(&damage))
//! ```
//!
//! The run loop alternates `wait_for_damage` and `grab`. Damage that lands between the two
//! is captured by the grab *and* reported again by the next `wait_for_damage`: a redundant
//! tile comparison, never a missed change.
//!
//! Backends:
//! - Linux/X11 ([`x11`]): MIT-SHM into a private memfd, XDamage for change rectangles.
//! - Windows/macOS (`scrap_backend`): scrap 0.5, no damage information.
//!
//! Screen size: viewers accept at most [`tandem_protocol::wire::MAX_SCREEN_SIDE`] pixels a
//! side and [`tandem_protocol::wire::MAX_SCREEN_PIXELS`] (8K UHD) in all, and end the
//! session with "the customer's screen is larger than this viewer accepts" otherwise. Real
//! screens are smaller (one 8K monitor is the limit itself), so the agent sends what it
//! captures without a check of its own; only a made-up virtual screen could go beyond.

pub use tandem_protocol::tiles::{FrameRef, Rect};

#[cfg(target_os = "linux")]
mod x11;

#[cfg(any(windows, target_os = "macos"))]
mod scrap_backend;

use std::time::Duration;

/// Why the screen could not be opened or captured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// No display was given and `DISPLAY` is unset or empty.
    #[error("no display: set DISPLAY or pass --display")]
    NoDisplay,
    /// The display server refused or could not be reached.
    #[error("cannot open display {display}: {reason}")]
    Connect {
        /// The display name we tried, e.g. `:5`.
        display: String,
        /// What the connection attempt reported.
        reason: String,
    },
    /// The display server lacks an extension capture needs.
    #[error("the display server lacks the {0} extension, which screen capture needs")]
    MissingExtension(&'static str),
    /// The screen's pixel layout is not 32-bit B,G,R,X.
    #[error("unsupported pixel format: {0}")]
    UnsupportedFormat(String),
    /// Setting up the shared capture buffer failed.
    #[error("cannot set up the shared capture buffer: {0}")]
    SharedMemory(#[source] std::io::Error),
    /// An X11 request failed or the connection broke.
    #[error("X11 error: {0}")]
    X11(String),
    /// The platform's capture API failed (Windows/macOS).
    #[error("screen capture failed: {0}")]
    Platform(String),
    /// No capture backend exists for this operating system.
    #[error("screen capture is not supported on this platform")]
    Unsupported,
}

/// A source of screen images.
pub trait ScreenCapture: Send {
    /// Screen size in pixels.
    fn size(&self) -> (u16, u16);

    /// Waits up to `timeout` for the screen to change. Returns the rectangles that changed since
    /// the previous call (empty = nothing changed within the timeout). Does not busy-loop: it
    /// blocks in poll(2) on the X connection or equivalent. Backends without damage
    /// information return one full-screen rect.
    ///
    /// The first call, and the first after a resolution change, returns the whole screen at
    /// once, so a loop that grabs only on damage still sends an initial picture.
    fn wait_for_damage(&mut self, timeout: Duration) -> Result<Vec<Rect>, CaptureError>;

    /// Grabs the whole screen now (BGRX, 4 bytes/pixel). The pointer is not part of the
    /// image (X draws it separately). The frame borrows the capture until the next call.
    fn grab(&mut self) -> Result<FrameRef<'_>, CaptureError>;

    /// Like [`ScreenCapture::grab`], but only rows `y0..y0 + rows` need to be fresh: the
    /// others may hold the previous grab (for damage-driven loops, which compare only what
    /// was damaged; video in a 720-row window then costs 720 rows, not the screen).
    fn grab_rows(&mut self, y0: u16, rows: u16) -> Result<FrameRef<'_>, CaptureError> {
        let _ = (y0, rows);
        self.grab()
    }

    /// The pointer, when it moved or changed shape since the last call (`None`: same as
    /// before, or the backend cannot tell). It travels apart from the screen image.
    fn cursor(&mut self) -> Result<Option<CursorUpdate>, CaptureError> {
        Ok(None)
    }
}

/// Where the pointer is, and its new look when that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorUpdate {
    /// Hot spot, screen x.
    pub x: u16,
    /// Hot spot, screen y.
    pub y: u16,
    /// Present when the shape changed (and on the first call).
    pub shape: Option<CursorImage>,
}

/// A cursor's picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorImage {
    /// Changes with the shape.
    pub serial: u32,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Hot spot from the left.
    pub hot_x: u16,
    /// Hot spot from the top.
    pub hot_y: u16,
    /// B,G,R,A per pixel, alpha premultiplied.
    pub bgra: Vec<u8>,
}

/// Opens the platform backend. `display` is e.g. `Some(":5")`; `None` = the `DISPLAY`
/// environment variable on X11 (ignored elsewhere: there is one desktop).
pub fn open(display: Option<&str>) -> Result<Box<dyn ScreenCapture>, CaptureError> {
    #[cfg(target_os = "linux")]
    {
        Ok(Box::new(x11::X11Capture::open(display)?))
    }
    #[cfg(any(windows, target_os = "macos"))]
    {
        let _ = display;
        Ok(Box::new(scrap_backend::ScrapCapture::open()?))
    }
    #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
    {
        let _ = display;
        Err(CaptureError::Unsupported)
    }
}

/// The display name to use: the explicit one, else `DISPLAY`. Shared by capture and injection
/// so both report a missing display the same way.
#[cfg(target_os = "linux")]
pub(crate) fn resolve_display(display: Option<&str>) -> Option<String> {
    match display {
        Some(name) if !name.is_empty() => Some(name.to_owned()),
        Some(_) => None,
        None => std::env::var("DISPLAY")
            .ok()
            .filter(|name| !name.is_empty()),
    }
}
