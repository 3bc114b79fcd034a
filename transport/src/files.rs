//! File transfer IO shared by agent and viewer: one task per transfer, driven by the
//! messages of [`tandem_protocol::files`].
//!
//! Receiving writes to a hidden partial file beside the destination (`.name.tandem-partial`,
//! with its expected size and hash in `.name.tandem-partial.meta`), so a transfer cut by a
//! dropped connection or a killed process resumes from the partial file's length when the
//! same file is offered again. Only after the SHA-256 of the whole file matches is it linked
//! under its final name — with a no-replace hard link, so nothing half-written or foreign
//! ever sits there — and the partial removed. Names from the other side are parsed into
//! [`FileName`]/[`RelativePath`] first; sending refuses anything but regular files and does
//! not follow symbolic links inside the shared folder.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tandem_protocol::files::{CHUNK, DirEntry, FileName, RelativePath};
use tandem_protocol::wire::Message;
use tokio::sync::{mpsc, watch};

use crate::{Channel, LinkSender};

/// What the front end hears about transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferEvent {
    /// The other side offers a file: accept with [`Transfers::accept`] or refuse.
    Offered {
        /// Transfer id.
        id: u32,
        /// Its name.
        name: String,
        /// Its size.
        size: u64,
    },
    /// The other side asks for a file from the shared folder: allow or refuse.
    FetchRequested {
        /// Transfer id.
        id: u32,
        /// Path inside the shared folder.
        path: String,
    },
    /// Bytes moved so far.
    Progress {
        /// Transfer id.
        id: u32,
        /// Bytes done (including a resumed part).
        done: u64,
        /// Total bytes.
        total: u64,
    },
    /// Done and verified.
    Completed {
        /// Transfer id.
        id: u32,
        /// The file's final path (receiver) or name (sender).
        file: String,
        /// Its size in bytes.
        size: u64,
        /// Its SHA-256, as checked by the receiver.
        sha256: [u8; 32],
        /// This side received it (else it sent it).
        received: bool,
    },
    /// Stopped.
    Failed {
        /// Transfer id.
        id: u32,
        /// Why, in words.
        reason: String,
    },
    /// A folder listing arrived.
    Listing {
        /// Request id.
        id: u32,
        /// Entries.
        entries: Vec<DirEntry>,
    },
}

/// Offers and fetches of the other side that may wait for the customer's answer at once.
pub const MAX_WAITING: usize = 16;

/// Transfers with one peer.
pub struct Transfers {
    link: LinkSender,
    events: mpsc::UnboundedSender<TransferEvent>,
    /// Where received files go.
    inbox: PathBuf,
    /// The folder the other side may browse and fetch from (agent only).
    shared: Option<PathBuf>,
    /// Whether transfers are (still) allowed; checked before every chunk.
    allowed: watch::Receiver<bool>,
    routes: HashMap<u32, mpsc::UnboundedSender<Route>>,
    offers: HashMap<u32, (FileName, u64, [u8; 32])>,
    fetches: HashMap<u32, RelativePath>,
    my_fetches: Vec<u32>,
    next_id: u32,
}

impl Transfers {
    /// Transfers over `link`; received files land in `inbox`; `shared` is what the other
    /// side may list and fetch (None: nothing).
    pub fn new(
        link: LinkSender,
        events: mpsc::UnboundedSender<TransferEvent>,
        inbox: PathBuf,
        shared: Option<PathBuf>,
        allowed: watch::Receiver<bool>,
    ) -> Self {
        Transfers {
            link,
            events,
            inbox,
            shared,
            allowed,
            routes: HashMap::new(),
            offers: HashMap::new(),
            fetches: HashMap::new(),
            my_fetches: Vec::new(),
            next_id: 1,
        }
    }

    fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends a local file to the other side; returns its transfer id.
    pub fn send_file(&mut self, path: PathBuf) -> u32 {
        let id = self.fresh_id();
        self.spawn_sender(id, path, false);
        id
    }

