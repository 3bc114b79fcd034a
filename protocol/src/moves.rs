//! Scroll detection: when a region's content moved up or down (a terminal or a page
//! scrolling), say "copy these rows from there" instead of resending them. The agent finds
//! the move between its previous frame and the new one; the viewer applies it to its picture
//! before the tiles of the same update, which then only carry what is really new.
//!
//! Detection hashes every row of the region in both frames, lets distinctive rows of the new
//! frame vote for the offset at which they appear in the old one, and keeps the longest run
//! of rows that match exactly at the winning offset. Pure and allocation-light: about 0.2 ms
//! for an 800×600 region.

use std::collections::HashMap;

use crate::tiles::{FrameRef, Rect};

/// A band shorter than this is cheaper to resend as tiles.
pub const MIN_MOVE_ROWS: u16 = 16;
/// Regions narrower than this are not worth a move.
const MIN_MOVE_WIDTH: u16 = 64;
/// Distinctive rows sampled for votes, at most.
const MAX_VOTERS: usize = 256;
/// Votes an offset needs before its rows are compared.
const MIN_VOTES: u32 = 2;

/// Rows `src_y..src_y + rect.h` of the previous picture, columns `rect.x..rect.x + rect.w`,
/// go to `rect` (same columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerticalMove {
    /// Destination.
    pub rect: Rect,
    /// First source row.
    pub src_y: u16,
}

fn row_hash(row: &[u8]) -> u64 {
    // Multiply-xor over every fourth 8-byte word (two pixels in eight): enough to tell rows
    // apart and find candidates at a quarter of the memory traffic (this runs over every
    // damaged row of every update, video included). Matches are always confirmed byte for
    // byte.
    let mut h = 0x9E37_79B9_7F4A_7C15u64 ^ row.len() as u64;
    for w in row.chunks_exact(8).step_by(4) {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ v).wrapping_mul(0x0100_0000_01B3).rotate_left(23);
    }
    h
}

/// A frame's rows restricted to some columns.
struct Rows<'a> {
    data: &'a [u8],
    stride: usize,
    x0: usize,
    x1: usize,
}

impl Rows<'_> {
    fn row(&self, y: usize) -> &[u8] {
        &self.data[y * self.stride + self.x0 * 4..y * self.stride + self.x1 * 4]
    }
}

/// Row hashes of the last searched area, reused as the next search's "previous" hashes when
/// the area is the same (a video or a terminal damages the same rectangle every update):
/// that halves the hashing. Stale entries can only cost a missed candidate, never a wrong
/// move, because every match is compared byte for byte.
#[derive(Debug, Default)]
pub struct RowHashCache {
    area: Option<Rect>,
    hashes: Vec<u64>,
}

/// Finds the largest vertical move of content inside `area` from `prev` (packed BGRX,
/// `prev_stride` bytes per row, same size as `cur`) to `cur`. `None` when nothing moved
/// (or the moved band is too small to matter).
pub fn find_vertical_move(
    prev: &[u8],
    prev_stride: usize,
    cur: &FrameRef<'_>,
    area: Rect,
) -> Option<VerticalMove> {
    find_vertical_move_cached(prev, prev_stride, cur, area, &mut RowHashCache::default())
}

