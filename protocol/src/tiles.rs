//! Tile codec: the screen is a grid of 64×64 tiles; only tiles that differ from the previous
//! frame are sent. Each changed tile is either a solid colour (3 bytes) or its BGR pixels
//! compressed with zstd level 1. Content that moved (scrolling) is sent first as a copy
//! ([`crate::moves`]): 4 bytes instead of the rows. Lossless: the viewer's picture equals the
//! captured one pixel for pixel.
//!
//! ```text
//! capture (BGRX) ──► TileEncoder::encode ──► Vec<EncodedTile> ──► chunk_update ──► FrameUpdate…
//!                                                                                     │
//! viewer picture ◄── FrameBuffer::apply_update ◄──────────────────────────────────────┘
//! ```

use crate::wire::{EncodedTile, FrameUpdate};

pub use crate::picture::FrameBuffer;

/// Tile edge length in pixels.
pub const TILE: usize = 64;
/// Target payload size of one [`FrameUpdate`] chunk: below the 64 KiB data channel message
/// size with room for headers.
pub const CHUNK_BUDGET: usize = 60 * 1024;
const ZSTD_LEVEL: i32 = 1;

/// How a tile's bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TileEncoding {
    /// zstd over the tile's pixels as packed B,G,R triplets, row by row.
    Zstd = 1,
    /// One colour for the whole tile: B,G,R.
    Solid = 2,
    /// Copy of another rectangle of the picture as it was before this update: source x and
    /// y as little-endian u16s; the tile's rectangle is the destination (any size). Copies
    /// come before the other tiles of an update.
    Copy = 3,
    /// A JPEG of exactly the tile's rectangle (any size): moving content
    /// ([`crate::lossy`]), sent losslessly again once it is still.
    Jpeg = 4,
}

/// Whether a tile is a copy (it depends on the viewer's picture before its update, so
/// updates holding copies cannot be merged with earlier ones).
pub fn is_copy(t: &EncodedTile) -> bool {
    t.encoding == TileEncoding::Copy as u8
}

/// A rectangle in screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u16,
    /// Top edge.
    pub y: u16,
    /// Width.
    pub w: u16,
    /// Height.
    pub h: u16,
}

/// A borrowed screen image: 4 bytes per pixel in B,G,R,X order (X ignored), rows `stride`
/// bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Bytes from one row to the next (≥ width × 4).
    pub stride: usize,
    /// The pixels.
    pub data: &'a [u8],
}

impl<'a> FrameRef<'a> {
    /// A picture whose rows follow each other without padding (`width` × 4 bytes apart).
    pub fn packed(width: u16, height: u16, data: &'a [u8]) -> Self {
        FrameRef {
            width,
            height,
            stride: width as usize * 4,
            data,
        }
    }

    fn is_well_formed(&self) -> bool {
        let (w, h) = (self.width as usize, self.height as usize);
        self.stride >= w * 4 && (h == 0 || self.data.len() >= self.stride * (h - 1) + w * 4)
    }
}

/// Why a tile or update could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The tile lies (partly) outside the screen.
    #[error("tile {0:?} lies outside the {1}x{2} screen")]
    OutOfBounds(Rect, u16, u16),
    /// Unknown tile encoding byte.
    #[error("unknown tile encoding {0}")]
    UnknownEncoding(u8),
    /// Compressed data is corrupt or has the wrong size.
    #[error("corrupt tile data")]
    Corrupt,
    /// The captured frame's buffer is smaller than its size says.
    #[error("frame buffer smaller than its dimensions")]
    BadFrame,
    /// The JPEG codec could not be set up or refused the picture.
    #[error("the JPEG codec failed")]
    Codec,
    /// The update announces a screen beyond [`crate::wire::screen_size_allowed`].
    #[error("the customer's screen is larger than this viewer accepts ({0}x{1})")]
    ScreenTooLarge(u16, u16),
}

/// Keeps the previous frame and emits the tiles that changed.
pub struct TileEncoder {
    width: u16,
    height: u16,
    /// Previous frame, packed BGRX (stride = width × 4). Empty before the first frame.
    prev: Vec<u8>,
    compressor: zstd::bulk::Compressor<'static>,
    scratch: Vec<u8>,
    /// Set when moving content may be sent lossy.
    jpeg: Option<crate::lossy::JpegEncoder>,
    motion: crate::motion::Motion,
    row_hashes: crate::moves::RowHashCache,
}

impl Default for TileEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl TileEncoder {
    /// An encoder with no previous frame: the first `encode` returns every tile.
    pub fn new() -> Self {
        TileEncoder {
            width: 0,
            height: 0,
            prev: Vec::new(),
            // Level 1 is a valid level, so creating the context cannot fail except on OOM.
            compressor: zstd::bulk::Compressor::new(ZSTD_LEVEL).expect("zstd context"),
            scratch: Vec::with_capacity(TILE * TILE * 3),
            jpeg: None,
            motion: crate::motion::Motion::default(),
            row_hashes: crate::moves::RowHashCache::default(),
        }
    }

