//! Screen pipeline: a capture thread turns X damage into encoded tiles; each viewer has a
//! [`PendingFrames`] slot where tiles accumulate until its writer has room to send them.
//!
//! ```text
//! capture thread: wait_for_damage → grab → TileEncoder::encode ─► CaptureOut::Update
//! session loop:   for each viewer allowed to see: PendingFrames::merge(tiles) + notify
//! writer task:    take() → chunk_update → send on `frames` (back-pressured by SCTP)
//! ```
//! Tiles sit on a fixed 64×64 grid, so merging keeps only the newest tile per cell: a
//! slow viewer costs at most one screen's worth of memory and never slows the others.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tandem_protocol::AttendeeId;
use tandem_protocol::tiles::{TileEncoder, chunk_update};
use tandem_protocol::wire::{EncodedTile, Message};
use tandem_transport::{Channel, LinkSender};
use tokio::sync::{Notify, mpsc};

use crate::capture::ScreenCapture;
use crate::inject::Injector;
use tandem_protocol::input::InputEvent;

/// Fastest update rate; damage arriving faster is merged into the next grab.
const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// How long the capture thread blocks waiting for damage before checking its commands.
const DAMAGE_POLL: Duration = Duration::from_millis(50);

/// Requests to the capture thread.
#[derive(Debug)]
pub enum CaptureCommand {
    /// Encode the whole current screen for this attendee.
    Keyframe(AttendeeId),
    /// Stop the thread.
    Stop,
}

/// What the capture thread produces.
#[derive(Debug)]
pub enum CaptureOut {
    /// Tiles that changed since the previous update (for every viewer).
    Update {
        size: (u16, u16),
        tiles: Vec<Arc<EncodedTile>>,
    },
    /// The whole screen, for one attendee.
    Keyframe {
        attendee: AttendeeId,
        size: (u16, u16),
        tiles: Vec<Arc<EncodedTile>>,
    },
    /// Capture failed; the session cannot show the screen any more.
    Failed(String),
}

/// Starts the capture thread. It stops on [`CaptureCommand::Stop`] or when `out` closes.
pub fn spawn_capture(
    mut capture: Box<dyn ScreenCapture>,
    out: mpsc::UnboundedSender<CaptureOut>,
) -> std::sync::mpsc::Sender<CaptureCommand> {
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("tandem-capture".into())
        .spawn(move || {
            if let Err(e) = capture_loop(capture.as_mut(), &cmd_rx, &out) {
                let _ = out.send(CaptureOut::Failed(e));
            }
        })
        // Spawning a thread only fails when the OS is out of resources at start-up.
        .expect("spawn capture thread");
    cmd_tx
}

fn capture_loop(
    capture: &mut dyn ScreenCapture,
    commands: &std::sync::mpsc::Receiver<CaptureCommand>,
    out: &mpsc::UnboundedSender<CaptureOut>,
) -> Result<(), String> {
    let mut encoder = TileEncoder::new();
    // The first grab compares nothing: it fills the encoder so keyframes are ready.
    let first = capture.grab().map_err(|e| e.to_string())?;
    encoder.encode(first, None).map_err(|e| e.to_string())?;
    let mut last_grab = Instant::now();
    loop {
        loop {
            match commands.try_recv() {
                Ok(CaptureCommand::Keyframe(attendee)) => {
                    let tiles = encoder.keyframe().into_iter().map(Arc::new).collect();
                    let msg = CaptureOut::Keyframe {
                        attendee,
                        size: encoder.size(),
                        tiles,
                    };
                    if out.send(msg).is_err() {
                        return Ok(());
                    }
                }
                Ok(CaptureCommand::Stop) | Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    return Ok(());
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
            }
        }
        let mut damage = capture
            .wait_for_damage(DAMAGE_POLL)
            .map_err(|e| e.to_string())?;
        if damage.is_empty() {
            continue;
        }
        // Pace updates: damage that arrives while we wait joins this grab.
        let since = last_grab.elapsed();
        if since < MIN_FRAME_INTERVAL {
            std::thread::sleep(MIN_FRAME_INTERVAL - since);
            damage.extend(
                capture
                    .wait_for_damage(Duration::ZERO)
                    .map_err(|e| e.to_string())?,
            );
        }
        last_grab = Instant::now();
        let frame = capture.grab().map_err(|e| e.to_string())?;
        let tiles = encoder
            .encode(frame, Some(&damage))
            .map_err(|e| e.to_string())?;
        if tiles.is_empty() {
            continue;
        }
        let tiles = tiles.into_iter().map(Arc::new).collect();
        if out
            .send(CaptureOut::Update {
                size: encoder.size(),
                tiles,
            })
            .is_err()
        {
            return Ok(());
        }
    }
}

/// Tiles waiting to be sent to one viewer, newest per grid cell.
#[derive(Default)]
pub struct PendingFrames {
    inner: Mutex<Pending>,
    ready: Notify,
}

#[derive(Default)]
struct Pending {
    size: (u16, u16),
    tiles: BTreeMap<(u16, u16), Arc<EncodedTile>>,
}

impl PendingFrames {
    /// Adds tiles; a newer tile replaces an older one in the same cell.
    pub fn merge(&self, size: (u16, u16), tiles: &[Arc<EncodedTile>]) {
        {
            let mut p = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if p.size != size {
                p.tiles.clear();
                p.size = size;
            }
            for t in tiles {
                p.tiles.insert((t.y, t.x), t.clone());
            }
        }
        self.ready.notify_one();
    }

    fn take(&self) -> ((u16, u16), Vec<EncodedTile>) {
        let mut p = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let tiles = std::mem::take(&mut p.tiles)
            .into_values()
            .map(|t| (*t).clone())
            .collect();
        (p.size, tiles)
    }
}

/// Sends one viewer's control messages and screen updates; ends when the link fails or
/// `control` closes. Control goes first: it is small and time-critical.
pub async fn run_writer(
    link: LinkSender,
    mut control: mpsc::UnboundedReceiver<(Channel, Vec<u8>)>,
    frames: Arc<PendingFrames>,
) {
    let mut seq: u32 = 0;
    loop {
        tokio::select! {
            biased;
            msg = control.recv() => {
                let Some((channel, bytes)) = msg else { return };
                if link.send(channel, &bytes).await.is_err() {
                    return;
                }
            }
            _ = frames.ready.notified() => {
                let (size, tiles) = frames.take();
                if tiles.is_empty() {
                    continue;
                }
                seq = seq.wrapping_add(1);
                for chunk in chunk_update(seq, size, tiles) {
                    if link.send(Channel::Frames, &Message::FrameUpdate(chunk).encode()).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Injection runs on its own thread: X round trips must not stall the session loop.
pub fn spawn_injector(mut injector: Box<dyn Injector>) -> std::sync::mpsc::Sender<InputEvent> {
    let (tx, rx) = std::sync::mpsc::channel::<InputEvent>();
    let spawned = std::thread::Builder::new()
        .name("tandem-inject".into())
        .spawn(move || {
            for ev in rx {
                if let Err(e) = injector.inject(&ev) {
                    tracing::warn!("input injection failed: {e}");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the input thread: {e}");
    }
    tx
}
