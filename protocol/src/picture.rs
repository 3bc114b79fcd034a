//! The viewer's side of the screen codec: a picture that updates are applied to (copies
//! first, then solid, zstd and JPEG tiles), each tile checked against the picture's bounds.

use crate::tiles::{Rect, TileEncoding, TileError};
use crate::wire::{EncodedTile, FrameUpdate};

/// The viewer's picture: BGRX pixels (the byte order softbuffer and X11 use), stride
/// `width × 4`.
#[derive(Debug, Clone, Default)]
pub struct FrameBuffer {
    width: u16,
    height: u16,
    pixels: Vec<u8>,
}

impl FrameBuffer {
    /// Width in pixels.
    pub fn width(&self) -> u16 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u16 {
        self.height
    }
    /// BGRX pixels, row by row.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Applies one chunk; resizes (to black) when the screen size changed. A size beyond
    /// [`crate::wire::screen_size_allowed`] is refused before anything is allocated.
    pub fn apply_update(&mut self, u: &FrameUpdate) -> Result<(), TileError> {
        if !crate::wire::screen_size_allowed(u.width, u.height) {
            return Err(TileError::ScreenTooLarge(u.width, u.height));
        }
        if u.width != self.width || u.height != self.height {
            self.width = u.width;
            self.height = u.height;
            self.pixels = vec![0; u.width as usize * u.height as usize * 4];
        }
        let mut decompressor = zstd::bulk::Decompressor::new().map_err(|_| TileError::Corrupt)?;
        let mut jpeg = None;
        for t in &u.tiles {
            if t.encoding == TileEncoding::Jpeg as u8 {
                self.apply_jpeg(t, &mut jpeg)?;
            } else {
                self.apply_tile(t, &mut decompressor)?;
            }
        }
        Ok(())
    }

    /// Applies an encoder's tiles as one whole update of a `width`×`height` screen.
    #[cfg(test)]
    pub(crate) fn apply_tiles(
        &mut self,
        width: u16,
        height: u16,
        tiles: Vec<EncodedTile>,
    ) -> Result<(), TileError> {
        self.apply_update(&FrameUpdate {
            seq: 1,
            width,
            height,
            last: true,
            tiles,
        })
    }

    /// The tile's rectangle, if it is not empty and lies inside the picture.
    fn placed(&self, t: &EncodedTile) -> Result<Rect, TileError> {
        let rect = Rect {
            x: t.x,
            y: t.y,
            w: t.w,
            h: t.h,
        };
        if t.x as usize + t.w as usize > self.width as usize
            || t.y as usize + t.h as usize > self.height as usize
            || t.w == 0
            || t.h == 0
        {
            return Err(TileError::OutOfBounds(rect, self.width, self.height));
        }
        Ok(rect)
    }

    fn apply_jpeg(
        &mut self,
        t: &EncodedTile,
        decompressor: &mut Option<turbojpeg::Decompressor>,
    ) -> Result<(), TileError> {
        let rect = self.placed(t)?;
        let d = match decompressor {
            Some(d) => d,
            None => {
                decompressor.insert(turbojpeg::Decompressor::new().map_err(|_| TileError::Codec)?)
            }
        };
        let stride = self.width as usize * 4;
        crate::lossy::decode_into(d, &t.data, &mut self.pixels, stride, rect)?;
        // The codec fills the unused byte with 255; every other path leaves 0.
        for y in t.y as usize..(t.y + t.h) as usize {
            let row = &mut self.pixels[y * stride + t.x as usize * 4..][..t.w as usize * 4];
            row.chunks_exact_mut(4).for_each(|p| p[3] = 0);
        }
        Ok(())
    }

    fn apply_tile(
        &mut self,
        t: &EncodedTile,
        decompressor: &mut zstd::bulk::Decompressor<'_>,
    ) -> Result<(), TileError> {
        let rect = self.placed(t)?;
        let stride = self.width as usize * 4;
        let expected = t.w as usize * t.h as usize * 3;
        let write_row = |pixels: &mut [u8], y: usize, src: &mut dyn Iterator<Item = [u8; 3]>| {
            let row =
                &mut pixels[(t.y as usize + y) * stride + t.x as usize * 4..][..t.w as usize * 4];
            for (dst, p) in row.chunks_exact_mut(4).zip(src) {
                dst[..3].copy_from_slice(&p);
                dst[3] = 0;
            }
        };
        if t.encoding == TileEncoding::Solid as u8 {
            let [b, g, r] =
                <[u8; 3]>::try_from(t.data.as_slice()).map_err(|_| TileError::Corrupt)?;
            for y in 0..t.h as usize {
                write_row(&mut self.pixels, y, &mut std::iter::repeat([b, g, r]));
            }
        } else if t.encoding == TileEncoding::Copy as u8 {
            let [sx0, sx1, sy0, sy1] =
                <[u8; 4]>::try_from(t.data.as_slice()).map_err(|_| TileError::Corrupt)?;
            let (sx, sy) = (
                u16::from_le_bytes([sx0, sx1]),
                u16::from_le_bytes([sy0, sy1]),
            );
            if sx != t.x {
                return Err(TileError::Corrupt);
            }
            let m = crate::moves::VerticalMove { rect, src_y: sy };
            if !crate::moves::apply_vertical_move(&mut self.pixels, stride, self.height, &m) {
                return Err(TileError::OutOfBounds(rect, self.width, self.height));
            }
        } else if t.encoding == TileEncoding::Zstd as u8 {
            let raw = decompressor
                .decompress(&t.data, expected)
                .map_err(|_| TileError::Corrupt)?;
            if raw.len() != expected {
                return Err(TileError::Corrupt);
            }
            for (y, row) in raw.chunks_exact(t.w as usize * 3).enumerate() {
                write_row(
                    &mut self.pixels,
                    y,
                    &mut row.chunks_exact(3).map(|p| [p[0], p[1], p[2]]),
                );
            }
        } else {
            return Err(TileError::UnknownEncoding(t.encoding));
        }
        Ok(())
    }
}
