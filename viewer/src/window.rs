//! The session window: shows the customer's screen and sends the representative's input.
//!
//! ```text
//!  session task ──WindowSender::send(WindowUpdate)──▶ event loop (main thread)
//!                                                       │ scale picture (software, bilinear)
//!                                                       ▼
//!                                                     window (winit + softbuffer)
//!  session task ◀──UnboundedSender<InputEvent>──────── pointer / wheel / keys, in the
//!                                                       customer's screen coordinates
//! ```
//!
//! Rendering is done in software (softbuffer), so the window works under Xvfb without a GPU.
//! The loop sleeps until something happens (`ControlFlow::Wait`); it redraws only when a new
//! picture arrives, on resize, or when the window system asks.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tandem_viewer::window::{self, Picture, WindowUpdate};
//!
//! let (input, mut events) = tokio::sync::mpsc::unbounded_channel();
//! let (actions, _asked) = tokio::sync::mpsc::unbounded_channel();
//! window::run("ACME laptop", input, actions, |sender| {
//!     std::thread::spawn(move || {
//!         let picture = Picture { width: 2, height: 1, bgrx: vec![0, 0, 255, 0, 255, 0, 0, 0] };
//!         sender.send(WindowUpdate::Picture(Arc::new(picture)));
//!         sender.send(WindowUpdate::Status("view only".into()));
//!         while let Some(event) = events.blocking_recv() {
//!             let _ = event; // forward to the customer
//!         }
//!     });
//! })?;
//! # Ok::<(), anyhow::Error>(())
//! ```

mod app;
mod banner;
mod input;
mod keys;
mod render;
mod scale;

use anyhow::Context as _;
use std::fmt;
use std::sync::Arc;
use tandem_protocol::input::InputEvent;
use tokio::sync::mpsc::UnboundedSender;
use winit::event_loop::{ControlFlow, EventLoop, EventLoopProxy};

/// A complete picture of the customer's screen: BGRX bytes (B, G, R, unused),
/// stride = width * 4. Pictures whose `bgrx` is shorter than `width * height * 4`, or that are
/// empty, are ignored.
#[derive(Clone)]
pub struct Picture {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Pixels, row by row, 4 bytes each.
    pub bgrx: Vec<u8>,
}

impl fmt::Debug for Picture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Picture({}x{}, {} bytes)",
            self.width,
            self.height,
            self.bgrx.len()
        )
    }
}

/// The customer's pointer as drawn over the picture: B,G,R,A premultiplied, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct CursorPicture {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The pixel that points, from the left.
    pub hot_x: u16,
    /// The pixel that points, from the top.
    pub hot_y: u16,
    /// Pixels.
    pub bgra: Vec<u8>,
}

impl fmt::Debug for CursorPicture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CursorPicture({}x{})", self.width, self.height)
    }
}

/// What the session tells the window.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WindowUpdate {
    /// A new picture of the customer's screen; replaces the previous one.
    Picture(Arc<Picture>),
    /// Shown in the title, e.g. "view only" or "connected".
    Status(String),
    /// The customer's pointer moved (screen coordinates).
    CursorAt(u16, u16),
    /// The customer's pointer changed its look.
    CursorShape(Arc<CursorPicture>),
    /// A message over the dimmed picture while it is not live (the link dropped, the machine
    /// restarts); `None` takes it away.
    Banner(Option<String>),
    /// Our rights in force: without control the window offers "Ask for control". Sent again
    /// after the customer said no, so the button can be pressed again.
    Rights(tandem_protocol::Rights),
    /// The session is over: the reason is shown in the title briefly, then the window closes.
    Close(String),
}

/// What the representative asked for with the window's own buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowAction {
    /// "Ask for control": ask the customer to let us control.
    AskForControl,
}

/// Sends updates to the window from any thread.
#[derive(Clone, Debug)]
pub struct WindowSender {
    proxy: EventLoopProxy<WindowUpdate>,
}

impl WindowSender {
    /// Queues an update for the window; returns false once the window is gone.
    pub fn send(&self, update: WindowUpdate) -> bool {
        self.proxy.send_event(update).is_ok()
    }
}

/// Runs the window on the calling thread until the user closes it or
/// [`WindowUpdate::Close`] arrives.
///
/// `on_start` is called once with a sender before the loop runs (spawn the session task there).
/// Every input the representative makes is sent on `input` in the customer's screen
/// coordinates; a closed `input` channel is not an error (input is then dropped).
///
/// winit allows one event loop per process: call this once.
pub fn run(
    title: &str,
    input: UnboundedSender<InputEvent>,
    actions: UnboundedSender<WindowAction>,
    on_start: impl FnOnce(WindowSender),
) -> anyhow::Result<()> {
    let event_loop = event_loop().context("cannot open the window system (is DISPLAY set?)")?;
    event_loop.set_control_flow(ControlFlow::Wait);
    on_start(WindowSender {
        proxy: event_loop.create_proxy(),
    });
    let mut app = app::App::new(title, input, actions);
    event_loop
        .run_app(&mut app)
        .context("the window's event loop failed")?;
    app.finish()
}

/// The event loop; on X11 it may run on any thread (tests and tools run it off `main`).
fn event_loop() -> Result<EventLoop<WindowUpdate>, winit::error::EventLoopError> {
    let mut builder = EventLoop::with_user_event();
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    {
        use winit::platform::x11::EventLoopBuilderExtX11 as _;
        builder.with_any_thread(true);
    }
    builder.build()
}

/// The window title: "Tandem — <title> — <status>", leaving out empty parts.
fn title_text(title: &str, status: &str) -> String {
    let mut text = String::from("Tandem");
    for part in [title, status] {
        if !part.is_empty() {
            text.push_str(" — ");
            text.push_str(part);
        }
    }
    text
}

/// The title before the first picture.
const WAITING_TITLE: &str = "Tandem — waiting for the customer's screen";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_parts() {
        assert_eq!(
            title_text("ACME laptop", "view only"),
            "Tandem — ACME laptop — view only"
        );
        assert_eq!(title_text("ACME laptop", ""), "Tandem — ACME laptop");
        assert_eq!(title_text("", "connected"), "Tandem — connected");
        assert_eq!(title_text("", ""), "Tandem");
    }

    #[test]
    fn picture_debug_hides_pixels() {
        let p = Picture {
            width: 2,
            height: 1,
            bgrx: vec![1; 8],
        };
        assert_eq!(format!("{p:?}"), "Picture(2x1, 8 bytes)");
    }
}
