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

/// Connects to the portal's recorder with `token`; `done` gets the link or why not.
pub fn connect(
    portal: String,
    token: String,
    done: impl FnOnce(Result<Link, String>) + Send + 'static,
) {
    tokio::spawn(async move {
        let link = tandem_transport::relay::connect_recorder(&portal, &token, LINK_OPEN_TIMEOUT)
            .await
            .map_err(|e| e.to_string());
        done(link);
    });
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

    /// Sends what is queued (briefly) and closes the link.
    pub async fn finish(mut self) {
        self.control = None;
        if let Some(writer) = self.writer.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
        }
        self.link.close().await;
    }
}
