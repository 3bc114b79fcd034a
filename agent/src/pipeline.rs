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
//! Copies (scrolled content) read the viewer's picture as it was before their update, so an
//! update holding copies starts a new batch instead of merging; a viewer too far behind gets
//! a fresh keyframe instead (the rules are `tandem_protocol::queue`'s).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tandem_protocol::AttendeeId;
pub use tandem_protocol::queue::Merged;
use tandem_protocol::queue::UpdateQueue;
use tandem_protocol::tiles::{TileEncoder, chunk_update};
use tandem_protocol::wire::{EncodedTile, Message};
use tandem_transport::{Channel, LinkSender};
use tokio::sync::{Notify, mpsc};

use crate::capture::ScreenCapture;
use crate::inject::Injector;
use tandem_protocol::input::InputEvent;

/// Shortest gap between grabs; damage arriving faster is merged into the next grab. Short,
/// because every millisecond here is latency; scrolls cost little per update (a copy and a
/// line), and video updates come at the source's rate anyway.
const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(4);
/// How long the capture thread blocks waiting for damage before checking its commands,
/// refreshing settled lossy tiles and looking where the pointer is (pointer motion makes
/// no damage: the pointer is not in the image).
const DAMAGE_POLL: Duration = Duration::from_millis(20);

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
    /// The pointer moved or changed shape (encoded messages, ready to send).
    Cursor {
        /// [`Message::CursorPosition`].
        position: Vec<u8>,
        /// [`Message::CursorShape`], when the shape changed.
        shape: Option<Vec<u8>>,
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
    // Moving pictures go out as JPEG; without a working codec everything stays lossless.
    let mut encoder = TileEncoder::with_lossy(tandem_protocol::lossy::DEFAULT_QUALITY)
        .unwrap_or_else(|e| {
            tracing::warn!("lossy coding unavailable ({e}); sending everything losslessly");
            TileEncoder::new()
        });
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
        if let Some(c) = capture.cursor().map_err(|e| e.to_string())?
            && out.send(cursor_out(c)).is_err()
        {
            return Ok(());
        }
        if damage.is_empty() {
            let exact = encoder.settle(Instant::now());
            if !exact.is_empty() && !send_update(out, encoder.size(), exact) {
                return Ok(());
            }
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
        let band = tandem_protocol::tiles::bounding_box(&damage);
        let (y0, rows) = band.map_or((0, 0), |b| (b.y, b.h));
        let frame = capture.grab_rows(y0, rows).map_err(|e| e.to_string())?;
        let mut tiles = encoder
            .encode_at(frame, Some(&damage), last_grab)
            .map_err(|e| e.to_string())?;
        tiles.extend(encoder.settle(last_grab));
        if !tiles.is_empty() && !send_update(out, encoder.size(), tiles) {
            return Ok(());
        }
    }
}

/// The pointer's last known look and place, for viewers that join later.
#[derive(Default)]
pub struct CursorState {
    position: Option<Vec<u8>>,
    shape: Option<Vec<u8>>,
}

impl CursorState {
    /// Records an update; returns what to send to current viewers (the shape, if new, on
    /// `control`; the position on `input`, which is never behind frames).
    pub fn update(&mut self, position: Vec<u8>, shape: Option<Vec<u8>>) -> Vec<(Channel, Vec<u8>)> {
        let mut out = Vec::with_capacity(2);
        if let Some(s) = shape {
            out.push((Channel::Control, s.clone()));
            self.shape = Some(s);
        }
        out.push((Channel::Input, position.clone()));
        self.position = Some(position);
        out
    }

    /// Everything a viewer that just got a keyframe needs.
    pub fn current(&self) -> Vec<(Channel, Vec<u8>)> {
        let shape = self.shape.iter().map(|s| (Channel::Control, s.clone()));
        let position = self.position.iter().map(|p| (Channel::Input, p.clone()));
        shape.chain(position).collect()
    }
}

fn cursor_out(c: crate::capture::CursorUpdate) -> CaptureOut {
    let position = Message::CursorPosition { x: c.x, y: c.y }.encode();
    let shape = c.shape.map(|s| {
        let msg = Message::CursorShape {
            serial: s.serial,
            width: s.width,
            height: s.height,
            hot_x: s.hot_x,
            hot_y: s.hot_y,
            bgra: s.bgra,
        };
        msg.encode()
    });
    CaptureOut::Cursor { position, shape }
}

/// Hands an update to the session loop; false once the loop is gone.
fn send_update(
    out: &mpsc::UnboundedSender<CaptureOut>,
    size: (u16, u16),
    tiles: Vec<EncodedTile>,
) -> bool {
    let tiles = tiles.into_iter().map(Arc::new).collect();
    out.send(CaptureOut::Update { size, tiles }).is_ok()
}

/// Updates waiting to be sent to one viewer ([`UpdateQueue`]), shared between the session
/// loop and the viewer's writer task.
#[derive(Default)]
pub struct PendingFrames {
    inner: Mutex<UpdateQueue>,
    ready: Notify,
}

impl PendingFrames {
    fn lock(&self) -> std::sync::MutexGuard<'_, UpdateQueue> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an update ([`UpdateQueue::merge`]) and wakes the writer.
    pub fn merge(&self, size: (u16, u16), tiles: &[Arc<EncodedTile>]) -> Merged {
        let merged = self.lock().merge(size, tiles);
        self.ready.notify_one();
        merged
    }

