//! Session recording: the customer's agent sends the portal the same already-encoded update
//! stream a viewer gets (`GET /record/<token>`, the relay's framing), and the portal keeps it
//! with its timing, and the session's chat beside it, in one file per session. A console
//! fetches a recording once with a ticket (`GET /recordings/<ticket>`) and replays it.
//!
//! ```text
//! file:   "TNDMREC1" then records: u32 LE ms | u8 kind | u32 LE len | payload
//! kinds:  0 control, 1 input, 2 frames (a viewer's channel messages, untouched)
//!         16 chat: JSON {"from", "text", "reps_only"}
//! ```
//! Nothing is re-encoded or decoded here: the bytes are the agent's, checked by the replaying
//! viewer as a live viewer checks them. Whoever may see a session's report may watch it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::RngExt;
use tokio::sync::mpsc;

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"TNDMREC1";
/// A record's header: ms, kind, length.
pub const RECORD_HEADER: usize = 9;
/// A chat line's kind.
pub const CHAT_KIND: u8 = 16;
/// Largest message the agent may send (a 64 KiB frame chunk plus framing, with room).
pub const MAX_MESSAGE: usize = 256 * 1024;
/// Time the agent has to connect with its token, and a console to fetch with its ticket.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Unused tokens and tickets kept at once (each is minted for a logged-in request).
const MAX_PENDING: usize = 4096;
/// Chat lines waiting for the recording's writer; more are dropped (and said in the log).
const CHAT_QUEUE: usize = 64;

/// One record, as the file holds it.
pub fn encode_record(ms: u32, kind: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(RECORD_HEADER + payload.len());
    out.extend_from_slice(&ms.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// A chat line's record payload.
pub fn chat_payload(from: &str, text: &str, reps_only: bool) -> Vec<u8> {
    serde_json::json!({ "from": from, "text": text, "reps_only": reps_only })
        .to_string()
        .into_bytes()
}

/// The record kind for a message of the relay framing (its first byte names the channel):
/// control, input and frames are kept; files, and channels a newer agent has, are not.
pub fn kind_of(message: &[u8]) -> Option<(u8, &[u8])> {
    let (&channel, payload) = message.split_first()?;
    matches!(channel, 0..=2).then_some((channel, payload))
}

/// A session's recording as storage keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRow {
    /// The file's name inside the recordings folder.
    pub file: String,
    /// Unix milliseconds of the recording's time zero.
    pub started_ms: i64,
    /// Bytes written so far.
    pub bytes: u64,
    /// Time of its last record.
    pub duration_ms: u64,
}

/// What storage is asked about recordings.
#[derive(Debug, Clone)]
pub enum RecordingOp {
    /// The recording of `session` starts (or goes on after the agent came back): its row.
    Begin {
        /// The session.
        session: u64,
        /// Unix milliseconds now (time zero of a new recording).
        now_ms: i64,
    },
    /// How far it got.
    Progress {
        /// The session.
        session: u64,
        /// Bytes written.
        bytes: u64,
        /// Time of the last record.
        duration_ms: u64,
    },
    /// The recording of `session`, for `asker` (account, administrator) if they may see the
    /// session's report.
    Find {
        /// Who asks.
        asker: (i64, bool),
        /// The session.
        session: u64,
    },
}

/// Storage's answer: the row (`None`: no recording), or why the asker may not have it.
pub type RecordingAnswer = Result<Option<RecordingRow>, String>;

/// One-use tokens for agents' uploads and tickets for consoles' downloads, and the chat
/// queues of recordings being written.
#[derive(Default)]
pub(crate) struct Recordings {
    state: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    uploads: HashMap<String, (u64, Instant)>,
    downloads: HashMap<String, (u64, String, Instant)>,
    chat: HashMap<u64, mpsc::Sender<Vec<u8>>>,
}

fn token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Table {
    fn purge(&mut self, now: Instant) {
        self.uploads.retain(|_, (_, until)| *until > now);
        self.downloads.retain(|_, (_, _, until)| *until > now);
    }
}

impl Recordings {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every change is a single map operation; a poisoned lock still holds valid maps.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A token the agent of `session` uploads with (`None` when too many are waiting).
    pub(crate) fn issue_upload(&self, session: u64, now: Instant) -> Option<String> {
        let mut state = self.lock();
        state.purge(now);
        if state.uploads.len() >= MAX_PENDING {
            return None;
        }
        let t = token();
        state
            .uploads
            .insert(t.clone(), (session, now + TOKEN_LIFETIME));
        Some(t)
    }

    /// Uses up an upload token: the session it records.
    pub(crate) fn claim_upload(&self, token: &str, now: Instant) -> Option<u64> {
        let mut state = self.lock();
        state.purge(now);
        state.uploads.remove(token).map(|(session, _)| session)
    }

    /// A ticket for one download of `file` (the recording of `session`).
    pub(crate) fn issue_download(
        &self,
        session: u64,
        file: String,
        now: Instant,
    ) -> Option<String> {
        let mut state = self.lock();
        state.purge(now);
        if state.downloads.len() >= MAX_PENDING {
            return None;
        }
        let t = token();
        state
            .downloads
            .insert(t.clone(), (session, file, now + TOKEN_LIFETIME));
        Some(t)
    }

    /// Uses up a download ticket: the session and its file.
    pub(crate) fn claim_download(&self, ticket: &str, now: Instant) -> Option<(u64, String)> {
        let mut state = self.lock();
        state.purge(now);
        state.downloads.remove(ticket).map(|(s, f, _)| (s, f))
    }

    /// A recording of `session` is being written: chat lines go to `queue` from now on.
    fn attach_chat(&self, session: u64) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel(CHAT_QUEUE);
        self.lock().chat.insert(session, tx);
        rx
    }

    fn detach_chat(&self, session: u64) {
        self.lock().chat.remove(&session);
    }

    /// A chat line of `session`: kept in its recording, if one is being written.
    pub(crate) fn chat(&self, session: u64, from: &str, text: &str, reps_only: bool) {
        let Some(tx) = self.lock().chat.get(&session).cloned() else {
            return;
        };
        if tx.try_send(chat_payload(from, text, reps_only)).is_err() {
            tracing::warn!(
                session,
                "a chat line was not recorded: the recording is behind"
            );
        }
    }
}

