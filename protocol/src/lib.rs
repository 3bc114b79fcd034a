//! Tandem's sans-IO core: everything about a remote-support session that can be decided
//! without sockets, threads or a clock.
//!
//! ```text
//!  agent shell                                         viewer shell
//!  capture ─► tiles::TileEncoder ─► wire::Message ═══► ViewerSession ─► FrameBuffer ─► window
//!  inject  ◄─ AgentEvent::Inject ◄─ AgentSession ◄═══ wire::Message ◄─ send_input ◄─ keyboard
//!                                    ▲ grants (portal signalling), consent (customer)
//! ```
//!
//! - [`ids`]: `SessionCode`, `AttendeeId`, `Rights`, `Role` — parse, don't validate.
//! - [`wire`]: numbered messages, golden-tested framing, `Unknown` for ids from the future.
//! - [`rights`]: the one rule deciding whether input is injected.
//! - [`agent`] / [`viewer`]: deterministic state machines (`handle_*` in, `poll_*` out).
//! - [`tiles`]: lossless changed-tile codec.
//! - [`updates`]: the viewer's bounded assembly of chunked screen updates.
//! - [`signal`]: JSON signalling with the portal.
//!
//! ```
//! use std::time::Instant;
//! use tandem_protocol::{agent::AgentSession, ids::{AttendeeId, Rights, Role}, rights::Consent};
//! let now = Instant::now();
//! let mut agent = AgentSession::new();
//! agent.handle_attendee_joined(AttendeeId::HOST, Role::Host, Rights::HOST_DEFAULT, now);
//! agent.handle_consent(AttendeeId::HOST, Consent { view: true, control: false });
//! assert!(!tandem_protocol::rights::may_inject(agent.effective_rights(AttendeeId::HOST)));
//! ```
#![forbid(unsafe_code)]

pub mod agent;
mod bytes;
pub mod chat;
pub mod clipboard;
pub mod customer_view;
pub mod files;
pub mod front_desk;
pub mod ids;
pub mod input;
pub mod lossy;
pub mod management;
pub mod motion;
pub mod moves;
mod picture;
pub mod queue;
pub mod reports;
pub mod rights;
pub mod roster;
pub mod signal;
pub mod stamp;
pub mod tiles;
pub mod updates;
pub mod viewer;
pub mod wire;

pub use ids::{AttendeeId, Rights, Role, SessionCode};
