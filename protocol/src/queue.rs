//! What waits to be sent to one viewer: batches of tiles. Within a batch a newer tile
//! replaces an older one in the same cell (a slow viewer gets fewer, merged updates rather than
//! a backlog), and a wide JPEG replaces the tiles it covers whole. Copies read the viewer's
//! picture as it was before their update, so an update holding copies starts a new batch; a
//! viewer more than [`MAX_BATCHES`] behind is dropped to a keyframe instead.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::tiles::{TILE, is_copy};
use crate::wire::EncodedTile;

/// Unsent batches a viewer may fall behind by before it is sent a keyframe instead.
pub const MAX_BATCHES: usize = 8;

/// Updates waiting to be sent to one viewer, as batches.
#[derive(Default)]
pub struct UpdateQueue {
    size: (u16, u16),
    /// Oldest first; tiles merge into the newest.
    batches: VecDeque<Batch>,
}

/// Copies, then the newest tile per cell.
#[derive(Default)]
struct Batch {
    copies: Vec<Arc<EncodedTile>>,
    tiles: BTreeMap<(u16, u16), Arc<EncodedTile>>,
    /// Some tile spans several cells (a JPEG rectangle).
    has_wide: bool,
}

fn is_wide(t: &EncodedTile) -> bool {
    usize::from(t.w) > TILE || usize::from(t.h) > TILE
}

fn overlaps(a: &EncodedTile, b: &EncodedTile) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

fn covers(a: &EncodedTile, b: &EncodedTile) -> bool {
    a.x <= b.x && a.y <= b.y && a.x + a.w >= b.x + b.w && a.y + a.h >= b.y + b.h
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.copies.is_empty() && self.tiles.is_empty()
    }

    /// Whether `t` can replace what it overlaps here: it must cover each such tile whole
    /// (a smaller tile inside an older wide one would be drawn before it, and lost).
    fn absorbs(&self, t: &EncodedTile) -> bool {
        if !self.has_wide && !is_wide(t) {
            return true;
        }
        self.tiles
            .values()
            .all(|old| !overlaps(old, t) || covers(t, old))
    }

    fn insert(&mut self, t: Arc<EncodedTile>) {
        if self.has_wide || is_wide(&t) {
            self.tiles.retain(|_, old| !overlaps(old, &t));
            self.has_wide |= is_wide(&t);
        }
        self.tiles.insert((t.y, t.x), t);
    }
}

/// What [`UpdateQueue::merge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merged {
    /// Queued.
    Queued,
    /// The viewer is too far behind: its queue was dropped; send it a keyframe.
    FellBehind,
}

impl UpdateQueue {
    /// Adds an update; a newer tile replaces an older one in the same cell of the newest
    /// batch, and an update with copies starts a new batch.
    pub fn merge(&mut self, size: (u16, u16), tiles: &[Arc<EncodedTile>]) -> Merged {
        if self.size != size {
            self.batches.clear();
            self.size = size;
        }
        let has_copies = tiles.iter().any(|t| is_copy(t));
        let reuse_last = self
            .batches
            .back()
            .is_some_and(|b| b.is_empty() || (!has_copies && tiles.iter().all(|t| b.absorbs(t))));
        if !reuse_last {
            self.batches.push_back(Batch::default());
        }
        if self.batches.len() > MAX_BATCHES {
            self.batches.clear();
            return Merged::FellBehind;
        }
        if let Some(batch) = self.batches.back_mut() {
            for t in tiles {
                if is_copy(t) {
                    batch.copies.push(t.clone());
                } else {
                    batch.insert(t.clone());
                }
            }
        }
        Merged::Queued
    }

    /// Replaces everything queued with `tiles` (a keyframe: the whole screen).
    pub fn replace(&mut self, size: (u16, u16), tiles: &[Arc<EncodedTile>]) {
        self.batches.clear();
        self.merge(size, tiles);
    }

    /// The oldest batch (copies first), and whether more are queued.
    pub fn take(&mut self) -> ((u16, u16), Vec<EncodedTile>, bool) {
        let batch = self.batches.pop_front().unwrap_or_default();
        let tiles = batch
            .copies
            .iter()
            .chain(batch.tiles.values())
            .map(|t| (**t).clone())
            .collect();
        (self.size, tiles, !self.batches.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::TileEncoding;

    fn tile(x: u16, encoding: TileEncoding, byte: u8) -> Arc<EncodedTile> {
        Arc::new(EncodedTile {
            x,
            y: 0,
            w: 64,
            h: 64,
            encoding: encoding as u8,
            data: vec![byte; 4],
        })
    }

    #[test]
    fn tiles_merge_but_copies_keep_their_order_and_a_slow_viewer_gets_a_keyframe() {
        let mut p = UpdateQueue::default();
        let size = (128, 64);
        p.merge(size, &[tile(0, TileEncoding::Zstd, 1)]);
        p.merge(size, &[tile(0, TileEncoding::Zstd, 2)]);
        // A copy must see the tile before it applied: a new batch.
        p.merge(
            size,
            &[
                tile(0, TileEncoding::Copy, 0),
                tile(64, TileEncoding::Zstd, 3),
            ],
        );
        p.merge(size, &[tile(64, TileEncoding::Zstd, 4)]);
        let (_, first, more) = p.take();
        assert!(more);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].data[0], 2, "newest tile per cell");
        let (_, second, more) = p.take();
        assert!(!more);
        assert!(is_copy(&second[0]), "copies first");
        assert_eq!(second[1].data[0], 4);

        for i in 0..MAX_BATCHES {
            assert_eq!(
                p.merge(size, &[tile(0, TileEncoding::Copy, i as u8)]),
                Merged::Queued
            );
            p.merge(size, &[tile(64, TileEncoding::Zstd, 0)]);
        }
        assert_eq!(
            p.merge(size, &[tile(0, TileEncoding::Copy, 9)]),
            Merged::FellBehind
        );
        assert!(p.take().1.is_empty(), "the queue was dropped");
    }

    #[test]
    fn a_wide_jpeg_replaces_what_it_covers_but_not_what_sticks_out() {
        let mut p = UpdateQueue::default();
        let size = (256, 128);
        let wide = |x, w, byte| {
            Arc::new(EncodedTile {
                x,
                y: 0,
                w,
                h: 128,
                encoding: TileEncoding::Jpeg as u8,
                data: vec![byte],
            })
        };
        p.merge(size, &[tile(64, TileEncoding::Zstd, 1)]);
        p.merge(size, &[wide(0, 192, 2)]);
        p.merge(size, &[wide(0, 192, 3)]);
        let (_, tiles, more) = p.take();
        assert!(!more, "covered tiles were replaced in place");
        assert_eq!(tiles.len(), 1);
        assert_eq!(tiles[0].data, [3]);
        // A smaller rectangle inside a pending wide one must come after it.
        p.merge(size, &[wide(0, 192, 4)]);
        p.merge(size, &[tile(64, TileEncoding::Zstd, 5)]);
        let (_, first, more) = p.take();
        assert!(more);
        assert_eq!(first[0].data, [4]);
        assert_eq!(p.take().1[0].data, [5, 5, 5, 5]);
    }
}
