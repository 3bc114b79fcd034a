//! Lossy coding for content in motion (video): rectangles of tiles that change frame after
//! frame and do not compress well losslessly travel as JPEG, through libjpeg-turbo — the
//! fastest JPEG codec there is (SIMD; about 2 ms to encode 1280×720 here, where the `image`
//! crate's encoder takes ~76 ms for 1080p), kept up by a large project, and present on every
//! platform (system package on Linux, vendored build elsewhere). JPEG rather than a video
//! codec: each rectangle stands alone, so a viewer that missed updates or joins late needs
//! no reference frame, and the rest of the pipeline (tiles, per-viewer merging, copies)
//! stays as it is. Once motion stops, the [`crate::tiles::TileEncoder`] sends the same
//! tiles losslessly again, so text is always exact at rest.

use crate::tiles::{Rect, TileError};

/// JPEG quality used for moving content. On ffmpeg's `testsrc2` at 1280×720 (the peerbench
/// clip) the viewer's picture stays above 32 dB PSNR at about 34 KB a frame, 1 MB/s at 30
/// fps; higher qualities cost more bytes than they buy in dB (see
/// `cargo bench -p tandem-protocol --bench codec`).
pub const DEFAULT_QUALITY: i32 = 60;

/// The bytes of a picture (`stride` bytes per row) from `rect`'s first pixel to its last.
fn region_bytes(stride: usize, rect: Rect) -> std::ops::Range<usize> {
    let start = rect.y as usize * stride + rect.x as usize * 4;
    start..start + (rect.h as usize).saturating_sub(1) * stride + rect.w as usize * 4
}

/// `rect` of a BGRX picture (`stride` bytes per row), as libjpeg-turbo's view of it.
fn bgrx_rect<T>(pixels: T, stride: usize, rect: Rect) -> turbojpeg::Image<T> {
    turbojpeg::Image {
        pixels,
        width: rect.w as usize,
        pitch: stride,
        height: rect.h as usize,
        format: turbojpeg::PixelFormat::BGRX,
    }
}

/// Encodes rectangles of a BGRX picture as JPEG.
pub struct JpegEncoder {
    compressor: turbojpeg::Compressor,
}

impl JpegEncoder {
    /// An encoder at `quality` (1–100), chroma subsampled 2×2 (video's own subsampling).
    pub fn new(quality: i32) -> Result<Self, TileError> {
        let mut compressor = turbojpeg::Compressor::new().map_err(|_| TileError::Codec)?;
        compressor.set_quality(quality.clamp(1, 100));
        compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2);
        Ok(JpegEncoder { compressor })
    }

    /// `rect` of `pixels` (packed BGRX, `stride` bytes per row) as a JPEG file.
    pub fn encode(
        &mut self,
        pixels: &[u8],
        stride: usize,
        rect: Rect,
    ) -> Result<Vec<u8>, TileError> {
        let region = pixels
            .get(region_bytes(stride, rect))
            .ok_or(TileError::BadFrame)?;
        self.compressor
            .compress_to_vec(bgrx_rect(region, stride, rect))
            .map_err(|_| TileError::Codec)
    }
}

/// Decodes a JPEG into `rect` of `pixels` (packed BGRX, `stride` bytes per row). The image
/// must be exactly the rectangle's size.
pub fn decode_into(
    decompressor: &mut turbojpeg::Decompressor,
    data: &[u8],
    pixels: &mut [u8],
    stride: usize,
    rect: Rect,
) -> Result<(), TileError> {
    let header = decompressor
        .read_header(data)
        .map_err(|_| TileError::Corrupt)?;
    if header.width != rect.w as usize || header.height != rect.h as usize {
        return Err(TileError::Corrupt);
    }
    let region = pixels
        .get_mut(region_bytes(stride, rect))
        .ok_or(TileError::Corrupt)?;
    decompressor
        .decompress(data, bgrx_rect(region, stride, rect))
        .map_err(|_| TileError::Corrupt)
}