/// [`find_vertical_move`], reusing (and then updating) `cache`.
pub fn find_vertical_move_cached(
    prev: &[u8],
    prev_stride: usize,
    cur: &FrameRef<'_>,
    area: Rect,
    cache: &mut RowHashCache,
) -> Option<VerticalMove> {
    let (x0, y0) = (area.x as usize, area.y as usize);
    let (x1, y1) = (x0 + area.w as usize, y0 + area.h as usize);
    if area.w < MIN_MOVE_WIDTH
        || area.h < MIN_MOVE_ROWS
        || x1 > cur.width as usize
        || y1 > cur.height as usize
        || prev.len() < prev_stride * y1
        || cur.data.len() < cur.stride * (y1 - 1) + x1 * 4
    {
        return None;
    }
    let old = Rows {
        data: prev,
        stride: prev_stride,
        x0,
        x1,
    };
    let new = Rows {
        data: cur.data,
        stride: cur.stride,
        x0,
        x1,
    };
    let old_hashes: Vec<u64> = match cache.area {
        Some(a) if a == area && cache.hashes.len() == area.h as usize => {
            std::mem::take(&mut cache.hashes)
        }
        _ => (y0..y1).map(|y| row_hash(old.row(y))).collect(),
    };
    let new_hashes: Vec<u64> = (y0..y1).map(|y| row_hash(new.row(y))).collect();
    cache.area = Some(area);
    cache.hashes.clone_from(&new_hashes);
    // Where each old row content first appears (blank rows repeat; the first is as good
    // as any, and distinctive rows below decide).
    let mut first_at: HashMap<u64, usize> = HashMap::with_capacity(old_hashes.len());
    for (i, h) in old_hashes.iter().enumerate() {
        first_at.entry(*h).or_insert(i);
    }
    let n = new_hashes.len();
    let distinctive = |i: usize| {
        (i == 0 || new_hashes[i - 1] != new_hashes[i])
            && (i + 1 == n || new_hashes[i + 1] != new_hashes[i])
    };
    let step = (n / MAX_VOTERS).max(1);
    let mut votes: HashMap<isize, u32> = HashMap::new();
    for i in (0..n).step_by(step).filter(|&i| distinctive(i)) {
        if new_hashes[i] == old_hashes[i] {
            continue;
        }
        if let Some(&j) = first_at.get(&new_hashes[i]) {
            *votes.entry(j as isize - i as isize).or_default() += 1;
        }
    }
    let (&dy, &count) = votes.iter().max_by_key(|(dy, v)| (**v, -dy.abs()))?;
    if count < MIN_VOTES {
        // A chance match (video, noise): not worth verifying.
        return None;
    }
    // The longest run of rows that match exactly at offset dy.
    let row_matches = |i: usize| {
        let j = i as isize + dy;
        (0..n as isize).contains(&j)
            && new_hashes[i] == old_hashes[j as usize]
            && new.row(y0 + i) == old.row(y0 + j as usize)
    };
    let (mut best, mut i) = ((0usize, 0usize), 0usize);
    while i < n {
        if !row_matches(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && row_matches(i) {
            i += 1;
        }
        if i - start > best.1 - best.0 {
            best = (start, i);
        }
    }
    let (a, b) = best;
    if b - a < MIN_MOVE_ROWS as usize {
        return None;
    }
    Some(VerticalMove {
        rect: Rect {
            x: area.x,
            y: (y0 + a) as u16,
            w: area.w,
            h: (b - a) as u16,
        },
        src_y: (y0 as isize + a as isize + dy) as u16,
    })
}

/// Applies `m` to a packed BGRX picture of `width × height` (`stride` bytes per row),
/// rows in the order that never reads an already overwritten row. `false` if the move does
/// not fit the picture (nothing is changed then).
pub fn apply_vertical_move(
    pixels: &mut [u8],
    stride: usize,
    height: u16,
    m: &VerticalMove,
) -> bool {
    let r = m.rect;
    let (x0, x1) = (r.x as usize * 4, (r.x as usize + r.w as usize) * 4);
    let fits = |y: u16| y as usize + r.h as usize <= height as usize;
    if r.h == 0
        || x1 > stride
        || !fits(r.y)
        || !fits(m.src_y)
        || pixels.len() < stride * height as usize
    {
        return false;
    }
    let copy_row = |pixels: &mut [u8], i: usize| {
        let from = (m.src_y as usize + i) * stride;
        let to = (r.y as usize + i) * stride;
        pixels.copy_within(from + x0..from + x1, to + x0);
    };
    if m.src_y > r.y {
        (0..r.h as usize).for_each(|i| copy_row(pixels, i));
    } else {
        (0..r.h as usize).rev().for_each(|i| copy_row(pixels, i));
    }
    true
}

#[cfg(test)]
#[path = "moves_tests.rs"]
mod tests;