#[path = "recording_io.rs"]
mod io;
pub(crate) use io::{download, upload};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_pinned_bytes() {
        assert_eq!(
            encode_record(0x0102_0304, 2, b"ab"),
            [4, 3, 2, 1, 2, 2, 0, 0, 0, b'a', b'b']
        );
        assert_eq!(encode_record(0, CHAT_KIND, b"").len(), RECORD_HEADER);
        let chat: serde_json::Value =
            serde_json::from_slice(&chat_payload("Bob", "a \"b\"", true)).expect("json");
        assert_eq!(chat["from"], "Bob");
        assert_eq!(chat["text"], "a \"b\"");
        assert_eq!(chat["reps_only"], true);
    }

    #[test]
    fn only_viewer_channels_are_kept() {
        assert_eq!(kind_of(&[2, 9, 9]), Some((2, &[9u8, 9][..])));
        assert_eq!(kind_of(&[0]), Some((0, &[][..])));
        assert_eq!(kind_of(&[3, 1]), None, "files are not recorded");
        assert_eq!(kind_of(&[7, 1]), None);
        assert_eq!(kind_of(&[]), None);
    }

    #[test]
    fn tokens_and_tickets_work_once_and_expire() {
        let r = Recordings::default();
        let now = Instant::now();
        let t = r.issue_upload(5, now).expect("room");
        assert_eq!(t.len(), 32);
        assert_eq!(
            r.claim_download(&t, now),
            None,
            "an upload token is no ticket"
        );
        assert_eq!(r.claim_upload(&t, now), Some(5));
        assert_eq!(r.claim_upload(&t, now), None, "used once");
        let late = r.issue_upload(5, now).expect("room");
        assert_eq!(r.claim_upload(&late, now + TOKEN_LIFETIME), None, "expired");
        let ticket = r
            .issue_download(5, "session-5.trec".into(), now)
            .expect("room");
        assert_eq!(r.claim_upload(&ticket, now), None);
        assert_eq!(
            r.claim_download(&ticket, now),
            Some((5, "session-5.trec".into()))
        );
        assert_eq!(r.claim_download(&ticket, now), None);
    }

    #[test]
    fn chat_reaches_only_a_recording_being_written_and_never_blocks() {
        let r = Recordings::default();
        r.chat(1, "Bob", "lost", false);
        let mut rx = r.attach_chat(1);
        for i in 0..CHAT_QUEUE + 10 {
            r.chat(1, "Bob", &format!("line {i}"), false);
        }
        let mut got = 0;
        while rx.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, CHAT_QUEUE, "bounded: the rest is dropped");
        r.detach_chat(1);
        r.chat(1, "Bob", "after", false);
        assert!(rx.try_recv().is_err());
    }
}
