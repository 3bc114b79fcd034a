//! Helpers for the management pages' requests.

use tandem_protocol::management::{ManageRequest, ManagementView};
use tandem_protocol::signal::{ClientMessage, PortalMessage};

use super::Client;

/// Sends a management request; its `Management` answer, or whatever else came instead.
/// `Functions` (every representative, the manager included, hears theirs again after a
/// change) is skipped.
pub async fn manage(
    c: &mut Client,
    request: ManageRequest,
) -> Result<ManagementView, PortalMessage> {
    c.send(&ClientMessage::Manage(request)).await;
    loop {
        match c.recv().await {
            PortalMessage::Management(view) => return Ok(view),
            PortalMessage::Functions { .. } => continue,
            other => return Err(other),
        }
    }
}
