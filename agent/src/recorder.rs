//! The session's recording, when the customer allowed it: one more "viewer" whose other end
//! is the portal. It gets the same encoded tiles and pointer messages as every viewer (no
//! re-encoding), through its own [`PendingFrames`] slot, so a slow portal costs at most a
//! screen's worth of memory and never slows the attendees. The link speaks the relay's
//! framing (`tandem_transport::relay::connect_recorder`).
//!
//! What it may see is the customer's decision (their answer to the consent question),
//! kept by the session shell; nothing is sent to it before that answer.

use std::sync::Arc;
use std::time::Duration;

use tandem_protocol::AttendeeId;
use tandem_protocol::wire::EncodedTile;
use tandem_transport::{Channel, Link, LinkEvent, LinkSender};

use tokio::sync::mpsc;

use crate::link_setup::LINK_OPEN_TIMEOUT;
use crate::pipeline::{CursorState, Merged, PendingFrames, run_writer};

/// The recording's id toward the capture thread (keyframes are asked per id). No attendee
/// has it: the portal numbers attendees from 1.
pub const RECORDER: AttendeeId = AttendeeId::from_wire(0);

/// A recording being sent.
pub struct Recorder {
    frames: Arc<PendingFrames>,
    control: Option<mpsc::UnboundedSender<(Channel, Vec<u8>)>>,
    writer: Option<tokio::task::JoinHandle<()>>,
    link: LinkSender,
}

impl Recorder {
    /// Starts sending on `link`; `closed` is called once with the reason when the portal
    /// ends the recording (or the link fails).
    pub fn start(link: Link, closed: impl FnOnce(String) + Send + 'static) -> Recorder {
        let Link {
            sender, mut events, ..
        } = link;
        let frames = Arc::new(PendingFrames::default());
        let (control, control_rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(run_writer(sender.clone(), control_rx, frames.clone()));
        tokio::spawn(async move {
            let why = loop {
                match events.recv().await {
                    Some(LinkEvent::Closed(why)) => break why,
                    // The portal sends nothing else; anything it might is ignored.
                    Some(LinkEvent::Message(..)) => {}
                    None => break "the recording's link closed".to_owned(),
                }
            };
            closed(why);
        });
        Recorder {
            frames,
            control: Some(control),
            writer: Some(writer),
            link: sender,
        }
    }

    /// Tiles that changed: merged into what waits to be sent.
    pub fn update(&self, size: (u16, u16), tiles: &[Arc<EncodedTile>]) -> Merged {
        self.frames.merge(size, tiles)
    }

    /// The whole screen (the recording starts with one, and gets one when it fell behind),
    /// with the pointer as it is.
    pub fn keyframe(&self, size: (u16, u16), tiles: &[Arc<EncodedTile>], cursor: &CursorState) {
        self.frames.replace(size, tiles);
        self.cursor(&cursor.current());
    }

    /// The pointer moved or changed shape.
    pub fn cursor(&self, messages: &[(Channel, Vec<u8>)]) {
        if let Some(tx) = &self.control {
            for m in messages {
                let _ = tx.send(m.clone());
            }
        }
    }

    /// Sends what is queued (briefly: the last picture included) and closes the link
    /// behind it.
    pub async fn finish(mut self) {
        self.control = None;
        if let Some(writer) = self.writer.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
        }
        self.link.close_after_queued().await;
    }
}

/// What happens to the recording's link (to the session loop, tagged with the attempt).
pub enum RecordingEvent {
    /// The link of attempt `.0` opened.
    Up(u64, Link),
    /// Attempt `.0` could not connect.
    Failed(u64, String),
    /// The link of attempt `.0` closed.
    Closed(u64, String),
    /// Time to ask the portal again.
    Retry,
}

/// Where the session loop's events go.
pub type Notify = Arc<dyn Fn(RecordingEvent) + Send + Sync>;

/// The session's recording: whether the customer allowed it, the link (or the attempt at
/// one), and whether anything is sent now. Only while someone sees the screen is it sent,
/// so the recording never holds more than the customer is shown as seen.
pub struct Recording {
    allowed: bool,
    current: Option<Recorder>,
    attempt: u64,
    connecting: bool,
    /// Nobody sees the screen: nothing is sent; a keyframe starts it again.
    paused: bool,
    /// Sending starts with the keyframe asked for (updates before it have nothing under them).
    awaiting_keyframe: bool,
    /// The portal's limit was reached: not asked for again.
    full: bool,
    /// A failure to start was said to the customer (said once until it works again).
    told: bool,
    notify: Notify,
}

/// How long before asking again after the link dropped, and after the portal could not write.
const RETRY_AFTER: Duration = Duration::from_secs(5);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

