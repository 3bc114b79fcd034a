//! The viewer's side of the screen-update stream: [`FrameUpdate`] chunks in, whole updates
//! applied to a [`FrameBuffer`] out. A pure state machine (no IO, no clock), so a fuzz
//! target can feed it arbitrary bytes through [`UpdateStream::handle_bytes`];
//! [`crate::viewer::ViewerSession`] drives it with every update the agent sends.
//!
//! ```text
//! FrameUpdate{seq, w×h, last=false} ─► held (bounded) ─┐
//! FrameUpdate{seq, w×h, last=true}  ───────────────────┴─► FrameBuffer::apply_update ─► Applied
//! ```
//!
//! The agent is the other party and may be hostile or broken, so what it can make a viewer
//! hold is bounded, whatever bytes it sends:
//! - **the picture**: a screen beyond [`crate::wire::screen_size_allowed`] (8K UHD) is refused
//!   with [`UpdateError::ScreenTooLarge`] before anything is allocated;
//! - **the update being assembled**: at most [`pending_limit`] bytes; the chunk that would go
//!   over it drops the whole update ([`UpdateError::TooLarge`]);
//! - **the number of updates being assembled: one.** An agent sends one update's chunks after
//!   another, so a chunk with a new number means the previous update was abandoned (the
//!   agent follows with a keyframe): its chunks are dropped, never kept beside the new ones.
//!
//! ```
//! use tandem_protocol::updates::{UpdateError, UpdateStream};
//! use tandem_protocol::wire::{FrameUpdate, Message};
//! let mut stream = UpdateStream::new();
//! let huge = FrameUpdate { seq: 1, width: 65535, height: 65535, last: true, tiles: vec![] };
//! let bytes = Message::FrameUpdate(huge).encode();
//! assert!(matches!(stream.handle_bytes(&bytes), Err(UpdateError::ScreenTooLarge { .. })));
//! assert_eq!(stream.frame().width(), 0); // nothing was allocated
//! ```

use crate::tiles::{FrameBuffer, Rect, TileError};
use crate::wire::{self, DecodeError, EncodedTile, FrameUpdate, Message};

/// Most bytes an unfinished update may hold, whatever the screen size (see [`pending_limit`]).
pub const MAX_PENDING_BYTES: usize = 64 * 1024 * 1024;

/// Most bytes an unfinished update of a `width`×`height` screen may hold: 4 bytes per
/// pixel plus one largest message ([`wire::MAX_PAYLOAD`]), but never more than
/// [`MAX_PENDING_BYTES`].
///
/// Why this is enough for every update a real agent sends: an update carries at most one
/// tile per 64×64 cell (the agent's queue keeps the newest per cell, [`crate::queue`]) plus a
/// few copies, so it holds about one screen of encoded pixels. Lossless tiles are zstd over 3
/// bytes per pixel (incompressible pixels grow by well under 1 %), JPEG tiles are smaller, so
/// 4 bytes per pixel leaves a third for headers; the extra [`wire::MAX_PAYLOAD`] lets one
/// largest chunk through on the smallest screens. The cap: a hostile agent can make a viewer
/// hold at most 64 MiB here (plus the picture, at most 133 MB at 8K). A real update reaches
/// it only on screens above 22 million pixels (8K) showing mostly incompressible noise; it is
/// then dropped and a fresh keyframe asked for, like a corrupt update.
pub fn pending_limit(width: u16, height: u16) -> usize {
    let per_screen = 4 * usize::from(width) * usize::from(height) + wire::MAX_PAYLOAD;
    per_screen.min(MAX_PENDING_BYTES)
}

/// What holding a chunk costs: its tile data plus the bookkeeping per tile and per chunk,
/// so a flood of empty tiles or chunks counts too.
fn held_bytes(u: &FrameUpdate) -> usize {
    let tiles: usize = u
        .tiles
        .iter()
        .map(|t| size_of::<EncodedTile>() + t.data.len())
        .sum();
    size_of::<FrameUpdate>() + tiles
}

