//! Software scaling of the customer's picture into the window buffer.
//!
//! Pixels are `u32` as softbuffer wants them: `0x00RRGGBB`. Bilinear filtering with 8-bit
//! fixed-point weights; the source positions and weights of every column and row are computed
//! once per (picture size, window size), so drawing a frame does no divisions. Red and blue are
//! interpolated together in one `u32` (`0x00RR00BB`), green on its own.

use super::scale::Rect;

/// Colour of the letterbox border.
pub(crate) const BORDER: u32 = 0x0018_1818;
/// Colour of the window before the first picture arrives.
pub(crate) const WAITING: u32 = 0x0030_3030;

/// One BGRX pixel (B, G, R, unused) as `0xXXRRGGBB`; callers mask the spare byte away.
#[inline(always)]
fn raw(p: &[u8]) -> u32 {
    u32::from_le_bytes([p[0], p[1], p[2], p[3]])
}

/// One output column (or row): the two source pixels it blends and the weight of the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tap {
    a: usize,
    b: usize,
    /// Weight of `b` out of 256.
    w: u32,
}

/// Taps for scaling `src` source pixels to `dst` output pixels (both non-zero), sampling at
/// pixel centres.
fn taps(src: u32, dst: u32) -> Vec<Tap> {
    let last = src.saturating_sub(1) as usize;
    if src == dst {
        return (0..src as usize)
            .map(|i| Tap { a: i, b: i, w: 0 })
            .collect();
    }
    let ratio = f64::from(src) / f64::from(dst);
    (0..dst)
        .map(|d| {
            let s = ((f64::from(d) + 0.5) * ratio - 0.5).clamp(0.0, last as f64);
            // s is in 0..=last, so both casts are exact.
            let a = s.floor() as usize;
            let w = ((s - s.floor()) * 256.0).round() as u32;
            Tap {
                a,
                b: (a + 1).min(last),
                w,
            }
        })
        .collect()
}

/// Blends two pixels: `w` out of 256 of `b`, the rest of `a`.
#[inline(always)]
fn lerp(a: u32, b: u32, w: u32) -> u32 {
    let v = 256 - w;
    let rb = (((a & 0x00ff_00ff) * v + (b & 0x00ff_00ff) * w) >> 8) & 0x00ff_00ff;
    let g = (((a & 0x0000_ff00) * v + (b & 0x0000_ff00) * w) >> 8) & 0x0000_ff00;
    rb | g
}

/// A precomputed scaling from one picture size to one rectangle of one window size.
#[derive(Debug)]
pub(crate) struct Scaler {
    src: (u32, u32),
    window: (u32, u32),
    rect: Rect,
    cols: Vec<Tap>,
    rows: Vec<Tap>,
}

impl Scaler {
    /// Scales a `src` picture into `rect` of a `window`-sized buffer. `rect` must lie inside the
    /// window (as [`super::scale::fit`] guarantees) and sizes must be non-zero.
    pub(crate) fn new(src: (u32, u32), window: (u32, u32), rect: Rect) -> Scaler {
        Scaler {
            src,
            window,
            rect,
            cols: taps(src.0, rect.w),
            rows: taps(src.1, rect.h),
        }
    }

    /// Whether this scaler was built for these sizes.
    pub(crate) fn fits(&self, src: (u32, u32), window: (u32, u32)) -> bool {
        self.src == src && self.window == window
    }

