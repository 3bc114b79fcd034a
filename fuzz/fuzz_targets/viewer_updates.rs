//! The viewer's update stream: a hostile or broken agent controls every byte the viewer's
//! `ViewerSession` receives, including screen sizes, tile rectangles and chunking. After a
//! valid welcome and a first screen, the input is a stream of wire frames (the fuzzer keeps
//! the framing of the seeds and mutates inside it), each handed over as one datagram.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use tandem_protocol::ids::{AttendeeId, Rights};
use tandem_protocol::viewer::{ViewerEvent, ViewerSession};
use tandem_protocol::wire::{EncodedTile, FrameUpdate, Message, split_frame};

/// Size of the screen the harness announces before the fuzzer's frames (the seeds use it).
const WIDTH: u16 = 96;
const HEIGHT: u16 = 64;

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut viewer = ViewerSession::new(AttendeeId::HOST, now);
    let welcome = Message::Welcome {
        version: 1,
        rights: Rights::VIEW.union(Rights::CONTROL),
    };
    let mut ended = false;
    deliver(&mut viewer, &welcome.encode(), now, &mut ended);
    deliver(&mut viewer, &first_screen().encode(), now, &mut ended);

    let mut rest = data;
    while !rest.is_empty() {
        // Whole frames as the agent would send them; a broken tail goes in as one datagram.
        let len = match split_frame(rest) {
            Ok(Some(len)) => len,
            _ => rest.len(),
        };
        deliver(&mut viewer, &rest[..len], now, &mut ended);
        rest = &rest[len..];
        // Time passes between messages, so pings and the idle check run too.
        now += Duration::from_secs(1);
        viewer.handle_timeout(now);
        drain(&mut viewer, &mut ended);
    }
});

/// Two solid tiles covering the screen, in one complete update.
fn first_screen() -> Message {
    let half = WIDTH / 2;
    let tile = |x: u16, bgr: [u8; 3]| EncodedTile {
        x,
        y: 0,
        w: half,
        h: HEIGHT,
        encoding: 2, // TileEncoding::Solid
        data: bgr.to_vec(),
    };
    Message::FrameUpdate(FrameUpdate {
        seq: 1,
        width: WIDTH,
        height: HEIGHT,
        last: true,
        tiles: vec![tile(0, [10, 20, 30]), tile(half, [40, 50, 60])],
    })
}

fn deliver(viewer: &mut ViewerSession, datagram: &[u8], now: Instant, ended: &mut bool) {
    viewer.handle_datagram(datagram, now);
    drain(viewer, ended);
}

/// Drains what the viewer produced and checks what must always hold.
fn drain(viewer: &mut ViewerSession, ended: &mut bool) {
    let frame = viewer.frame();
    let (w, h) = (usize::from(frame.width()), usize::from(frame.height()));
    assert_eq!(frame.pixels().len(), w * h * 4, "picture matches its size");

    // The viewer only ever sends well-formed messages back.
    while let Some((_, bytes)) = viewer.poll_transmit() {
        assert!(Message::decode(&bytes).is_ok(), "viewer sent {bytes:?}");
    }
    while let Some(event) = viewer.poll_event() {
        assert!(!*ended, "event after the session ended: {event:?}");
        match event {
            ViewerEvent::FrameReady { rects, .. } => {
                // Every rectangle reported as changed lies inside the picture.
                for r in rects {
                    assert!(r.w > 0 && r.h > 0, "{r:?}");
                    assert!(usize::from(r.x) + usize::from(r.w) <= w, "{r:?} in {w}x{h}");
                    assert!(usize::from(r.y) + usize::from(r.h) <= h, "{r:?} in {w}x{h}");
                }
            }
            ViewerEvent::Ended { .. } => {
                *ended = true;
                assert!(!viewer.is_open());
            }
            _ => {}
        }
    }
}