    /// An encoder that sends moving picture-like content as JPEG at `quality` (see
    /// [`TileEncoder::encode_at`] and [`TileEncoder::settle`]).
    pub fn with_lossy(quality: i32) -> Result<Self, TileError> {
        let mut enc = TileEncoder::new();
        enc.jpeg = Some(crate::lossy::JpegEncoder::new(quality)?);
        Ok(enc)
    }

    /// Screen size of the last encoded frame.
    pub fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    /// Encodes the tiles of `frame` that differ from the previous frame. `damage`, when
    /// given, limits the comparison to tiles touching those rectangles (what the capture
    /// layer knows changed); `None` compares every tile.
    pub fn encode(
        &mut self,
        frame: FrameRef<'_>,
        damage: Option<&[Rect]>,
    ) -> Result<Vec<EncodedTile>, TileError> {
        self.encode_inner(frame, damage, None)
    }

    /// Like [`TileEncoder::encode`], at `now`: with lossy coding on, tiles in motion go out
    /// as JPEG rectangles (after the lossless ones).
    pub fn encode_at(
        &mut self,
        frame: FrameRef<'_>,
        damage: Option<&[Rect]>,
        now: std::time::Instant,
    ) -> Result<Vec<EncodedTile>, TileError> {
        self.encode_inner(frame, damage, Some(now))
    }

    /// Lossless tiles for lossy ones that have been still long enough
    /// ([`crate::motion::SETTLE`]); call it every few tens of milliseconds, also when
    /// nothing changes, so the picture becomes exact within a second of motion stopping.
    pub fn settle(&mut self, now: std::time::Instant) -> Vec<EncodedTile> {
        let cols = self.grid().0;
        let due = self.motion.settled(now);
        let mut out = Vec::with_capacity(due.len());
        for i in due {
            let rect = self.tile_rect(i % cols, i / cols);
            let tile = self.encode_stored(rect);
            self.motion.sent_lossless(i, tile.data.len());
            out.push(tile);
        }
        out
    }

    fn encode_inner(
        &mut self,
        frame: FrameRef<'_>,
        damage: Option<&[Rect]>,
        now: Option<std::time::Instant>,
    ) -> Result<Vec<EncodedTile>, TileError> {
        if !frame.is_well_formed() {
            return Err(TileError::BadFrame);
        }
        let resized = frame.width != self.width || frame.height != self.height;
        if resized {
            self.width = frame.width;
            self.height = frame.height;
            self.prev = vec![0; frame.width as usize * frame.height as usize * 4];
        }
        let (cols, rows) = self.grid();
        if resized {
            self.motion.reset(cols * rows);
        }
        let mut dirty = vec![resized; cols * rows];
        let mut out = Vec::new();
        if !resized {
            match damage {
                None => dirty.iter_mut().for_each(|d| *d = true),
                Some(rects) => {
                    for r in rects {
                        self.mark(&mut dirty, *r);
                    }
                    out.extend(self.find_moves(&frame, rects, now));
                }
            }
        }
        let mut moving = Vec::new();
        for ty in 0..rows {
            for tx in 0..cols {
                if !dirty[ty * cols + tx] {
                    continue;
                }
                let rect = self.tile_rect(tx, ty);
                if resized || self.tile_differs(&frame, rect) {
                    self.store_tile(&frame, rect);
                    let i = ty * cols + tx;
                    let lossy = match (now, &self.jpeg) {
                        (Some(now), Some(_)) => self.motion.changed(i, now),
                        _ => false,
                    };
                    if lossy {
                        moving.push((tx, ty));
                    } else {
                        let tile = self.encode_stored(rect);
                        self.motion.sent_lossless(i, tile.data.len());
                        out.push(tile);
                    }
                }
            }
        }
        if let Some(now) = now {
            self.encode_moving(&moving, now, &mut out)?;
        }
        Ok(out)
    }

