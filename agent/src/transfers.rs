//! The customer's side of file transfers: where files land, what may be fetched, and the
//! customer's say over each transfer (accept/refuse/cancel by number, never a blocking
//! question: the session keeps running while the customer decides).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tandem_protocol::AttendeeId;
use tandem_protocol::files::RelativePath;
use tandem_transport::LinkSender;
use tandem_transport::files::{TransferEvent, Transfers};
use tokio::sync::{mpsc, watch};

use crate::Customer;

/// Where files go and what is shared.
#[derive(Debug, Clone)]
pub struct FileSettings {
    /// Received files land here.
    pub inbox: PathBuf,
    /// Attendees may list and fetch below this folder (None: nothing).
    pub shared: Option<PathBuf>,
    /// Accept offers and fetches without asking (the customer chose so when starting).
    pub auto_accept: bool,
    /// Let every attendee with the FILES right list and copy from the shared folder without
    /// asking first (the customer chose so when starting); otherwise each is asked for once.
    pub allow_browse: bool,
}

/// One attendee's transfers.
pub struct PeerFiles {
    /// The transfer engine.
    pub transfers: Transfers,
    /// Whether the attendee may transfer files now; checked before every chunk.
    pub allowed: watch::Sender<bool>,
    /// Last progress tenth reported per transfer.
    reported: HashMap<u32, u64>,
}

/// Starts transfers on a new link; events come out of the returned receiver.
pub fn start(
    link: LinkSender,
    settings: &FileSettings,
    allowed_now: bool,
) -> (PeerFiles, mpsc::UnboundedReceiver<TransferEvent>) {
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (allowed, allowed_rx) = watch::channel(allowed_now);
    let transfers = Transfers::new(
        link,
        events_tx,
        settings.inbox.clone(),
        settings.shared.clone(),
        allowed_rx,
    );
    (
        PeerFiles {
            transfers,
            allowed,
            reported: HashMap::new(),
        },
        events_rx,
    )
}

/// A transfer event from attendee `who` (`name`).
pub fn on_event(
    files: &mut PeerFiles,
    who: AttendeeId,
    name: &str,
    ev: TransferEvent,
    customer: &Customer,
    auto_accept: bool,
) {
    let tag = format!("{}-{}", who.to_wire(), id_of(&ev));
    match ev {
        TransferEvent::Offered {
            id,
            name: file,
            size,
        } => {
            if auto_accept {
                customer.say(&format!(
                    "{name} sends you '{file}' ({}); accepted.",
                    human(size)
                ));
                files.transfers.accept(id);
            } else {
                customer.say(&format!(
                    "{name} wants to send you '{file}' ({}). Type 'accept {tag}' or 'refuse {tag}'.",
                    human(size)
                ));
            }
        }
        TransferEvent::FetchRequested { id, path } => {
            if auto_accept {
                customer.say(&format!(
                    "{name} copies '{path}' from your computer; allowed."
                ));
                files.transfers.allow_fetch(id);
            } else {
                customer.say(&format!(
                    "{name} wants to copy '{path}' from your computer. Type 'accept {tag}' or 'refuse {tag}'."
                ));
            }
        }
        TransferEvent::Progress { id, done, total } => {
            // A line per tenth: a progress bar that survives a plain terminal and logs.
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            if files.reported.get(&id) != Some(&tenth) {
                files.reported.insert(id, tenth);
                let bar = format!(
                    "{}{}",
                    "#".repeat(tenth as usize),
                    ".".repeat(10 - tenth as usize)
                );
                customer.say(&format!(
                    "transfer {tag} [{bar}] {}%  (type 'cancel {tag}' to stop it)",
                    tenth * 10
                ));
            }
        }
        TransferEvent::Completed { file, .. } => {
            customer.say(&format!("transfer {tag} done: {file}"))
        }
        TransferEvent::Failed { reason, .. } => {
            // The reason may come from the other side: shown only if it is plain text.
            let reason = match tandem_protocol::chat::check_chat_text(&reason) {
                Ok(()) => reason,
                Err(_) => "the other side gave a reason that cannot be shown".to_owned(),
            };
            customer.say(&format!("transfer {tag} stopped: {reason}"))
        }
        TransferEvent::Listing { .. } => {}
        other => tracing::debug!("{other:?}"),
    }
}

