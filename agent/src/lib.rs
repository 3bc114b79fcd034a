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
pub mod clock;
pub mod customer;
pub mod download;
pub mod inject;
mod link_setup;
mod pipeline;
mod recorder;
mod recovery;
mod resume;
mod session;
mod transfers;
pub mod window;

use tandem_protocol::SessionCode;
use tandem_protocol::rights::{self, Consent};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};
use tandem_transport::TransportConfig;
use tandem_transport::signalling::{PortalConnection, SignallingError};

pub use customer::Customer;
pub use resume::{SavedSettings, saved_settings};
pub use tandem_transport::signalling::parse_join;
pub use transfers::FileSettings;

/// How the session starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// Redeem a code at a portal.
    Code {
        /// Portal base URL, e.g. `http://127.0.0.1:8470`.
        portal: String,
        /// The code the customer was given.
        code: SessionCode,
        /// The join link's token (`?t=`), if started from a link.
        link_token: Option<String>,
    },
    /// Come back to the session in the resume record (after a reboot).
    Resume,
}

/// Reboot handling.
#[derive(Debug, Clone)]
pub struct RebootSettings {
    /// Shell command that reboots the machine.
    pub command: String,
    /// Agree to reboot requests without asking (the customer chose so when starting).
    pub auto_accept: bool,
}

/// How the agent was started.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Code or resume.
    pub start: Start,
    /// X display (Linux); `None` = `$DISPLAY`.
    pub display: Option<String>,
    /// WebRTC settings.
    pub transport: TransportConfig,
    /// How the customer sees the session (kept for the resumed agent after a reboot).
    pub front: FrontSettings,
    /// A private CA the portal's certificate is checked against (kept for the resumed agent).
    pub ca_file: Option<std::path::PathBuf>,
    /// Shown to the representative ("alice@laptop").
    pub customer_name: String,
    /// File transfer settings.
    pub files: FileSettings,
    /// Where the resume record lives.
    pub state_dir: std::path::PathBuf,
    /// Reboot handling.
    pub reboot: RebootSettings,
}

/// The customer's front-end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrontSettings {
    /// The customer app's window (false: the terminal front-end).
    pub window: bool,
    /// Colour of the frame around the shared screen; `None`: no frame.
    pub frame: Option<[u8; 3]>,
    /// Agreed in advance (with the consent given on the command line): the portal may record
    /// the session if it asks.
    #[serde(default)]
    pub allow_recording: bool,
}

/// Why the session ends when the customer does not allow a recording the portal requires.
pub const RECORDING_REFUSED: &str =
    "the customer did not allow recording, which this support portal requires";

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
    /// The portal requires recording and the customer did not allow it.
    #[error(
        "the session did not start: this support portal records every session and you did not allow that; nobody can see your screen"
    )]
    RecordingRefused,
    /// There is no session to come back to.
    #[error("cannot resume the session: {0}")]
    Resume(String),
    /// The session's task stopped unexpectedly (a bug): not "nothing to resume", so the
    /// resume unit retries.
    #[error("the session stopped: {0}")]
    Stopped(String),
}

