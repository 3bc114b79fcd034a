//! Which tiles hold moving content: a tile that changed in several updates in a row and
//! compressed poorly the last time it was sent losslessly is video, not text; it goes lossy
//! ([`crate::lossy`]) until it has been still for [`SETTLE`], then is sent exactly again.
//! Text that changes often (a terminal) compresses well, so it stays lossless.

use std::time::{Duration, Instant};

/// Updates in a row a tile must change in before it may go lossy.
const MIN_STREAK: u8 = 3;
/// Changes further apart than this do not continue a streak.
const STREAK_GAP: Duration = Duration::from_millis(250);
/// Lossless size (of 12 KiB raw) from which a tile counts as picture-like. Text and UI
/// tiles compress to well under this; camera or film content does not.
const MIN_LOSSLESS_BYTES: u32 = 3_000;
/// Stillness after which lossy tiles are sent losslessly again.
pub const SETTLE: Duration = Duration::from_millis(300);
/// Most tile rows in one lossy rectangle (keeps each JPEG well inside one chunk).
pub const MAX_BAND_ROWS: usize = 4;

#[derive(Debug, Clone, Copy, Default)]
struct TileMotion {
    streak: u8,
    last_change: Option<Instant>,
    lossless_bytes: u32,
    /// The viewers hold a lossy version of this tile.
    lossy: bool,
}

/// Motion state of every tile of the grid.
#[derive(Debug, Default)]
pub struct Motion {
    tiles: Vec<TileMotion>,
}

impl Motion {
    /// Starts over for a grid of `n` tiles.
    pub fn reset(&mut self, n: usize) {
        self.tiles = vec![TileMotion::default(); n];
    }

    /// Tile `i` changed at `now`; whether it should be sent lossy.
    pub fn changed(&mut self, i: usize, now: Instant) -> bool {
        let Some(t) = self.tiles.get_mut(i) else {
            return false;
        };
        let continues = t
            .last_change
            .is_some_and(|last| now.saturating_duration_since(last) <= STREAK_GAP);
        t.streak = if continues {
            t.streak.saturating_add(1)
        } else {
            1
        };
        t.last_change = Some(now);
        t.streak >= MIN_STREAK && (t.lossy || t.lossless_bytes >= MIN_LOSSLESS_BYTES)
    }

    /// Tile `i` went out losslessly in `bytes`.
    pub fn sent_lossless(&mut self, i: usize, bytes: usize) {
        if let Some(t) = self.tiles.get_mut(i) {
            t.lossless_bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
            t.lossy = false;
        }
    }

    /// Tile `i` went out lossy (or received lossy pixels through a copy) at `now`.
    pub fn sent_lossy(&mut self, i: usize, now: Instant) {
        if let Some(t) = self.tiles.get_mut(i) {
            t.lossy = true;
            t.last_change = Some(t.last_change.map_or(now, |l| l.max(now)));
        }
    }

    /// Whether the viewers hold a lossy version of tile `i`.
    pub fn is_lossy(&self, i: usize) -> bool {
        self.tiles.get(i).is_some_and(|t| t.lossy)
    }

    /// Lossy tiles that have been still for [`SETTLE`] at `now`: they are due to be sent
    /// losslessly (the caller does, then calls [`Motion::sent_lossless`]).
    pub fn settled(&mut self, now: Instant) -> Vec<usize> {
        let mut due = Vec::new();
        for (i, t) in self.tiles.iter_mut().enumerate() {
            let still = t
                .last_change
                .is_none_or(|last| now.saturating_duration_since(last) >= SETTLE);
            if t.lossy && still {
                t.streak = 0;
                due.push(i);
            }
        }
        due
    }
}

/// Groups tiles (column, row) into rectangles of whole tiles, `(col0, row0, cols, rows)`:
/// runs along a row, stacked while the next row has the same run, at most
/// [`MAX_BAND_ROWS`] high. `tiles` must be sorted by row, then column.
pub fn group(tiles: &[(usize, usize)]) -> Vec<(usize, usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new(); // (row, col0, cols)
    for &(c, r) in tiles {
        match runs.last_mut() {
            Some((row, c0, n)) if *row == r && *c0 + *n == c => *n += 1,
            _ => runs.push((r, c, 1)),
        }
    }
    let mut rects: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (row, c0, n) in runs {
        let stacked = rects.iter_mut().rev().find(|(rc0, rr0, rn, rrows)| {
            *rc0 == c0 && *rn == n && *rr0 + *rrows == row && *rrows < MAX_BAND_ROWS
        });
        match stacked {
            Some(rect) => rect.3 += 1,
            None => rects.push((c0, row, n, 1)),
        }
    }
    rects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_busy_picture_like_tiles_go_lossy_and_they_settle() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut m = Motion::default();
        m.reset(2);
        // Tile 0 is video-like (big lossless size), tile 1 text-like.
        m.sent_lossless(0, 9_000);
        m.sent_lossless(1, 800);
        assert!(!m.changed(0, ms(0)));
        assert!(!m.changed(0, ms(33)));
        assert!(m.changed(0, ms(66)), "third change in a row");
        for t in [0, 33, 66, 99] {
            assert!(!m.changed(1, ms(t)), "text stays lossless");
        }
        m.sent_lossy(0, ms(66));
        assert!(m.changed(0, ms(99)), "stays lossy while moving");
        assert!(m.settled(ms(200)).is_empty(), "not still long enough");
        assert_eq!(m.settled(ms(99) + SETTLE), [0]);
        m.sent_lossless(0, 9_000);
        assert!(!m.is_lossy(0));
        // A pause breaks the streak.
        assert!(!m.changed(0, ms(5_000)));
    }

    #[test]
    fn tiles_group_into_stacked_bands() {
        let mut tiles = Vec::new();
        for r in 2..8 {
            for c in 3..6 {
                tiles.push((c, r));
            }
        }
        tiles.push((9, 7));
        assert_eq!(
            group(&tiles),
            [(3, 2, 3, 4), (3, 6, 3, 2), (9, 7, 1, 1)],
            "bands of at most four rows; a lone tile on its own"
        );
        assert!(group(&[]).is_empty());
    }
}