impl Recording {
    /// `allowed`: the customer let the portal record the session.
    pub fn new(allowed: bool, notify: Notify) -> Recording {
        Recording {
            allowed,
            current: None,
            attempt: 0,
            connecting: false,
            paused: true,
            awaiting_keyframe: true,
            full: false,
            told: false,
            notify,
        }
    }

    /// Whether to ask the portal for a (new) token now.
    pub fn wants_token(&self) -> bool {
        self.allowed && self.current.is_none() && !self.connecting && !self.full
    }

    /// The portal's token: connect, unless a link is there or on its way.
    pub fn token(&mut self, portal: &str, token: String) {
        if !self.wants_token() {
            return;
        }
        self.connecting = true;
        self.attempt += 1;
        let (attempt, notify, portal) = (self.attempt, self.notify.clone(), portal.to_owned());
        tokio::spawn(async move {
            let link =
                tandem_transport::relay::connect_recorder(&portal, &token, LINK_OPEN_TIMEOUT).await;
            notify(match link {
                Ok(link) => RecordingEvent::Up(attempt, link),
                Err(e) => RecordingEvent::Failed(attempt, e.to_string()),
            });
        });
    }

    /// A link event; returns a sentence for the customer, if any.
    pub fn handle(&mut self, event: RecordingEvent) -> Option<&'static str> {
        match event {
            RecordingEvent::Up(attempt, link) if attempt == self.attempt => {
                self.connecting = false;
                self.told = false;
                let notify = self.notify.clone();
                self.current = Some(Recorder::start(link, move |why| {
                    notify(RecordingEvent::Closed(attempt, why));
                }));
                // Sent from the next keyframe on, once someone sees the screen.
                self.paused = true;
                Some("The support portal records this session (while someone sees your screen).")
            }
            // A late result of an attempt given up on.
            RecordingEvent::Up(_, link) => {
                tokio::spawn(async move { link.sender.close().await });
                None
            }
            RecordingEvent::Failed(attempt, why) if attempt == self.attempt => {
                self.connecting = false;
                tracing::warn!("the recording could not start: {why}");
                self.retry_unless_full(&why);
                (!std::mem::replace(&mut self.told, true))
                    .then_some("The recording could not start; Tandem tries again.")
            }
            RecordingEvent::Closed(attempt, why) if attempt == self.attempt => {
                tracing::info!("the recording stopped: {why}");
                if let Some(r) = self.current.take() {
                    tokio::spawn(r.finish());
                }
                self.retry_unless_full(&why);
                Some(if self.full {
                    "The recording stopped: it reached the support portal's size limit."
                } else {
                    "The recording stopped; Tandem tries to start it again."
                })
            }
            RecordingEvent::Failed(..) | RecordingEvent::Closed(..) | RecordingEvent::Retry => None,
        }
    }

    fn retry_unless_full(&mut self, why: &str) {
        // The portal's close reasons (`crate::recording_io` on its side).
        self.full = why.ends_with(": full");
        if self.full {
            return;
        }
        let wait = if why.ends_with(": failed") {
            RETRY_AFTER_FAILURE
        } else {
            RETRY_AFTER
        };
        let notify = self.notify.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            notify(RecordingEvent::Retry);
        });
    }

    /// Whether a link is up now.
    pub fn is_on(&self) -> bool {
        self.current.is_some()
    }

    /// Follows whether someone sees the screen; true when a keyframe for the recording
    /// should be asked for (sending starts again).
    pub fn follow(&mut self, watching: bool) -> bool {
        if self.current.is_none() || !watching {
            self.paused = true;
            return false;
        }
        let resumed = std::mem::replace(&mut self.paused, false);
        self.awaiting_keyframe |= resumed;
        resumed
    }

    /// The recorder to send updates to now (none while nobody sees the screen, or before the
    /// keyframe that starts it).
    pub fn sending(&self) -> Option<&Recorder> {
        self.current
            .as_ref()
            .filter(|_| !self.paused && !self.awaiting_keyframe)
    }

    /// The keyframe asked for arrived: the recorder to give it to, from which on it sends.
    pub fn keyframe_arrived(&mut self) -> Option<&Recorder> {
        if self.paused {
            return None;
        }
        self.awaiting_keyframe = false;
        self.current.as_ref()
    }

    /// The recording fell behind: nothing more until a fresh keyframe.
    pub fn fell_behind(&mut self) {
        self.awaiting_keyframe = true;
    }

    /// The session is over: the last picture goes, then the link closes.
    pub async fn finish(mut self) {
        if let Some(r) = self.current.take() {
            r.finish().await;
        }
    }
}