/// Runs one support session from code (or resume record) to end. Returns why it ended.
pub async fn run(
    config: AgentConfig,
    mut customer: Customer,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<String, AgentError> {
    let result = run_session(&config, &mut customer, shutdown).await;
    customer.ended(&match &result {
        Ok(reason) => reason.clone(),
        Err(e) => e.to_string(),
    });
    result
}

async fn run_session(
    config: &AgentConfig,
    customer: &mut Customer,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<String, AgentError> {
    // Check the machine first: a code must not be used up by an agent that cannot work.
    let capture = capture::open(config.display.as_deref())?;
    let injector = inject::open(config.display.as_deref())?;
    let client = concat!("tandem-agent ", env!("CARGO_PKG_VERSION"));
    let Started {
        conn,
        consent,
        record,
        resume: resume_state,
    } = match &config.start {
        Start::Code {
            portal,
            code,
            link_token,
        } => {
            let link_token = link_token.clone();
            start_with_code(config, customer, portal, *code, link_token, client).await?
        }
        Start::Resume => resume_session(config, customer, client).await?,
    };
    let (portal, portal_rx) = conn.split();
    let parts = session::SessionParts {
        portal,
        portal_rx,
        capture,
        injector,
        transport: config.transport.clone(),
        consent,
        record,
        files: config.files.clone(),
        reboot: config.reboot.clone(),
        state_dir: config.state_dir.clone(),
        display: config.display.clone(),
        resume: resume_state,
    };
    let end = session::run(parts, customer, shutdown).await?;
    if !end.rebooting {
        resume::remove(&config.state_dir);
    }
    Ok(end.reason)
}

/// A session joined (by code or by resume), ready for the session loop.
struct Started {
    conn: PortalConnection,
    consent: Consent,
    /// The customer let the portal record the session.
    record: bool,
    /// How to come back after a reboot or a lost portal connection.
    resume: Option<resume::ResumeState>,
}

async fn start_with_code(
    config: &AgentConfig,
    customer: &mut Customer,
    portal_url: &str,
    code: SessionCode,
    link_token: Option<String>,
    client: &str,
) -> Result<Started, AgentError> {
    let portal_name = portal_host(portal_url);
    customer.status(&format!("Connecting to the support portal {portal_name}…"));
    let mut conn = PortalConnection::connect(portal_url, client).await?;
    let redeem = ClientMessage::Redeem {
        code,
        customer: config.customer_name.clone(),
        link_token,
    };
    let (session, host, secret, recording) = match conn.request(redeem).await? {
        PortalMessage::Redeemed {
            session,
            host,
            resume_secret,
            recording,
            ..
        } => {
            tracing::info!(session, code = %code.redacted(), "code accepted");
            (session, host, resume_secret, recording)
        }
        PortalMessage::Error { kind, message } => {
            return Err(AgentError::CodeRefused { kind, message });
        }
        // Its type only: the fields can hold secrets.
        other => return Err(SignallingError::Unexpected(other.kind().to_owned()).into()),
    };
    customer.status(&format!(
        "Connected to the support portal {portal_name}. {} asked for this session.",
        host.name
    ));
    let answer = customer
        .ask_consent(&host, &portal_name, recording, config.front.allow_recording)
        .await;
    let consent = answer.consent;
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
    if let Some(terms) = recording {
        // Said before any link opens: nothing is shown, let alone recorded, before this.
        conn.send(ClientMessage::Recording {
            allowed: answer.record,
        })?;
        if terms.required && !answer.record {
            conn.send(ClientMessage::EndSession {
                reason: RECORDING_REFUSED.into(),
            })?;
            conn.close().await;
            return Err(AgentError::RecordingRefused);
        }
    }
    let mut kept = None;
    if !secret.is_empty() {
        let state = resume::ResumeState {
            portal: portal_url.to_owned(),
            session,
            secret,
            view: consent.view,
            control: consent.control,
            customer_name: config.customer_name.clone(),
            settings: Some(SavedSettings::of(config)),
            record: answer.record,
        };
        if let Err(e) = resume::save(&config.state_dir, &state) {
            tracing::warn!("cannot keep the resume record (a reboot will end the session): {e}");
        }
        kept = Some(state);
    }
    customer.status("You are in a support session. Type 'stop-control' to take control away, 'status' to see who is connected, 'end' to end the session.");
    Ok(Started {
        conn,
        consent,
        record: answer.record,
        resume: kept,
    })
}

/// Comes back to the session of the resume record, with the consent given then.
async fn resume_session(
    config: &AgentConfig,
    customer: &mut Customer,
    client: &str,
) -> Result<Started, AgentError> {
    let state = resume::load(&config.state_dir)
        .map_err(|e| AgentError::Resume(format!("no resume record ({e})")))?;
    let mut conn = PortalConnection::connect(&state.portal, client).await?;
    let request = ClientMessage::Resume {
        session: state.session,
        secret: state.secret.clone(),
    };
    let host = match conn.request(request).await? {
        PortalMessage::Resumed { host, .. } => host,
        PortalMessage::Error { message, .. } => {
            resume::remove(&config.state_dir);
            return Err(AgentError::Resume(message));
        }
        // Its type only: the fields can hold secrets.
        other => return Err(SignallingError::Unexpected(other.kind().to_owned()).into()),
    };
    tracing::info!("resumed {state}");
    customer.say(&format!(
        "Back in your support session with {} after the restart (as before: {}).",
        host.name,
        if state.control {
            "they can see your screen and use your mouse and keyboard"
        } else {
            "they can see your screen"
        }
    ));
    let consent = Consent {
        view: state.view,
        control: state.control,
    };
    if state.record {
        // The recording goes on where it stopped (the portal appends to it).
        conn.send(ClientMessage::Recording { allowed: true })?;
    }
    Ok(Started {
        conn,
        consent,
        record: state.record,
        resume: Some(state),
    })
}

/// The portal's host name, as the customer is shown it ("support.example.com").
fn portal_host(portal_url: &str) -> String {
    url::Url::parse(portal_url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "(unknown)".to_owned())
}
