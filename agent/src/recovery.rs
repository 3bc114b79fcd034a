//! Coming back: after a reboot the customer agreed to, and after the portal connection
//! dropped while the peer-to-peer links stayed up.

use std::time::{Duration, Instant};

use tandem_protocol::signal::{ClientMessage, PortalMessage};
use tandem_transport::signalling::PortalConnection;

use crate::{Customer, RebootSettings, resume};

/// Arranges the restart after boot, then runs the reboot command.
pub(crate) async fn reboot_now(
    reboot: &RebootSettings,
    state_dir: &std::path::Path,
    display: Option<&str>,
    customer: &Customer,
) {
    match resume::install_autostart(state_dir, display) {
        Ok(unit) => tracing::info!("autostart after reboot: {}", unit.display()),
        Err(e) => tracing::warn!("cannot arrange the restart after boot: {e}"),
    }
    customer.say("Restarting your computer now. Tandem reconnects to the session by itself.");
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&reboot.command)
        .status()
        .await;
    if !status.is_ok_and(|s| s.success()) {
        customer.say(
            "The restart command failed; restart your computer yourself, Tandem will reconnect.",
        );
    }
}

/// Comes back to the session at the portal after the connection dropped: retries with
/// growing pauses for up to five minutes; a refusal (session over, wrong secret) is final.
pub(crate) async fn reconnect(state: resume::ResumeState) -> Result<PortalConnection, String> {
    let client = concat!("tandem-agent ", env!("CARGO_PKG_VERSION"));
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut pause = Duration::from_millis(250);
    loop {
        match PortalConnection::connect(&state.portal, client).await {
            Ok(mut conn) => {
                let request = ClientMessage::Resume {
                    session: state.session,
                    secret: state.secret.clone(),
                };
                match conn.request(request).await {
                    Ok(PortalMessage::Resumed { .. }) => return Ok(conn),
                    Ok(PortalMessage::Error { message, .. }) => return Err(message),
                    // Its type only: this text ends up in the end reason and the log.
                    Ok(other) => return Err(format!("unexpected answer '{}'", other.kind())),
                    Err(e) => tracing::info!("portal reconnect: {e}"),
                }
            }
            Err(e) => tracing::info!("portal reconnect: {e}"),
        }
        if Instant::now() + pause > deadline {
            return Err("the portal did not come back within five minutes".into());
        }
        // Backoff between attempts, not a wait for a condition.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}
