//! Representative commands against the portal: log in, create, list and cancel codes.

use tandem_protocol::SessionCode;
use tandem_protocol::signal::{ClientMessage, CodeInfo, ErrorKind, PortalMessage, RepPresence};
use tandem_transport::signalling::{PortalConnection, SignallingError};

/// Why a portal request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepError {
    /// Network or protocol trouble.
    #[error(transparent)]
    Portal(#[from] SignallingError),
    /// The portal said no.
    #[error("{message}")]
    Refused {
        /// Category.
        kind: ErrorKind,
        /// Words from the portal.
        message: String,
    },
    /// An answer that does not fit the request.
    #[error("unexpected answer from the portal: {0}")]
    Unexpected(String),
}

fn refused_or_unexpected(other: PortalMessage) -> RepError {
    match other {
        PortalMessage::Error { kind, message } => RepError::Refused { kind, message },
        // Its type only: fields hold codes, support keys and links.
        other => RepError::Unexpected(other.kind().to_owned()),
    }
}

/// Connects and logs in; returns the connection and the representative's display name.
pub async fn login(
    portal: &str,
    user: &str,
    password: &str,
    portal_name: Option<String>,
) -> Result<(PortalConnection, String), RepError> {
    let client = concat!("tandem-viewer ", env!("CARGO_PKG_VERSION"));
    let mut conn = PortalConnection::connect(portal, client).await?;
    let login = ClientMessage::Login {
        user: user.to_owned(),
        password: password.to_owned(),
        portal: portal_name,
        // The native viewer signs in with a password only (see below).
        otp: None,
    };
    match conn.request(login).await? {
        PortalMessage::LoggedIn { name, .. } => Ok((conn, name)),
        PortalMessage::Error {
            kind: ErrorKind::SecondFactor,
            ..
        } => Err(RepError::Refused {
            kind: ErrorKind::SecondFactor,
            message: "this account signs in with a second factor, which the native viewer \
                      cannot ask for yet; open the session from the console in a browser"
                .to_owned(),
        }),
        other => Err(refused_or_unexpected(other)),
    }
}

/// Creates a code for a customer.
pub async fn create_code(
    conn: &mut PortalConnection,
    customer: &str,
    portal: Option<String>,
) -> Result<CodeInfo, RepError> {
    match conn
        .request(ClientMessage::CreateCode {
            customer: customer.to_owned(),
            portal,
        })
        .await?
    {
        PortalMessage::CodeCreated(info) => Ok(info),
        other => Err(refused_or_unexpected(other)),
    }
}

/// This representative's active codes.
pub async fn list_codes(conn: &mut PortalConnection) -> Result<Vec<CodeInfo>, RepError> {
    match conn.request(ClientMessage::ListCodes).await? {
        PortalMessage::Codes { codes } => Ok(codes),
        other => Err(refused_or_unexpected(other)),
    }
}

/// Cancels an active code.
pub async fn cancel_code(conn: &mut PortalConnection, code: SessionCode) -> Result<(), RepError> {
    match conn.request(ClientMessage::CancelCode { code }).await? {
        PortalMessage::CodeCancelled { .. } => Ok(()),
        other => Err(refused_or_unexpected(other)),
    }
}

/// The representatives logged in now.
pub async fn list_reps(conn: &mut PortalConnection) -> Result<Vec<RepPresence>, RepError> {
    match conn.request(ClientMessage::ListReps).await? {
        PortalMessage::Reps { reps } => Ok(reps),
        other => Err(refused_or_unexpected(other)),
    }
}

/// "9:59" for a countdown.
pub fn countdown(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The code grouped for reading aloud: "123 456 789".
pub fn spaced(code: SessionCode) -> String {
    let d = code.digits();
    format!("{} {} {}", &d[..3], &d[3..6], &d[6..])
}

/// A code as the representative sees it in the terminal.
pub fn describe(info: &CodeInfo) -> String {
    format!(
        "Code        {}   (expires in {}, portal '{}', for {})\nJoin link   {}\nInvitation\n{}",
        spaced(info.code),
        countdown(info.expires_in_secs),
        info.portal,
        info.customer,
        info.join_url,
        info.invitation
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