/// A complete update, applied to [`UpdateStream::frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The update's number.
    pub seq: u32,
    /// Bytes the update took on the wire (as counted by the caller).
    pub bytes: u64,
    /// The rectangles it changed.
    pub rects: Vec<Rect>,
}

/// Why a chunk was refused. Whatever the error, the unfinished update is dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The chunk announces a screen beyond [`wire::screen_size_allowed`]; nothing was
    /// allocated. The session cannot go on: every update of that screen would be refused.
    #[error("the customer's screen is larger than this viewer accepts ({width}x{height})")]
    ScreenTooLarge {
        /// Announced width.
        width: u16,
        /// Announced height.
        height: u16,
    },
    /// The unfinished update would hold more than [`pending_limit`] bytes.
    #[error("screen update {seq} holds more than {limit} bytes before its last chunk; dropped")]
    TooLarge {
        /// The update's number.
        seq: u32,
        /// The limit for this screen.
        limit: usize,
    },
    /// The complete update does not apply to the picture (corrupt or misplaced tiles); the
    /// picture may be partly updated, so a keyframe is needed.
    #[error("screen update {seq} does not apply: {error}")]
    Tile {
        /// The update's number.
        seq: u32,
        /// What was wrong.
        error: TileError,
    },
    /// A part of the update announces another screen size than its first part did (found by
    /// fuzzing: the picture would be resized under the earlier parts' tiles).
    #[error("screen update {seq} changes the screen size between its parts")]
    SizeChanged {
        /// The update's number.
        seq: u32,
    },
    /// The bytes are not a message ([`UpdateStream::handle_bytes`] only).
    #[error("malformed message: {0}")]
    Decode(DecodeError),
}

/// The viewer's picture and the update being assembled for it.
#[derive(Debug, Default)]
pub struct UpdateStream {
    frame: FrameBuffer,
    /// Chunks of the unfinished update, all with the same `seq`.
    pending: Vec<FrameUpdate>,
    /// [`held_bytes`] of `pending`.
    held: usize,
    /// Wire bytes of `pending`, reported with the applied update.
    wire_bytes: u64,
    /// An update dropped part-way (too large, inconsistent): its later parts are ignored, so
    /// no half of it is ever shown.
    abandoned: Option<u32>,
}

impl UpdateStream {
    /// A stream with an empty picture.
    pub fn new() -> Self {
        Self::default()
    }

    /// The picture as of the last complete update.
    pub fn frame(&self) -> &FrameBuffer {
        &self.frame
    }

    /// Bytes held by the unfinished update; never above the [`pending_limit`] of the screen
    /// it announces.
    pub fn pending_bytes(&self) -> usize {
        self.held
    }