/// Peak signal-to-noise ratio in dB between two same-sized BGRX pictures, over B, G and R
/// (infinite when equal): the quality figure the benchmarks report.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let (mut sum, mut n) = (0u64, 0u64);
    for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = i64::from(pa[c]) - i64::from(pb[c]);
            sum += (d * d) as u64;
            n += 1;
        }
    }
    if sum == 0 || n == 0 {
        return f64::INFINITY;
    }
    let mse = sum as f64 / n as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::tiles::{FrameBuffer, FrameRef, TileEncoder, TileEncoding};

    const W: u16 = 384;
    const H: u16 = 256;

    /// A smooth moving picture (video-like) in a 192×128 box at (32, 32) on a flat desktop,
    /// with grain so it compresses poorly losslessly.
    fn scene(t: u32) -> Vec<u8> {
        let mut px = vec![40u8; W as usize * H as usize * 4];
        let mut noise = 0x1234_5678u32 ^ t;
        for y in 32..160usize {
            for x in 32..224usize {
                noise ^= noise << 13;
                noise ^= noise >> 17;
                noise ^= noise << 5;
                let grain = (noise & 3) as u8;
                let p = &mut px[(y * W as usize + x) * 4..][..4];
                p[0] = ((x as u32 * 2 + t * 7) as u8).wrapping_add(grain);
                p[1] = ((y as u32 * 3 + t * 5) as u8).wrapping_add(grain);
                p[2] = (((x + y) as u32 + t * 3) as u8).wrapping_add(grain);
            }
        }
        px
    }

    fn frame(px: &[u8]) -> FrameRef<'_> {
        FrameRef::packed(W, H, px)
    }

    /// Equal pictures, the unused fourth byte aside.
    fn same_bgr(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len()
            && a.chunks_exact(4)
                .zip(b.chunks_exact(4))
                .all(|(p, q)| p[..3] == q[..3])
    }

    fn apply(fb: &mut FrameBuffer, tiles: Vec<crate::wire::EncodedTile>) {
        fb.apply_tiles(W, H, tiles).expect("applies");
    }

    #[test]
    fn moving_pictures_go_lossy_with_a_quality_floor_and_come_back_exact_when_still() {
        let t0 = Instant::now();
        let at = |i: u32| t0 + Duration::from_millis(33 * u64::from(i));
        let mut enc = TileEncoder::with_lossy(DEFAULT_QUALITY).expect("codec");
        let mut fb = FrameBuffer::default();
        let whole = [Rect {
            x: 0,
            y: 0,
            w: W,
            h: H,
        }];
        apply(
            &mut fb,
            enc.encode_at(frame(&scene(0)), None, at(0)).expect("first"),
        );
        let (mut lossy_bytes, mut jpegs) = (0, 0);
        for i in 1..=10 {
            let now = scene(i);
            let tiles = enc
                .encode_at(frame(&now), Some(&whole), at(i))
                .expect("encodes");
            for t in &tiles {
                if t.encoding == TileEncoding::Jpeg as u8 {
                    jpegs += 1;
                    lossy_bytes += t.data.len();
                }
            }
            apply(&mut fb, tiles);
            if i >= 3 {
                let q = psnr(fb.pixels(), &now);
                // Grain and hard wrap-around edges: a hard case for JPEG (real video does better).
                assert!(q > 27.0, "frame {i}: {q:.1} dB");
            }
        }
        assert!(jpegs >= 8, "the moving box went lossy ({jpegs} JPEGs)");
        assert!(lossy_bytes > 0);
        // The desktop around the box stayed exact all along.
        let still = scene(10);
        // Tile row 3 (y 192..256) never held moving content.
        let below = W as usize * 4 * 192;
        assert!(
            same_bgr(&fb.pixels()[below..], &still[below..]),
            "desktop exact"
        );
        assert!(!same_bgr(fb.pixels(), &still), "lossy while moving");

        assert!(enc.settle(at(11)).is_empty(), "not still long enough yet");
        let exact = enc.settle(at(10) + crate::motion::SETTLE);
        assert!(!exact.is_empty());
        assert!(exact.iter().all(|t| t.encoding != TileEncoding::Jpeg as u8));
        apply(&mut fb, exact);
        assert!(same_bgr(fb.pixels(), &still), "exact once still");
        assert!(enc.settle(at(60)).is_empty(), "nothing more to refresh");
    }

    #[test]
    fn text_that_changes_often_stays_lossless() {
        let t0 = Instant::now();
        let mut enc = TileEncoder::with_lossy(DEFAULT_QUALITY).expect("codec");
        let mut px = vec![255u8; W as usize * H as usize * 4];
        enc.encode_at(frame(&px), None, t0).expect("first");
        for i in 0..10u64 {
            // A "character" appears each frame: a few dark pixels on white.
            for d in 0..6 {
                let o = ((20 + d) * W as usize + 8 * i as usize + d) * 4;
                px[o..o + 3].copy_from_slice(&[0, 0, 0]);
            }
            let tiles = enc
                .encode_at(frame(&px), None, t0 + Duration::from_millis(30 * i))
                .expect("encodes");
            assert!(tiles.iter().all(|t| t.encoding != TileEncoding::Jpeg as u8));
        }
    }

    #[test]
    fn corrupt_or_misfitting_jpegs_are_refused() {
        let mut d = turbojpeg::Decompressor::new().expect("codec");
        let mut px = vec![0u8; 64 * 64 * 4];
        let rect = Rect {
            x: 0,
            y: 0,
            w: 32,
            h: 32,
        };
        assert_eq!(
            decode_into(&mut d, b"not a jpeg", &mut px, 256, rect),
            Err(TileError::Corrupt)
        );
        let mut enc = JpegEncoder::new(50).expect("codec");
        let jpeg = enc.encode(&px, 256, rect).expect("encodes");
        let other = Rect { w: 16, ..rect };
        assert_eq!(
            decode_into(&mut d, &jpeg, &mut px, 256, other),
            Err(TileError::Corrupt)
        );
        assert_eq!(decode_into(&mut d, &jpeg, &mut px, 256, rect), Ok(()));
    }
}