    /// JPEG rectangles for the moving tiles; a rectangle whose JPEG would not fit a chunk
    /// goes out losslessly instead.
    fn encode_moving(
        &mut self,
        moving: &[(usize, usize)],
        now: std::time::Instant,
        out: &mut Vec<EncodedTile>,
    ) -> Result<(), TileError> {
        let cols = self.grid().0;
        let stride = self.width as usize * 4;
        for (c0, r0, n, rows) in crate::motion::group(moving) {
            let (first, last) = (
                self.tile_rect(c0, r0),
                self.tile_rect(c0 + n - 1, r0 + rows - 1),
            );
            let rect = Rect {
                x: first.x,
                y: first.y,
                w: last.x + last.w - first.x,
                h: last.y + last.h - first.y,
            };
            let Some(jpeg) = self.jpeg.as_mut() else {
                return Ok(());
            };
            let data = jpeg.encode(&self.prev, stride, rect)?;
            let tiles = (r0..r0 + rows).flat_map(|r| (c0..c0 + n).map(move |c| (c, r)));
            if data.len() + 13 <= CHUNK_BUDGET {
                for (c, r) in tiles {
                    self.motion.sent_lossy(r * cols + c, now);
                }
                out.push(EncodedTile {
                    x: rect.x,
                    y: rect.y,
                    w: rect.w,
                    h: rect.h,
                    encoding: TileEncoding::Jpeg as u8,
                    data,
                });
            } else {
                for (c, r) in tiles.collect::<Vec<_>>() {
                    let tile = self.encode_stored(self.tile_rect(c, r));
                    self.motion.sent_lossless(r * cols + c, tile.data.len());
                    out.push(tile);
                }
            }
        }
        Ok(())
    }

    /// Looks for scrolled content in the damaged area; applies each move found to the
    /// previous frame (as the viewer will) and returns it as a copy tile.
    fn find_moves(
        &mut self,
        frame: &FrameRef<'_>,
        damage: &[Rect],
        now: Option<std::time::Instant>,
    ) -> Vec<EncodedTile> {
        let mut out = Vec::new();
        let Some(area) = bounding_box(damage) else {
            return out;
        };
        if self.mostly_lossy(area) {
            // Video does not scroll; looking for a move there costs a millisecond a frame.
            return out;
        }
        let stride = self.width as usize * 4;
        if let Some(m) = crate::moves::find_vertical_move_cached(
            &self.prev,
            stride,
            frame,
            area,
            &mut self.row_hashes,
        ) && crate::moves::apply_vertical_move(&mut self.prev, stride, self.height, &m)
        {
            if let Some(now) = now {
                self.carry_lossiness(&m, now);
            }
            let mut data = m.rect.x.to_le_bytes().to_vec();
            data.extend_from_slice(&m.src_y.to_le_bytes());
            out.push(EncodedTile {
                x: m.rect.x,
                y: m.rect.y,
                w: m.rect.w,
                h: m.rect.h,
                encoding: TileEncoding::Copy as u8,
                data,
            });
        }
        out
    }

    /// Whether most tiles of `area` are held lossy by the viewers (moving pictures).
    fn mostly_lossy(&self, area: Rect) -> bool {
        let (cols, rows) = self.grid();
        if area.w == 0 || area.h == 0 || cols == 0 {
            return false;
        }
        let (c0, r0) = (area.x as usize / TILE, area.y as usize / TILE);
        let c1 = ((area.x as usize + area.w as usize - 1) / TILE).min(cols - 1);
        let r1 = ((area.y as usize + area.h as usize - 1) / TILE).min(rows - 1);
        let (mut lossy, mut all) = (0, 0);
        for r in r0..=r1 {
            for c in c0..=c1 {
                all += 1;
                lossy += usize::from(self.motion.is_lossy(r * cols + c));
            }
        }
        lossy * 2 > all
    }

    /// Lossy pixels moved by a copy are still lossy where they land: mark those tiles so
    /// they are refreshed once still.
    fn carry_lossiness(&mut self, m: &crate::moves::VerticalMove, now: std::time::Instant) {
        let cols = self.grid().0;
        let src = Rect {
            y: m.src_y,
            ..m.rect
        };
        let tiles_of = |r: Rect| {
            let (c0, c1) = (
                r.x as usize / TILE,
                (r.x as usize + r.w as usize - 1) / TILE,
            );
            let (r0, r1) = (
                r.y as usize / TILE,
                (r.y as usize + r.h as usize - 1) / TILE,
            );
            (r0..=r1).flat_map(move |row| (c0..=c1).map(move |c| row * cols + c))
        };
        if tiles_of(src).any(|i| self.motion.is_lossy(i)) {
            for i in tiles_of(m.rect).collect::<Vec<_>>() {
                self.motion.sent_lossy(i, now);
            }
        }
    }

    /// Every tile of the last encoded frame: what a viewer that joins (or fell behind) needs.
    pub fn keyframe(&mut self) -> Vec<EncodedTile> {
        let (cols, rows) = self.grid();
        let mut out = Vec::with_capacity(cols * rows);
        for ty in 0..rows {
            for tx in 0..cols {
                let rect = self.tile_rect(tx, ty);
                out.push(self.encode_stored(rect));
            }
        }
        out
    }

