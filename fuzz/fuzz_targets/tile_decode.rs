//! Tile decoding (solid, zstd, copy and JPEG through libjpeg-turbo) into the viewer's
//! picture. The input is one tile: a 13-byte header, then the tile's data verbatim, so the
//! seeds' valid zstd and JPEG streams reach the codecs intact.
//!
//! ```text
//! screen_w u16 | screen_h u16 | x u16 | y u16 | w u16 | h u16 | encoding u8 | data…
//! ```
//!
//! Whatever the bytes, applying the tile may fail but must not panic, and must never touch
//! a pixel outside the tile's rectangle.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use tandem_protocol::tiles::{FrameBuffer, TILE, TileEncoding};
use tandem_protocol::wire::{EncodedTile, FrameUpdate};

/// Screens are capped so one input stays cheap; screen-size limits are the viewer
/// target's business.
const MAX_SIDE: u16 = 160;

fuzz_target!(|data: &[u8]| {
    let Some((header, tile_data)) = data.split_first_chunk::<13>() else {
        return;
    };
    let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]);
    let (width, height) = (u16_at(0).min(MAX_SIDE), u16_at(2).min(MAX_SIDE));
    let tile = EncodedTile {
        x: u16_at(4),
        y: u16_at(6),
        w: u16_at(8),
        h: u16_at(10),
        encoding: header[12],
        data: tile_data.to_vec(),
    };

    let mut fb = background(width, height);
    let before = fb.pixels().to_vec();

    let result = fb.apply_update(&update(width, height, vec![tile.clone()]));

    assert_eq!((fb.width(), fb.height()), (width, height));
    // Row by row (slice comparisons, not a per-byte loop: this runs on every input).
    let stride = usize::from(width) * 4;
    let x0 = (usize::from(tile.x) * 4).min(stride);
    let x1 = ((usize::from(tile.x) + usize::from(tile.w)) * 4).min(stride);
    let rows = usize::from(tile.y)..usize::from(tile.y) + usize::from(tile.h);
    let pairs = before
        .chunks_exact(stride.max(1))
        .zip(fb.pixels().chunks_exact(stride.max(1)));
    for (y, (old, new)) in pairs.enumerate() {
        if rows.contains(&y) {
            let outside = old[..x0] == new[..x0] && old[x1..] == new[x1..];
            assert!(outside, "row {y} changed outside {tile:?} ({result:?})");
            if result.is_ok() {
                // The unused fourth byte stays 0 (the JPEG path resets libjpeg's 255).
                let x_bytes = new[x0..x1]
                    .iter()
                    .skip(3)
                    .step_by(4)
                    .fold(0, |acc, b| acc | b);
                assert_eq!(x_bytes, 0, "row {y} of {tile:?}");
            }
        } else {
            assert!(old == new, "row {y} changed outside {tile:?} ({result:?})");
        }
    }
    if tile.encoding == TileEncoding::Solid as u8 && result.is_ok() {
        // A solid tile paints exactly its colour.
        let mut px = tile.data.clone();
        px.push(0);
        let row = usize::from(tile.y) * stride + usize::from(tile.x) * 4;
        assert_eq!(&fb.pixels()[row..row + 4], &px[..]);
    }
});

fn update(width: u16, height: u16, tiles: Vec<EncodedTile>) -> FrameUpdate {
    FrameUpdate {
        seq: 1,
        width,
        height,
        last: true,
        tiles,
    }
}

/// A picture where each 64×64 cell has its own colour, so a stray write outside the tile
/// shows. Painting it costs more than most inputs, so the last one is kept for the next.
fn background(width: u16, height: u16) -> FrameBuffer {
    thread_local!(static LAST: RefCell<FrameBuffer> = RefCell::default());
    LAST.with_borrow_mut(|last| {
        if (last.width(), last.height()) != (width, height) || last.pixels().is_empty() {
            last.apply_update(&update(width, height, cells(width, height)))
                .expect("the background applies");
        }
        last.clone()
    })
}

/// One solid tile per 64×64 cell.
fn cells(width: u16, height: u16) -> Vec<EncodedTile> {
    let mut tiles = Vec::new();
    for y in (0..usize::from(height)).step_by(TILE) {
        for x in (0..usize::from(width)).step_by(TILE) {
            let (cx, cy) = ((x / TILE) as u8, (y / TILE) as u8);
            tiles.push(EncodedTile {
                x: x as u16,
                y: y as u16,
                w: TILE.min(usize::from(width) - x) as u16,
                h: TILE.min(usize::from(height) - y) as u16,
                encoding: TileEncoding::Solid as u8,
                data: vec![cx * 16 + 1, cy * 16 + 1, cx ^ cy],
            });
        }
    }
    tiles
}
