//! Tandem's customer app: redeems a session code at the portal, asks the customer for
//! consent, then shows the screen to the attendees the customer allowed and injects the
//! input of those allowed to control.
//!
//! ```text
//!  portal (WebSocket) ── redeem, attendees, signalling ──┐
//!  capture thread ─► tiles ─► PendingFrames ─► writer ─► WebRTC link ─► viewer
//!  inject thread  ◄─ AgentEvent::Inject ◄─ AgentSession ◄─ WebRTC link ◄─ viewer
//! ```
//! Platform code lives only in [`capture`] and [`inject`]; everything else is portable.

pub mod capture;
mod customer;
pub mod inject;
mod pipeline;
mod session;
mod transfers;

use tandem_protocol::SessionCode;
use tandem_protocol::rights::{self, Consent};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};
use tandem_transport::TransportConfig;
use tandem_transport::signalling::{PortalConnection, SignallingError};

pub use customer::Customer;
pub use tandem_transport::signalling::parse_join;
pub use transfers::FileSettings;

/// How the agent was started.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Portal base URL, e.g. `http://127.0.0.1:8470`.
    pub portal: String,
    /// The code the customer was given.
    pub code: SessionCode,
    /// X display (Linux); `None` = `$DISPLAY`.
    pub display: Option<String>,
    /// WebRTC settings.
    pub transport: TransportConfig,
    /// Consent given on the command line instead of asking.
    pub pre_authorized: Option<Consent>,
    /// Shown to the representative ("alice@laptop").
    pub customer_name: String,
    /// File transfer settings.
    pub files: FileSettings,
}

/// Why the agent stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The screen cannot be captured.
    #[error("cannot capture the screen: {0}")]
    Capture(#[from] capture::CaptureError),
    /// Input cannot be injected.
    #[error("cannot control the keyboard and mouse: {0}")]
    Inject(#[from] inject::InjectError),
    /// The portal could not be reached or broke the protocol.
    #[error(transparent)]
    Portal(#[from] SignallingError),
    /// The portal refused the code.
    #[error("{message}")]
    CodeRefused {
        /// Why, for programs.
        kind: ErrorKind,
        /// Why, for people.
        message: String,
    },
    /// The customer said no.
    #[error("you declined: nobody can see your screen")]
    ConsentRefused,
}

/// Runs one support session from code to end. Returns why it ended.
pub async fn run(
    config: AgentConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<String, AgentError> {
    // Check the machine first: a code must not be used up by an agent that cannot work.
    let capture = capture::open(config.display.as_deref())?;
    let injector = inject::open(config.display.as_deref())?;
    let client = concat!("tandem-agent ", env!("CARGO_PKG_VERSION"));
    let mut conn = PortalConnection::connect(&config.portal, client).await?;
    let redeem = ClientMessage::Redeem {
        code: config.code,
        customer: config.customer_name.clone(),
    };
    let host = match conn.request(redeem).await? {
        PortalMessage::Redeemed { session, host, .. } => {
            tracing::info!(session, code = %config.code.redacted(), "code accepted");
            host
        }
        PortalMessage::Error { kind, message } => {
            return Err(AgentError::CodeRefused { kind, message });
        }
        other => return Err(SignallingError::Unexpected(format!("{other:?}")).into()),
    };
    let mut customer = Customer::from_stdin(config.pre_authorized);
    customer.say(&format!(
        "Connected to the support portal. {} asked for this session.",
        host.name
    ));
    let consent = customer.ask_consent(&host).await;
    let allowed = rights::effective(host.rights, consent);
    conn.send(ClientMessage::Consent {
        attendee: host.id,
        allowed,
    })?;
    if !consent.view {
        conn.send(ClientMessage::EndSession {
            reason: "the customer declined the session".into(),
        })?;
        conn.close().await;
        return Err(AgentError::ConsentRefused);
    }
    customer.say(&format!(
        "{} can now {}. Type 'revoke' to take control away, 'status' to see who is connected, 'end' to end the session.",
        host.name,
        if consent.control { "see your screen and use your mouse and keyboard" } else { "see your screen" }
    ));
    let (portal, portal_rx) = conn.split();
    let parts = session::SessionParts {
        portal,
        portal_rx,
        customer,
        capture,
        injector,
        transport: config.transport,
        consent,
        files: config.files,
    };
    session::run(parts, shutdown).await
}