    /// Draws `bgrx` (the whole picture: B, G, R, unused; stride = width * 4) into `out` (the
    /// whole window buffer) with a border around it. Does nothing if either slice is too short
    /// for the sizes or the rectangle does not fit in the window.
    pub(crate) fn draw(&self, bgrx: &[u8], out: &mut [u32]) {
        let (sw, sh) = (self.src.0 as usize, self.src.1 as usize);
        let (ww, wh) = (self.window.0 as usize, self.window.1 as usize);
        let (x, y) = (self.rect.x as usize, self.rect.y as usize);
        let (w, h) = (self.rect.w as usize, self.rect.h as usize);
        if bgrx.len() < sw * sh * 4 || out.len() < ww * wh || x + w > ww || y + h > wh {
            return;
        }
        let out = &mut out[..ww * wh];
        out[..y * ww].fill(BORDER);
        out[(y + h) * ww..].fill(BORDER);
        let one_to_one = w == sw && h == sh;
        // Source rows are blended first (contiguous, so the compiler vectorises it) into `row`,
        // then each output pixel blends two neighbours of that row.
        let mut blended = vec![0u32; sw];
        for (line, tap) in out[y * ww..(y + h) * ww]
            .chunks_exact_mut(ww)
            .zip(&self.rows)
        {
            line[..x].fill(BORDER);
            line[x + w..].fill(BORDER);
            let dst = &mut line[x..x + w];
            let top = bgrx[tap.a * sw * 4..][..sw * 4].chunks_exact(4);
            if one_to_one {
                for (d, p) in dst.iter_mut().zip(top) {
                    *d = raw(p) & 0x00ff_ffff;
                }
                continue;
            }
            let bottom = bgrx[tap.b * sw * 4..][..sw * 4].chunks_exact(4);
            for ((m, t), b) in blended.iter_mut().zip(top).zip(bottom) {
                *m = lerp(raw(t), raw(b), tap.w);
            }
            for (d, c) in dst.iter_mut().zip(&self.cols) {
                *d = lerp(blended[c.a], blended[c.b], c.w);
            }
        }
    }
}

