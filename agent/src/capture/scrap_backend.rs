//! Windows/macOS capture through scrap 0.5 (DXGI desktop duplication / CGDisplayStream).
//!
//! **Not built in CI**: CI runs on Linux, where this module is compiled out. It is written
//! against scrap 0.5.0's documented API (`Display::primary`, `Capturer::new`, `width`,
//! `height`, `frame` returning `io::ErrorKind::WouldBlock` until a new frame exists) and must
//! be compiled and tried on each platform before release.
//!
//! scrap's `Capturer` is not `Send`, while [`ScreenCapture`] must be, so the capturer lives
//! on its own thread. `grab` hands that thread the previous frame's buffer; the thread fills
//! it with a new frame (or returns it untouched when scrap says nothing changed) and sends it
//! back. scrap has no damage information: `wait_for_damage` paces the caller at
//! [`FRAME_INTERVAL`] and reports the whole screen. A resolution change surfaces as a grab
//! error from scrap (DXGI loses access); the caller reopens the capture.

use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use super::{CaptureError, FrameRef, Rect, ScreenCapture};

/// How often `wait_for_damage` reports the (whole) screen as changed: about 30 frames/s.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// How long a grab waits for scrap's first frame (macOS delivers frames asynchronously).
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between polls while scrap has no frame yet.
const RETRY_PAUSE: Duration = Duration::from_millis(5);

/// A captured frame travelling between the caller and the capture thread.
struct Frame {
    pixels: Vec<u8>,
    stride: usize,
}

pub(super) struct ScrapCapture {
    width: u16,
    height: u16,
    /// Buffers to fill: sending one means "grab now". Dropping it stops the thread.
    requests: Sender<Frame>,
    frames: Receiver<io::Result<Frame>>,
    /// The last grabbed frame; empty before the first grab and while a grab is in flight.
    frame: Frame,
    last_report: Option<Instant>,
}

impl ScrapCapture {
    /// Starts the capture thread on the primary display.
    pub(super) fn open() -> Result<Self, CaptureError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (requests, request_rx) = mpsc::channel::<Frame>();
        let (frame_tx, frames) = mpsc::channel();
        thread::Builder::new()
            .name("screen-capture".into())
            .spawn(move || capture_thread(ready_tx, request_rx, frame_tx))
            .map_err(|e| CaptureError::Platform(format!("cannot start the capture thread: {e}")))?;
        let (width, height) = ready_rx
            .recv()
            .map_err(|_| CaptureError::Platform("the capture thread exited".into()))?
            .map_err(|e| CaptureError::Platform(format!("cannot open the primary display: {e}")))?;
        let to_u16 = |v: usize| {
            u16::try_from(v).map_err(|_| CaptureError::UnsupportedFormat(format!("{v} pixels")))
        };
        Ok(ScrapCapture {
            width: to_u16(width)?,
            height: to_u16(height)?,
            requests,
            frames,
            frame: Frame {
                pixels: Vec::new(),
                stride: 0,
            },
            last_report: None,
        })
    }
}

impl ScreenCapture for ScrapCapture {
    fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    fn wait_for_damage(&mut self, timeout: Duration) -> Result<Vec<Rect>, CaptureError> {
        let now = Instant::now();
        let due = self.last_report.map_or(now, |t| t + FRAME_INTERVAL);
        if now
            .checked_add(timeout)
            .is_some_and(|deadline| due > deadline)
        {
            thread::sleep(timeout);
            return Ok(Vec::new());
        }
        thread::sleep(due.saturating_duration_since(now));
        self.last_report = Some(Instant::now());
        Ok(vec![Rect {
            x: 0,
            y: 0,
            w: self.width,
            h: self.height,
        }])
    }

    fn grab(&mut self) -> Result<FrameRef<'_>, CaptureError> {
        let gone = || CaptureError::Platform("the capture thread exited".into());
        let buffer = std::mem::replace(
            &mut self.frame,
            Frame {
                pixels: Vec::new(),
                stride: 0,
            },
        );
        self.requests.send(buffer).map_err(|_| gone())?;
        self.frame = self
            .frames
            .recv()
            .map_err(|_| gone())?
            .map_err(|e| CaptureError::Platform(e.to_string()))?;
        let needed = self.frame.stride * (self.height as usize);
        if self.frame.stride < self.width as usize * 4 || self.frame.pixels.len() < needed {
            return Err(CaptureError::UnsupportedFormat(format!(
                "frame of {} bytes for a {}x{} screen",
                self.frame.pixels.len(),
                self.width,
                self.height
            )));
        }
        Ok(FrameRef {
            width: self.width,
            height: self.height,
            stride: self.frame.stride,
            data: &self.frame.pixels,
        })
    }
}

/// Owns the (non-`Send`) capturer. Reports the screen size on `ready`, then answers each
/// request with a filled frame until the request channel closes.
fn capture_thread(
    ready: Sender<io::Result<(usize, usize)>>,
    requests: Receiver<Frame>,
    frames: Sender<io::Result<Frame>>,
) {
    let capturer = scrap::Display::primary().and_then(scrap::Capturer::new);
    let mut capturer = match capturer {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let height = capturer.height();
    if ready.send(Ok((capturer.width(), height))).is_err() {
        return;
    }
    for mut frame in requests {
        let deadline = Instant::now() + FIRST_FRAME_TIMEOUT;
        let result = loop {
            match capturer.frame() {
                Ok(pixels) => {
                    frame.pixels.clear();
                    frame.pixels.extend_from_slice(&pixels);
                    // DXGI rows may be padded: derive the stride from the buffer, as scrap's
                    // own examples do.
                    frame.stride = if height == 0 {
                        0
                    } else {
                        pixels.len() / height
                    };
                    break Ok(frame);
                }
                // Nothing new since the last frame: the buffer we were handed still holds it.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && !frame.pixels.is_empty() => {
                    break Ok(frame);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    thread::sleep(RETRY_PAUSE);
                }
                Err(e) => break Err(e),
            }
        };
        if frames.send(result).is_err() {
            return;
        }
    }
}