    /// Asks the other side for a file of its shared folder; it arrives in the inbox.
    pub fn fetch(&mut self, path: &str) -> u32 {
        let id = self.fresh_id();
        self.my_fetches.push(id);
        self.send_now(Message::FileFetch {
            id,
            path: path.to_owned(),
        });
        id
    }

    /// Asks the other side for a listing of a folder of its shared folder.
    pub fn list(&mut self, path: &str) -> u32 {
        let id = self.fresh_id();
        self.send_now(Message::ListDir {
            id,
            path: path.to_owned(),
        });
        id
    }

    /// An id the other side may not (re)use for a new offer or fetch: one in use already
    /// (a second offer under it would replace the question the customer is reading), or any
    /// once too many wait for an answer.
    fn refuse_new_request(&mut self, id: u32) -> bool {
        if self.offers.contains_key(&id)
            || self.fetches.contains_key(&id)
            || self.routes.contains_key(&id)
        {
            // Both go: the customer's question is withdrawn rather than changed under them.
            self.refuse(id, "refused: this transfer number is already in use");
            return true;
        }
        if self.offers.len() + self.fetches.len() >= MAX_WAITING {
            // Told to the other side only: a flood must not become lines for the customer.
            self.send_now(Message::FileFailed {
                id,
                reason: "refused: too many transfers are waiting for an answer".to_owned(),
            });
            return true;
        }
        false
    }

    /// One file message from the other side.
    pub fn handle(&mut self, message: Message) {
        match message {
            Message::FileOffer { id, .. } | Message::FileFetch { id, .. }
                if self.refuse_new_request(id) => {}
            Message::FileOffer {
                id,
                name,
                size,
                sha256,
            } => match FileName::parse(&name) {
                Ok(name) => {
                    self.offers.insert(id, (name.clone(), size, sha256));
                    if let Some(pos) = self.my_fetches.iter().position(|f| *f == id) {
                        // We asked for this file: no question to ask.
                        self.my_fetches.swap_remove(pos);
                        self.accept(id);
                    } else {
                        let _ = self.events.send(TransferEvent::Offered {
                            id,
                            name: name.to_string(),
                            size,
                        });
                    }
                }
                Err(e) => self.refuse(id, &format!("refused: {e}")),
            },
            Message::FileFetch { id, path } => match (RelativePath::parse(&path), &self.shared) {
                (Ok(rel), Some(_)) => {
                    self.fetches.insert(id, rel);
                    let _ = self.events.send(TransferEvent::FetchRequested { id, path });
                }
                (Err(e), _) => self.refuse(id, &format!("refused: {e}")),
                (_, None) => self.refuse(id, "nothing is shared here"),
            },
            Message::ListDir { id, path } => self.list_shared(id, &path),
            Message::DirListing { id, entries } => {
                let _ = self.events.send(TransferEvent::Listing { id, entries });
            }
            Message::FileFailed { id, reason } if !self.routes.contains_key(&id) => {
                // Only for something that is waiting: a failure of an unknown transfer would
                // be a line in the app's voice with words of the other side's choosing.
                let waited = self.my_fetches.contains(&id)
                    | self.offers.remove(&id).is_some()
                    | self.fetches.remove(&id).is_some();
                self.my_fetches.retain(|f| *f != id);
                if waited {
                    let _ = self.events.send(TransferEvent::Failed { id, reason });
                }
            }
            other => {
                let id = match &other {
                    Message::FileAccept { id, .. }
                    | Message::FileChunk { id, .. }
                    | Message::FileComplete { id }
                    | Message::FileFailed { id, .. } => *id,
                    _ => return,
                };
                if let Some(route) = self.routes.get(&id)
                    && route.send(Route::Peer(other)).is_err()
                {
                    self.routes.remove(&id);
                }
            }
        }
    }

    /// Accepts an offered file (or resumes it).
    pub fn accept(&mut self, id: u32) {
        let Some((name, size, sha256)) = self.offers.remove(&id) else {
            return;
        };
        let (tx, rx) = mpsc::unbounded_channel();
        self.routes.insert(id, tx);
        let job = Receive {
            id,
            name,
            size,
            sha256,
            dir: self.inbox.clone(),
        };
        tokio::spawn(job.run(
            self.link.clone(),
            rx,
            self.events.clone(),
            self.allowed.clone(),
        ));
    }

