//! The customer's side of file transfers: where files land, what may be fetched, and the
//! customer's say over each transfer (accept/refuse/cancel by number, never a blocking
//! question: the session keeps running while the customer decides).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tandem_protocol::AttendeeId;
use tandem_protocol::files::RelativePath;
use tandem_protocol::signal::SessionActivity;
use tandem_transport::LinkSender;
use tandem_transport::files::{TransferEvent, Transfers};
use tokio::sync::{mpsc, watch};

use crate::customer::{Customer, Progress, Question};

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

/// Shows a transfer event to the customer: offers and copies are questions (unless the
/// customer agreed to everything in advance), progress is shown, endings are said.
pub fn on_event(
    files: &mut PeerFiles,
    who: AttendeeId,
    name: &str,
    ev: TransferEvent,
    customer: &mut Customer,
    settings: &FileSettings,
) -> Option<SessionActivity> {
    let tag = format!("{}-{}", who.to_wire(), id_of(&ev));
    match ev {
        TransferEvent::Offered {
            id,
            name: file,
            size,
        } => {
            if settings.auto_accept {
                customer.say(&format!(
                    "{name} sends you '{file}' ({}); accepted.",
                    human(size)
                ));
                files.transfers.accept(id);
            } else {
                customer.ask(Question::FileOffer {
                    tag,
                    from: name.to_owned(),
                    file,
                    size: human(size),
                    folder: settings.inbox.display().to_string(),
                });
            }
        }
        TransferEvent::FetchRequested { id, path } => {
            if settings.auto_accept {
                customer.say(&format!(
                    "{name} copies '{path}' from your computer; allowed."
                ));
                files.transfers.allow_fetch(id);
            } else {
                customer.ask(Question::Fetch {
                    tag,
                    from: name.to_owned(),
                    path,
                });
            }
        }
        TransferEvent::Progress { id, done, total } => {
            let percent = (done * 100).checked_div(total).unwrap_or(100).min(100);
            // Whole tenths only: a progress line per chunk would flood the terminal.
            let tenth = percent / 10;
            if files.reported.get(&id) != Some(&tenth) {
                files.reported.insert(id, tenth);
                customer.progress(Progress {
                    tag,
                    label: format!("transfer with {name}"),
                    percent: u8::try_from(percent).unwrap_or(100),
                });
            }
        }
        TransferEvent::Completed {
            file,
            size,
            sha256,
            received,
            ..
        } => {
            customer.transfer_over(&tag);
            customer.say(&format!("Transfer {tag} with {name} done: {file}"));
            // The record names the file, never the customer's folders.
            let base = Path::new(&file)
                .file_name()
                .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
            return Some(SessionActivity::File {
                attendee: who,
                name: base,
                size,
                sha256: sha256.iter().map(|b| format!("{b:02x}")).collect(),
                to_customer: received,
            });
        }
        TransferEvent::Failed { reason, .. } => {
            let reason = match tandem_protocol::chat::check_chat_text(&reason) {
                Ok(()) => reason,
                Err(_) => "the other side gave a reason that cannot be shown".to_owned(),
            };
            customer.transfer_over(&tag);
            customer.say(&format!("Transfer {tag} with {name} stopped: {reason}"));
        }
        TransferEvent::Listing { .. } => {}
        other => tracing::debug!("{other:?}"),
    }
    None
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

/// The folder a path inside the shared folder names, in full, for the customer.
pub(crate) fn folder_in(shared: &Path, path: &str) -> String {
    let mut folder = shared.to_path_buf();
    folder.extend(path.split('/').filter(|p| !p.is_empty()));
    folder.display().to_string()
}

/// The question a browse request puts to the customer: the whole folder, and the file if
/// they want to copy one.
pub(crate) fn browse_question(
    name: &str,
    who: AttendeeId,
    shared: &Path,
    path: &RelativePath,
    fetch: bool,
) -> Question {
    let parts = path.components();
    let (folder_parts, file) = match (fetch, parts.split_last()) {
        (true, Some((file, folder))) => (folder, Some(file.as_str())),
        _ => (parts, None),
    };
    let mut folder = shared.to_path_buf();
    folder.extend(folder_parts.iter().map(|p| p.as_str()));
    Question::Browse {
        attendee: who,
        from: name.to_owned(),
        folder: folder.display().to_string(),
        file: file.map(str::to_owned),
    }
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
        let ask = |path: &str, fetch| {
            let q = browse_question(
                "Bob",
                AttendeeId::from_wire(3),
                shared,
                &RelativePath::parse(path).expect("path"),
                fetch,
            );
            format!("{} {}", q.text(), q.terminal_hint())
        };
        assert_eq!(
            ask("docs/2024", false),
            "Bob wants to see the files in '/home/alice/docs/2024'. Type 'allow-browse 3' to allow browsing for this session, or 'refuse 3'."
        );
        assert_eq!(
            ask("docs/a.txt", true),
            "Bob wants to see the files in '/home/alice/docs' (to copy 'a.txt'). Type 'allow-browse 3' to allow browsing for this session, or 'refuse 3'."
        );
        assert!(ask("", false).starts_with("Bob wants to see the files in '/home/alice'."));
        assert_eq!(folder_in(shared, "docs/2024"), "/home/alice/docs/2024");
    }
}