fn id_of(ev: &TransferEvent) -> u32 {
    match ev {
        TransferEvent::Offered { id, .. }
        | TransferEvent::FetchRequested { id, .. }
        | TransferEvent::Progress { id, .. }
        | TransferEvent::Completed { id, .. }
        | TransferEvent::Failed { id, .. }
        | TransferEvent::Listing { id, .. } => *id,
        _ => 0,
    }
}

/// What the customer is asked when `name` (attendee `who`) wants to list a folder of the
/// shared folder `shared`, or to copy a file from it.
pub(crate) fn browse_question(
    name: &str,
    who: AttendeeId,
    shared: &Path,
    path: &RelativePath,
    fetch: bool,
) -> String {
    let parts = path.components();
    let (folder_parts, copy) = match (fetch, parts.split_last()) {
        (true, Some((file, folder))) => (folder, format!(" (to copy '{file}')")),
        _ => (parts, String::new()),
    };
    let mut folder = shared.to_path_buf();
    folder.extend(folder_parts.iter().map(|p| p.as_str()));
    let n = who.to_wire();
    format!(
        "{name} wants to see the files in '{}'{copy}. Type 'allow-browse {n}' to allow browsing for this session, or 'refuse {n}'.",
        folder.display()
    )
}

/// Splits "2-7" (attendee 2, transfer 7) as the customer types it.
pub fn parse_tag(tag: &str) -> Option<(AttendeeId, u32)> {
    let (who, id) = tag.split_once('-')?;
    Some((AttendeeId::from_wire(who.parse().ok()?), id.parse().ok()?))
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// The customer's answer to a transfer.
pub(crate) enum Verdict {
    /// Accept or allow.
    Accept,
    /// Say no.
    Refuse,
    /// Stop it while it runs.
    Cancel,
}

/// The customer answers a transfer by its tag ("2-7").
pub(crate) fn decide_transfer(
    found: Option<(&mut PeerFiles, u32)>,
    customer: &Customer,
    tag: &str,
    verdict: Verdict,
) {
    let Some((f, id)) = found else {
        customer.say(&format!("no transfer {tag}"));
        return;
    };
    match verdict {
        Verdict::Accept => {
            if !f.transfers.approve(id) {
                customer.say(&format!("nothing waits for an answer as {tag}"));
            }
        }
        Verdict::Refuse => f.transfers.refuse(id, "refused by the customer"),
        Verdict::Cancel => f.transfers.refuse(id, "cancelled by the customer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browse_question_names_the_folder_and_the_answers() {
        let shared = Path::new("/home/alice");
        let docs = RelativePath::parse("docs/2024").expect("path");
        assert_eq!(
            browse_question("Bob", AttendeeId::from_wire(3), shared, &docs, false),
            "Bob wants to see the files in '/home/alice/docs/2024'. Type 'allow-browse 3' to allow browsing for this session, or 'refuse 3'."
        );
        let file = RelativePath::parse("docs/a.txt").expect("path");
        assert_eq!(
            browse_question("Bob", AttendeeId::from_wire(3), shared, &file, true),
            "Bob wants to see the files in '/home/alice/docs' (to copy 'a.txt'). Type 'allow-browse 3' to allow browsing for this session, or 'refuse 3'."
        );
        let root = RelativePath::parse("").expect("path");
        assert!(
            browse_question("Bob", AttendeeId::HOST, shared, &root, false)
                .starts_with("Bob wants to see the files in '/home/alice'.")
        );
    }
}