/// Draws `cursor` over `buffer` (0RGB words, `size` = width × height) with its hot spot at
/// `at` (window pixels), blending its premultiplied alpha; parts outside are clipped.
pub(crate) fn draw_cursor(
    buffer: &mut [u32],
    size: (u32, u32),
    cursor: &super::CursorPicture,
    at: (i64, i64),
) {
    let (w, h) = (i64::from(cursor.width), i64::from(cursor.height));
    let (x0, y0) = (
        at.0 - i64::from(cursor.hot_x),
        at.1 - i64::from(cursor.hot_y),
    );
    for cy in 0..h {
        let y = y0 + cy;
        if y < 0 || y >= i64::from(size.1) {
            continue;
        }
        for cx in 0..w {
            let x = x0 + cx;
            if x < 0 || x >= i64::from(size.0) {
                continue;
            }
            let Some(px) = cursor
                .bgra
                .get(((cy * w + cx) * 4) as usize..((cy * w + cx) * 4 + 4) as usize)
            else {
                return;
            };
            let Some(dst) = buffer.get_mut((y * i64::from(size.0) + x) as usize) else {
                return;
            };
            let keep = 255 - u32::from(px[3]);
            let blend = |src: u8, shift: u32| {
                let d = (*dst >> shift) & 0xff;
                (u32::from(src) + d * keep / 255).min(255) << shift
            };
            *dst = blend(px[2], 16) | blend(px[1], 8) | blend(px[0], 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::scale::fit;
    use super::*;
    use std::time::Instant;

    fn scaler(src: (u32, u32), window: (u32, u32)) -> Scaler {
        Scaler::new(src, window, fit(src, window).expect("non-empty"))
    }

    /// BGRX bytes of `0x00RRGGBB` pixels, with the spare byte set to make sure it is ignored.
    fn bgrx(pixels: &[u32]) -> Vec<u8> {
        pixels
            .iter()
            .flat_map(|p| (p | 0xff00_0000).to_le_bytes())
            .collect()
    }

    #[test]
    fn raw_reads_bgrx() {
        assert_eq!(raw(&[0x11, 0x22, 0x33, 0xff]), 0xff33_2211);
        assert_eq!(lerp(0xff33_2211, 0xff33_2211, 100), 0x0033_2211);
    }

    #[test]
    fn lerp_ends_and_middle() {
        assert_eq!(lerp(0x00ff_80ff, 0, 0), 0x00ff_80ff);
        assert_eq!(lerp(0, 0x00ff_ffff, 256), 0x00ff_ffff);
        assert_eq!(lerp(0x0000_0000, 0x00ff_ffff, 128), 0x007f_7f7f);
    }

    #[test]
    fn taps_stay_inside_the_source() {
        for (src, dst) in [
            (1920, 1280),
            (1080, 562),
            (3, 1000),
            (1000, 3),
            (1, 7),
            (7, 1),
        ] {
            let t = taps(src, dst);
            assert_eq!(t.len(), dst as usize);
            assert!(
                t.iter()
                    .all(|t| t.a < src as usize && t.b < src as usize && t.w <= 256)
            );
        }
        // Halving samples exactly between two source pixels.
        assert_eq!(
            taps(4, 2),
            vec![Tap { a: 0, b: 1, w: 128 }, Tap { a: 2, b: 3, w: 128 }]
        );
    }

    #[test]
    fn one_to_one_copies_and_borders() {
        let pixels = bgrx(&[0, 1, 2, 3, 4, 5]);
        let mut out = vec![0xdead; 4 * 4];
        let rect = Rect {
            x: 0,
            y: 1,
            w: 3,
            h: 2,
        };
        Scaler::new((3, 2), (4, 4), rect).draw(&pixels, &mut out);
        let b = BORDER;
        #[rustfmt::skip]
        assert_eq!(out, vec![
            b, b, b, b,
            0, 1, 2, b,
            3, 4, 5, b,
            b, b, b, b,
        ]);
    }

    #[test]
    fn downscale_averages() {
        let pixels = bgrx(&[0, 0x00ff_ffff, 0, 0x00ff_ffff]);
        let mut out = vec![0; 2];
        scaler((4, 1), (2, 1)).draw(&pixels, &mut out);
        assert_eq!(out, vec![0x007f_7f7f, 0x007f_7f7f]);
    }

    #[test]
    fn uniform_picture_stays_uniform_when_scaled() {
        let pixels = bgrx(&vec![0x0012_3456; 1920 * 1080]);
        let mut out = vec![0; 1000 * 1000];
        scaler((1920, 1080), (1000, 1000)).draw(&pixels, &mut out);
        assert_eq!(out[500 * 1000 + 500], 0x0012_3456);
        assert_eq!(out[219 * 1000], 0x0012_3456);
        assert_eq!(out[218 * 1000], BORDER);
        assert_eq!(out[781 * 1000 + 999], BORDER);
        assert_eq!(
            out.iter().filter(|&&p| p == 0x0012_3456).count(),
            1000 * 562
        );
    }

    #[test]
    fn short_buffers_draw_nothing() {
        let mut out = vec![1; 4];
        scaler((2, 2), (2, 2)).draw(&[0; 15], &mut out);
        assert_eq!(out, vec![1; 4]);
        let outside = Rect {
            x: 1,
            y: 0,
            w: 2,
            h: 2,
        };
        Scaler::new((2, 2), (2, 2), outside).draw(&[0; 16], &mut out);
        assert_eq!(out, vec![1; 4]);
    }

    /// Timing: `cargo test -p tandem-viewer --release --lib window::render -- --ignored
    /// --nocapture`, or compile this file's tests alone with `rustc -O --test`.
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn time_full_hd_to_720p() {
        let bgrx: Vec<u8> = (0..1920 * 1080 * 4).map(|i| (i % 251) as u8).collect();
        let s = scaler((1920, 1080), (1280, 720));
        let mut out = vec![0; 1280 * 720];
        let frames = 100;
        let start = Instant::now();
        for _ in 0..frames {
            s.draw(&bgrx, &mut out);
        }
        let draw = start.elapsed() / frames;
        let one = scaler((1920, 1080), (1920, 1080));
        let mut full = vec![0; 1920 * 1080];
        let start = Instant::now();
        for _ in 0..frames {
            one.draw(&bgrx, &mut full);
        }
        let copy = start.elapsed() / frames;
        println!("1920x1080 -> 1280x720: {draw:?} per frame; 1920x1080 1:1: {copy:?} per frame");
    }
}