    fn grid(&self) -> (usize, usize) {
        (
            (self.width as usize).div_ceil(TILE),
            (self.height as usize).div_ceil(TILE),
        )
    }

    fn mark(&self, dirty: &mut [bool], r: Rect) {
        let (cols, rows) = self.grid();
        if r.w == 0 || r.h == 0 || cols == 0 {
            return;
        }
        let x0 = (r.x as usize / TILE).min(cols);
        let y0 = (r.y as usize / TILE).min(rows);
        let x1 = ((r.x as usize + r.w as usize - 1) / TILE).min(cols - 1);
        let y1 = ((r.y as usize + r.h as usize - 1) / TILE).min(rows - 1);
        for ty in y0..=y1 {
            for tx in x0..=x1 {
                dirty[ty * cols + tx] = true;
            }
        }
    }

    fn tile_rect(&self, tx: usize, ty: usize) -> Rect {
        let x = tx * TILE;
        let y = ty * TILE;
        Rect {
            x: x as u16,
            y: y as u16,
            w: TILE.min(self.width as usize - x) as u16,
            h: TILE.min(self.height as usize - y) as u16,
        }
    }

    fn tile_differs(&self, frame: &FrameRef<'_>, r: Rect) -> bool {
        let pstride = self.width as usize * 4;
        let row_bytes = r.w as usize * 4;
        (r.y as usize..(r.y + r.h) as usize).any(|y| {
            let src = &frame.data[y * frame.stride + r.x as usize * 4..][..row_bytes];
            let old = &self.prev[y * pstride + r.x as usize * 4..][..row_bytes];
            src != old
        })
    }

    fn store_tile(&mut self, frame: &FrameRef<'_>, r: Rect) {
        let pstride = self.width as usize * 4;
        let row_bytes = r.w as usize * 4;
        for y in r.y as usize..(r.y + r.h) as usize {
            let src = &frame.data[y * frame.stride + r.x as usize * 4..][..row_bytes];
            self.prev[y * pstride + r.x as usize * 4..][..row_bytes].copy_from_slice(src);
        }
    }

    fn encode_stored(&mut self, r: Rect) -> EncodedTile {
        let pstride = self.width as usize * 4;
        self.scratch.clear();
        for y in r.y as usize..(r.y + r.h) as usize {
            let row = &self.prev[y * pstride + r.x as usize * 4..][..r.w as usize * 4];
            for px in row.chunks_exact(4) {
                self.scratch.extend_from_slice(&px[..3]);
            }
        }
        let first = [self.scratch[0], self.scratch[1], self.scratch[2]];
        let (encoding, data) = if self.scratch.chunks_exact(3).all(|p| p == first) {
            (TileEncoding::Solid, first.to_vec())
        } else {
            // Compressing a buffer into a fresh Vec only fails on allocation failure.
            let data = self
                .compressor
                .compress(&self.scratch)
                .expect("zstd compress");
            (TileEncoding::Zstd, data)
        };
        EncodedTile {
            x: r.x,
            y: r.y,
            w: r.w,
            h: r.h,
            encoding: encoding as u8,
            data,
        }
    }
}

/// The smallest rectangle holding all of `rects` (none for no rectangles).
pub fn bounding_box(rects: &[Rect]) -> Option<Rect> {
    let mut it = rects.iter().filter(|r| r.w > 0 && r.h > 0);
    let first = it.next()?;
    let (mut x0, mut y0) = (first.x as u32, first.y as u32);
    let (mut x1, mut y1) = (x0 + first.w as u32, y0 + first.h as u32);
    for r in it {
        x0 = x0.min(r.x as u32);
        y0 = y0.min(r.y as u32);
        x1 = x1.max(r.x as u32 + r.w as u32);
        y1 = y1.max(r.y as u32 + r.h as u32);
    }
    Some(Rect {
        x: x0 as u16,
        y: y0 as u16,
        w: (x1 - x0).min(u16::MAX as u32) as u16,
        h: (y1 - y0).min(u16::MAX as u32) as u16,
    })
}

/// Groups tiles into [`FrameUpdate`] messages of at most about [`CHUNK_BUDGET`] bytes each;
/// the last one has `last` set. Returns nothing for an empty update: unchanged screens cost
/// no bandwidth.
pub fn chunk_update(seq: u32, size: (u16, u16), tiles: Vec<EncodedTile>) -> Vec<FrameUpdate> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for t in tiles {
        let cost = t.data.len() + 13;
        if !current.is_empty() && bytes + cost > CHUNK_BUDGET {
            chunks.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += cost;
        current.push(t);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, tiles)| FrameUpdate {
            seq,
            width: size.0,
            height: size.1,
            last: i + 1 == n,
            tiles,
        })
        .collect()
}

#[cfg(test)]
#[path = "tiles_tests.rs"]
mod tests;