    /// Replaces everything queued with a keyframe and wakes the writer.
    pub fn replace(&self, size: (u16, u16), tiles: &[Arc<EncodedTile>]) {
        self.lock().replace(size, tiles);
        self.ready.notify_one();
    }

    fn take(&self) -> ((u16, u16), Vec<EncodedTile>, bool) {
        self.lock().take()
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
                let Some((channel, bytes)) = msg else {
                    // Closing: what is queued still goes (a recording's last picture).
                    let (size, tiles, _) = frames.take();
                    if !tiles.is_empty() {
                        for chunk in chunk_update(seq.wrapping_add(1), size, tiles) {
                            let msg = Message::FrameUpdate(chunk).encode();
                            if link.send(Channel::Frames, &msg).await.is_err() {
                                return;
                            }
                        }
                    }
                    return;
                };
                if link.send(channel, &bytes).await.is_err() {
                    return;
                }
            }
            _ = frames.ready.notified() => {
                let (size, tiles, more) = frames.take();
                if more {
                    frames.ready.notify_one();
                }
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

/// Presses, clicks, wheel turns and text waiting for the input thread at most; more are
/// dropped (a remote sending faster than X can take them loses input, not memory).
const INJECT_QUEUE: usize = 1024;

/// The input thread's queue. Each event carries the control epoch it was sent in
/// ([`tandem_protocol::agent::AgentSession::control_epoch`]); once the epoch moves on (someone
/// lost control, the customer was asked a question), queued presses of the old epoch are
/// dropped instead of injected. Releases always pass, so nothing stays held down.
pub struct InjectQueue {
    tx: std::sync::mpsc::SyncSender<(u64, InputEvent)>,
    epoch: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl InjectQueue {
    /// Queues `event`, sent while `epoch` was current.
    pub fn send(&self, epoch: u64, event: InputEvent) {
        if self.tx.try_send((epoch, event)).is_err() {
            tracing::warn!("input dropped: the input queue is full");
        }
    }

    /// From now on, presses sent before `epoch` are not injected.
    pub fn advance(&self, epoch: u64) {
        self.epoch
            .fetch_max(epoch, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A release: always injected, whatever happened since it was sent.
fn is_release(event: &InputEvent) -> bool {
    matches!(
        event,
        InputEvent::Key { down: false, .. } | InputEvent::PointerButton { down: false, .. }
    )
}

/// Injection runs on its own thread: X round trips must not stall the session loop.
pub fn spawn_injector(mut injector: Box<dyn Injector>) -> InjectQueue {
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, InputEvent)>(INJECT_QUEUE);
    let epoch = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let current = epoch.clone();
    let spawned = std::thread::Builder::new()
        .name("tandem-inject".into())
        .spawn(move || {
            for (sent_in, ev) in rx {
                let now = current.load(std::sync::atomic::Ordering::SeqCst);
                if sent_in < now && !is_release(&ev) {
                    continue; // sent before control was taken away or a question opened
                }
                if let Err(e) = injector.inject(&ev) {
                    tracing::warn!("input injection failed: {e}");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the input thread: {e}");
    }
    InjectQueue { tx, epoch }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc as sync_mpsc;

    /// Records what is injected; the first event waits for `go`, so the test can queue
    /// more behind it and move the epoch on before the thread looks at them.
    struct Recorder {
        seen: sync_mpsc::Sender<InputEvent>,
        go: Option<sync_mpsc::Receiver<()>>,
    }

    impl Injector for Recorder {
        fn inject(&mut self, event: &InputEvent) -> Result<(), crate::inject::InjectError> {
            let _ = self.seen.send(event.clone());
            if let Some(go) = self.go.take() {
                let _ = go.recv();
            }
            Ok(())
        }
    }

    /// Regression (issue 9 review): presses queued before Stop control were still typed for
    /// seconds after it; releases must still arrive so nothing stays held down.
    #[test]
    fn presses_queued_before_control_was_taken_are_dropped_but_releases_pass() {
        let (seen_tx, seen) = sync_mpsc::channel();
        let (go_tx, go) = sync_mpsc::channel();
        let queue = spawn_injector(Box::new(Recorder {
            seen: seen_tx,
            go: Some(go),
        }));
        let key = |down| InputEvent::Key { keysym: 0x61, down };
        queue.send(0, key(true));
        let first = seen.recv_timeout(Duration::from_secs(5)).expect("first");
        assert_eq!(first, key(true));
        // Queued behind it while the thread is busy, then control is taken away.
        queue.send(0, InputEvent::Text("rm -rf ~".into()));
        queue.send(0, key(false));
        queue.send(
            0,
            InputEvent::PointerButton {
                button: tandem_protocol::input::Button::LEFT,
                down: true,
            },
        );
        queue.advance(1);
        queue.send(1, key(true));
        go_tx.send(()).expect("go");
        let rest: Vec<InputEvent> = (0..2)
            .map(|_| seen.recv_timeout(Duration::from_secs(5)).expect("event"))
            .collect();
        assert_eq!(rest, vec![key(false), key(true)]);
        assert!(seen.recv_timeout(Duration::from_millis(200)).is_err());
    }
}
