//! Tandem's representative app: portal commands (codes), the session driver, and two front
//! ends — a window (winit + softbuffer, no GPU needed) and a headless mode for automation.
//!
//! ```text
//!  portal ── login, codes, join, signalling ──► session::run ◄── WebRTC link ── agent
//!                                                 │    ▲
//!                                     UiEvent     ▼    │ UiCommand (input, screenshot)
//!                                      window (pictures, keyboard, mouse) | headless (JSON lines)
//! ```
#![forbid(unsafe_code)]

pub mod console;
pub mod front;
pub mod headless;
mod link_setup;
mod local_clipboard;
mod rejoin;
pub mod rep;
pub mod session;
mod stdin;
pub mod window;
