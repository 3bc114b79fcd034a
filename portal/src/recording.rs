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
use tandem_protocol::signal::RecordingTerms;
use tokio::sync::{mpsc, watch};

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"TNDMREC1";
/// A record's header: ms, kind, length.
pub const RECORD_HEADER: usize = 9;
/// A chat line's kind.
pub const CHAT_KIND: u8 = 16;
/// A new upload starts here (the agent came back): the replay starts its picture afresh,
/// as a viewer does on a new link. No payload.
pub const LINK_KIND: u8 = 17;
/// Largest message the agent may send (a 64 KiB frame chunk plus framing, with room).
pub const MAX_MESSAGE: usize = 256 * 1024;
/// Time the agent has to connect with its token, and a console to fetch with its ticket.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Unused tokens and tickets kept at once (each is minted for a logged-in request).
const MAX_PENDING: usize = 4096;
/// Unused upload tokens one session may hold: an agent asking in a loop fills its own
/// share, not everyone's.
const MAX_PENDING_PER_SESSION: usize = 4;
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

/// One-use tokens for agents' uploads and tickets for consoles' downloads, and what each
/// recorded session has going: its terms, its current upload, that upload's chat queue.
#[derive(Default)]
pub(crate) struct Recordings {
    state: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    uploads: HashMap<String, (u64, Instant)>,
    downloads: HashMap<String, (u64, String, Instant)>,
    sessions: HashMap<u64, Live>,
}

/// A session the policy records.
#[derive(Default)]
struct Live {
    /// What the customer was asked (at redeem).
    terms: Option<RecordingTerms>,
    /// Bumped by every upload: an older upload still open stops, and never touches the
    /// newer one's chat queue.
    generation: u64,
    /// The current upload's chat queue and its stop signal, while one is open.
    current: Option<(mpsc::Sender<Vec<u8>>, watch::Sender<bool>)>,
    /// A watch for a required recording is running.
    watched: bool,
}

/// What an upload that just arrived gets.
pub(crate) struct Attached {
    /// Its generation.
    pub generation: u64,
    /// The session's chat lines, from now on.
    pub chat: mpsc::Receiver<Vec<u8>>,
    /// Becomes true when a newer upload replaces this one.
    pub superseded: watch::Receiver<bool>,
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
        // Every change is a few map operations that leave it valid; poisoned or not.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session was redeemed with these terms (`None`: not recorded).
    pub(crate) fn set_terms(&self, session: u64, terms: Option<RecordingTerms>) {
        if terms.is_some() {
            self.lock().sessions.entry(session).or_default().terms = terms;
        }
    }

    /// The terms the customer was asked with, if this portal redeemed the session.
    pub(crate) fn terms(&self, session: u64) -> Option<RecordingTerms> {
        self.lock().sessions.get(&session).and_then(|l| l.terms)
    }

    /// The session ended: nothing more is kept about it here.
    pub(crate) fn forget(&self, session: u64) {
        if let Some(live) = self.lock().sessions.remove(&session)
            && let Some((_, stop)) = live.current
        {
            let _ = stop.send(true);
        }
    }

    /// A token the agent of `session` uploads with (`None` when too many are waiting, for
    /// this session or in all).
    pub(crate) fn issue_upload(&self, session: u64, now: Instant) -> Option<String> {
        let mut state = self.lock();
        state.purge(now);
        let mine = state
            .uploads
            .values()
            .filter(|(s, _)| *s == session)
            .count();
        if state.uploads.len() >= MAX_PENDING || mine >= MAX_PENDING_PER_SESSION {
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

    /// An upload of `session` is being written from now on; an older one still open is told
    /// to stop (one file, one writer).
    pub(crate) fn attach(&self, session: u64) -> Attached {
        let (tx, chat) = mpsc::channel(CHAT_QUEUE);
        let (stop, superseded) = watch::channel(false);
        let mut state = self.lock();
        let live = state.sessions.entry(session).or_default();
        live.generation += 1;
        if let Some((_, old)) = live.current.replace((tx, stop)) {
            let _ = old.send(true);
        }
        Attached {
            generation: live.generation,
            chat,
            superseded,
        }
    }

    /// The upload of `generation` is over (a newer one's state is left alone).
    pub(crate) fn detach(&self, session: u64, generation: u64) {
        if let Some(live) = self.lock().sessions.get_mut(&session)
            && live.generation == generation
        {
            live.current = None;
        }
    }

    /// An upload is being written for `session` now.
    pub(crate) fn is_recording(&self, session: u64) -> bool {
        self.lock()
            .sessions
            .get(&session)
            .is_some_and(|l| l.current.is_some())
    }

    /// Starts watching a required recording, once per session: `false` if already watched.
    pub(crate) fn start_watch(&self, session: u64) -> bool {
        let mut state = self.lock();
        let live = state.sessions.entry(session).or_default();
        !std::mem::replace(&mut live.watched, true)
    }

    /// A chat line of `session`: kept in its recording, if one is being written.
    pub(crate) fn chat(&self, session: u64, from: &str, text: &str, reps_only: bool) {
        let tx = self
            .lock()
            .sessions
            .get(&session)
            .and_then(|l| l.current.as_ref().map(|(tx, _)| tx.clone()));
        let Some(tx) = tx else { return };
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
    fn chat_reaches_only_the_current_upload_and_never_blocks() {
        let r = Recordings::default();
        r.chat(1, "Bob", "lost", false);
        let mut old = r.attach(1);
        let mut new = r.attach(1);
        assert!(*old.superseded.borrow(), "the older upload is told to stop");
        assert!(!*new.superseded.borrow());
        for i in 0..CHAT_QUEUE + 10 {
            r.chat(1, "Bob", &format!("line {i}"), false);
        }
        assert!(old.chat.try_recv().is_err(), "the old upload gets nothing");
        let mut got = 0;
        while new.chat.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, CHAT_QUEUE, "bounded: the rest is dropped");
        // The old upload ending leaves the new one alone.
        r.detach(1, old.generation);
        assert!(r.is_recording(1));
        r.chat(1, "Bob", "still", false);
        assert!(new.chat.try_recv().is_ok());
        r.detach(1, new.generation);
        assert!(!r.is_recording(1));
        r.chat(1, "Bob", "after", false);
        assert!(new.chat.try_recv().is_err());
    }

    #[test]
    fn one_session_cannot_take_every_upload_token_and_terms_are_kept_until_the_end() {
        let r = Recordings::default();
        let now = Instant::now();
        let mine = (0..100).filter_map(|_| r.issue_upload(1, now)).count();
        assert_eq!(mine, MAX_PENDING_PER_SESSION);
        assert!(r.issue_upload(2, now).is_some(), "others still get theirs");
        r.set_terms(3, Some(RecordingTerms { required: true }));
        assert_eq!(r.terms(3), Some(RecordingTerms { required: true }));
        assert!(r.start_watch(3));
        assert!(!r.start_watch(3), "watched once");
        r.forget(3);
        assert_eq!(r.terms(3), None);
    }
}