    /// One encoded message: a [`Message::FrameUpdate`] is handled as by
    /// [`Self::handle_chunk`]; other messages are not this stream's business and are ignored.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<Option<Applied>, UpdateError> {
        match Message::decode(bytes).map_err(UpdateError::Decode)? {
            Message::FrameUpdate(update) => self.handle_chunk(update, bytes.len() as u64),
            _ => Ok(None),
        }
    }

    /// One chunk that took `wire_bytes` on the wire. Returns the applied update when this
    /// was its last chunk.
    pub fn handle_chunk(
        &mut self,
        update: FrameUpdate,
        wire_bytes: u64,
    ) -> Result<Option<Applied>, UpdateError> {
        if !wire::screen_size_allowed(update.width, update.height) {
            self.drop_pending();
            return Err(UpdateError::ScreenTooLarge {
                width: update.width,
                height: update.height,
            });
        }
        if self
            .pending
            .first()
            .is_some_and(|first| first.seq != update.seq)
        {
            // A new update started before the last one finished: the agent abandoned it (it
            // will send a keyframe). Only one update is ever assembled.
            self.drop_pending();
        }
        let seq = update.seq;
        if self.abandoned == Some(seq) {
            if update.last {
                self.abandoned = None;
            }
            return Ok(None);
        }
        self.abandoned = None;
        if self
            .pending
            .first()
            .is_some_and(|first| (first.width, first.height) != (update.width, update.height))
        {
            self.drop_pending();
            self.abandoned = (!update.last).then_some(seq);
            return Err(UpdateError::SizeChanged { seq });
        }
        let limit = pending_limit(update.width, update.height);
        let held = self.held.saturating_add(held_bytes(&update));
        if held > limit {
            self.drop_pending();
            self.abandoned = (!update.last).then_some(seq);
            return Err(UpdateError::TooLarge { seq, limit });
        }
        self.held = held;
        self.wire_bytes = self.wire_bytes.saturating_add(wire_bytes);
        let last = update.last;
        self.pending.push(update);
        if !last {
            return Ok(None);
        }
        let bytes = self.wire_bytes;
        let chunks = std::mem::take(&mut self.pending);
        self.drop_pending();
        let mut rects = Vec::new();
        for chunk in &chunks {
            self.frame
                .apply_update(chunk)
                .map_err(|error| UpdateError::Tile { seq, error })?;
            rects.extend(chunk.tiles.iter().map(|t| Rect {
                x: t.x,
                y: t.y,
                w: t.w,
                h: t.h,
            }));
        }
        Ok(Some(Applied { seq, bytes, rects }))
    }

    fn drop_pending(&mut self) {
        self.pending = Vec::new();
        self.held = 0;
        self.wire_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::TileEncoding;

    fn chunk(seq: u32, size: (u16, u16), last: bool, data: usize) -> FrameUpdate {
        FrameUpdate {
            seq,
            width: size.0,
            height: size.1,
            last,
            tiles: vec![EncodedTile {
                x: 0,
                y: 0,
                w: 1,
                h: 1,
                encoding: TileEncoding::Solid as u8,
                data: vec![7; data],
            }],
        }
    }

    #[test]
    fn parts_of_one_update_must_announce_one_screen_size() {
        let mut stream = UpdateStream::new();
        assert_eq!(
            stream.handle_chunk(chunk(5, (96, 5696), false, 3), 10),
            Ok(None)
        );
        assert_eq!(
            stream.handle_chunk(chunk(5, (96, 64), true, 3), 10),
            Err(UpdateError::SizeChanged { seq: 5 })
        );
        assert_eq!(stream.pending_bytes(), 0, "the parts were dropped");
        assert_eq!(stream.frame().width(), 0, "nothing was applied");

        // The next whole update applies normally.
        let r = stream.handle_chunk(chunk(6, (96, 64), true, 3), 10);
        assert!(matches!(r, Ok(Some(_))), "{r:?}");
    }

    #[test]
    fn the_rest_of_an_update_dropped_part_way_is_never_shown() {
        let mut stream = UpdateStream::new();
        assert_eq!(
            stream.handle_chunk(chunk(8, (96, 64), false, 3), 10),
            Ok(None)
        );
        assert_eq!(
            stream.handle_chunk(chunk(8, (64, 64), false, 3), 10),
            Err(UpdateError::SizeChanged { seq: 8 })
        );
        // Its last part arrives: ignored, nothing applied.
        assert_eq!(
            stream.handle_chunk(chunk(8, (96, 64), true, 3), 10),
            Ok(None)
        );
        assert_eq!(stream.frame().width(), 0);
        // The next update is whole again.
        assert!(matches!(
            stream.handle_chunk(chunk(9, (96, 64), true, 3), 10),
            Ok(Some(_))
        ));
        assert_eq!(stream.frame().width(), 96);
    }

    #[test]
    fn limits_follow_the_screen_and_stop_at_the_cap() {
        assert_eq!(
            pending_limit(1920, 1080),
            4 * 1920 * 1080 + wire::MAX_PAYLOAD
        );
        assert_eq!(pending_limit(7680, 4320), MAX_PENDING_BYTES);
        assert!(wire::screen_size_allowed(7680, 4320));
        assert!(wire::screen_size_allowed(16384, 1024));
        assert!(!wire::screen_size_allowed(16385, 1));
        assert!(!wire::screen_size_allowed(7681, 4320));
        assert!(!wire::screen_size_allowed(u16::MAX, u16::MAX));
    }

    #[test]
    fn a_huge_screen_is_refused_before_any_allocation_and_drops_what_was_held() {
        let mut s = UpdateStream::new();
        assert_eq!(s.handle_chunk(chunk(1, (64, 64), false, 3), 30), Ok(None));
        assert!(s.pending_bytes() > 0);
        let huge = chunk(1, (65535, 65535), true, 3);
        assert_eq!(
            s.handle_chunk(huge, 35),
            Err(UpdateError::ScreenTooLarge {
                width: 65535,
                height: 65535
            })
        );
        assert_eq!(s.pending_bytes(), 0);
        assert_eq!((s.frame().width(), s.frame().pixels().len()), (0, 0));
        assert_eq!(
            UpdateError::ScreenTooLarge {
                width: 65535,
                height: 65535
            }
            .to_string(),
            "the customer's screen is larger than this viewer accepts (65535x65535)"
        );
    }

    #[test]
    fn an_update_that_never_ends_is_dropped_at_its_limit() {
        let mut s = UpdateStream::new();
        let size = (7680, 4320);
        let mut refused = None;
        for i in 0..2048 {
            match s.handle_chunk(chunk(9, size, false, wire::MAX_PAYLOAD - 256), 1 << 20) {
                Ok(None) => assert!(s.pending_bytes() <= MAX_PENDING_BYTES),
                other => {
                    refused = Some((i, other));
                    break;
                }
            }
        }
        let (i, err) = refused.expect("refused before 2048 chunks");
        assert_eq!(
            i, 64,
            "64 chunks of just under 1 MiB fit, the 65th does not"
        );
        assert_eq!(
            err,
            Err(UpdateError::TooLarge {
                seq: 9,
                limit: MAX_PENDING_BYTES
            })
        );
        assert_eq!(s.pending_bytes(), 0, "the buffers were dropped");
        // Flooding with empty tiles counts too: their bookkeeping is what they cost.
        let empty = FrameUpdate {
            tiles: vec![chunk(1, (64, 64), false, 0).tiles[0].clone(); 60_000],
            ..chunk(2, (64, 64), false, 0)
        };
        assert!(matches!(
            s.handle_chunk(empty, 60_000 * 13),
            Err(UpdateError::TooLarge { seq: 2, .. })
        ));
        // The stream works afterwards.
        let applied = s.handle_chunk(chunk(3, (64, 64), true, 3), 40);
        assert_eq!(applied.map(|a| a.map(|a| a.seq)), Ok(Some(3)));
    }

    #[test]
    fn a_new_update_drops_the_unfinished_one() {
        let mut s = UpdateStream::new();
        s.handle_chunk(chunk(1, (64, 64), false, 3), 30)
            .expect("held");
        let one = s.pending_bytes();
        s.handle_chunk(chunk(2, (64, 64), false, 3), 30)
            .expect("held");
        assert_eq!(s.pending_bytes(), one, "only one update is assembled");
        let applied = s
            .handle_chunk(chunk(2, (64, 64), true, 3), 30)
            .expect("applies")
            .expect("complete");
        assert_eq!(
            (applied.seq, applied.bytes, applied.rects.len()),
            (2, 60, 2)
        );
        assert_eq!(&s.frame().pixels()[..4], &[7, 7, 7, 0]);
    }

    #[test]
    fn arbitrary_bytes_are_errors_not_panics() {
        let mut s = UpdateStream::new();
        let good = Message::FrameUpdate(chunk(1, (64, 64), true, 3)).encode();
        for i in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= flip;
                let _ = s.handle_bytes(&bad);
                let _ = s.handle_bytes(&bad[..i]);
                assert!(s.pending_bytes() <= MAX_PENDING_BYTES);
            }
        }
        assert_eq!(s.handle_bytes(&Message::RefreshRequest.encode()), Ok(None));
    }
}