    /// The customer (or the representative) says yes to an offer or a fetch.
    pub fn approve(&mut self, id: u32) -> bool {
        if self.offers.contains_key(&id) {
            self.accept(id);
        } else if self.fetches.contains_key(&id) {
            self.allow_fetch(id);
        } else {
            return false;
        }
        true
    }

    /// Lets a requested fetch proceed.
    pub fn allow_fetch(&mut self, id: u32) {
        let (Some(rel), Some(root)) = (self.fetches.remove(&id), self.shared.clone()) else {
            return;
        };
        match resolve_no_symlinks(&root, &rel) {
            Ok(path) => self.spawn_sender(id, path, true),
            Err(e) => self.refuse(id, &e),
        }
    }

    /// Refuses an offer or a fetch, or cancels a running transfer.
    pub fn refuse(&mut self, id: u32, reason: &str) {
        self.offers.remove(&id);
        self.fetches.remove(&id);
        if let Some(route) = self.routes.remove(&id) {
            // The task stops and tells the other side itself.
            let _ = route.send(Route::Cancel(reason.to_owned()));
            return;
        }
        self.send_now(Message::FileFailed {
            id,
            reason: reason.to_owned(),
        });
        let _ = self.events.send(TransferEvent::Failed {
            id,
            reason: reason.to_owned(),
        });
    }

    fn send_now(&self, message: Message) {
        let link = self.link.clone();
        tokio::spawn(async move {
            let _ = link.send(Channel::Files, &message.encode()).await;
        });
    }

    fn spawn_sender(&mut self, id: u32, path: PathBuf, strict: bool) {
        let (tx, rx) = mpsc::unbounded_channel();
        self.routes.insert(id, tx);
        let job = Send { id, path, strict };
        tokio::spawn(job.run(
            self.link.clone(),
            rx,
            self.events.clone(),
            self.allowed.clone(),
        ));
    }

    fn list_shared(&self, id: u32, path: &str) {
        let listing = match (&self.shared, RelativePath::parse(path)) {
            (Some(root), Ok(rel)) => resolve_no_symlinks(root, &rel).and_then(|dir| list_dir(&dir)),
            (None, _) => Err("nothing is shared here".to_owned()),
            (_, Err(e)) => Err(format!("refused: {e}")),
        };
        self.send_now(match listing {
            Ok(entries) => Message::DirListing { id, entries },
            Err(reason) => Message::FileFailed { id, reason },
        });
    }
}

/// `root/rel`, refusing symbolic links on the way and anything but folders and regular files.
fn resolve_no_symlinks(root: &Path, rel: &RelativePath) -> Result<PathBuf, String> {
    let mut path = root.to_path_buf();
    for part in rel.components() {
        path.push(part.as_str());
        let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("{rel}: {e}"))?;
        if meta.file_type().is_symlink() {
            return Err(format!("{rel}: symbolic links are not followed"));
        }
        if !meta.is_dir() && !meta.is_file() {
            return Err(format!("{rel}: not a regular file"));
        }
    }
    Ok(path)
}

fn list_dir(dir: &Path) -> Result<Vec<DirEntry>, String> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() || meta.is_file() {
            let size = if meta.is_file() { meta.len() } else { 0 };
            entries.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: meta.is_dir(),
                size,
            });
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Progress events at most every 200 ms.
struct Progress {
    id: u32,
    total: u64,
    last: Instant,
}

impl Progress {
    fn report(&mut self, events: &mpsc::UnboundedSender<TransferEvent>, done: u64) {
        if done == self.total || self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            let _ = events.send(TransferEvent::Progress {
                id: self.id,
                done,
                total: self.total,
            });
        }
    }
}

fn sha256_of(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Ok(out)
}

fn describe_io(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // ENOSPC: the same number on Linux and macOS.
        Some(28) => "the disk is full".to_owned(),
        _ => match e.kind() {
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => e.to_string(),
        },
    }
}

#[path = "files_jobs.rs"]
mod jobs;
use jobs::{Receive, Route, Send};

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
