//! Pure geometry of the session window: where the customer's picture sits inside the window
//! (aspect ratio kept, dark border around it) and how window positions map back to the
//! customer's screen. No winit, no pixels: everything here is plain arithmetic and tested.

/// A rectangle in window pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width, at least 1.
    pub w: u32,
    /// Height, at least 1.
    pub h: u32,
}

/// The largest rectangle with the aspect ratio of `src` that fits in `dst`, centred
/// (letterbox or pillarbox). `None` when either size is empty.
pub(crate) fn fit(src: (u32, u32), dst: (u32, u32)) -> Option<Rect> {
    let (sw, sh) = (u64::from(src.0), u64::from(src.1));
    let (dw, dh) = (u64::from(dst.0), u64::from(dst.1));
    if sw == 0 || sh == 0 || dw == 0 || dh == 0 {
        return None;
    }
    let (w, h) = if sw * dh >= sh * dw {
        // Limited by the width: bars above and below.
        (dw, (dw * sh / sw).max(1))
    } else {
        // Limited by the height: bars left and right.
        ((dh * sw / sh).max(1), dh)
    };
    // w <= dw and h <= dh, both of which came from u32.
    let (w, h) = (w as u32, h as u32);
    Some(Rect {
        x: (dst.0 - w) / 2,
        y: (dst.1 - h) / 2,
        w,
        h,
    })
}

/// Where the picture is and how big it is on the customer's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct View {
    /// The picture's rectangle in the window.
    pub rect: Rect,
    /// The customer's screen size.
    pub remote: (u16, u16),
}

impl View {
    /// The view of a `remote`-sized picture in a `window`-sized window, if both are non-empty.
    pub(crate) fn new(remote: (u16, u16), window: (u32, u32)) -> Option<View> {
        let rect = fit((u32::from(remote.0), u32::from(remote.1)), window)?;
        Some(View { rect, remote })
    }

    /// The customer's pixel under window position (`x`, `y`), or `None` in the border.
    pub(crate) fn to_remote(self, x: f64, y: f64) -> Option<(u16, u16)> {
        let px = x - f64::from(self.rect.x);
        let py = y - f64::from(self.rect.y);
        let inside = |p: f64, len: u32| p >= 0.0 && p < f64::from(len);
        if !(inside(px, self.rect.w) && inside(py, self.rect.h)) {
            return None;
        }
        Some(self.map(px, py))
    }

    /// Like [`View::to_remote`], but a position in the border goes to the nearest edge pixel
    /// (used while a button is held, so a drag can reach the edge of the customer's screen).
    pub(crate) fn to_remote_clamped(self, x: f64, y: f64) -> (u16, u16) {
        let clamp = |p: f64, len: u32| p.clamp(0.0, f64::from(len) - 1.0);
        let px = clamp(x - f64::from(self.rect.x), self.rect.w);
        let py = clamp(y - f64::from(self.rect.y), self.rect.h);
        self.map(px, py)
    }

    /// Maps an offset inside the rectangle (0 <= p <= len - 1) to a remote pixel: the first
    /// and last window pixels of the picture map to the first and last remote pixels, so the
    /// representative can reach every edge and corner of the customer's screen.
    fn map(self, px: f64, py: f64) -> (u16, u16) {
        let axis = |p: f64, len: u32, remote: u16| -> u16 {
            let last = f64::from(remote.saturating_sub(1));
            let r = if len > 1 {
                (p * last / f64::from(len - 1)).round()
            } else {
                0.0
            };
            // Clamped into 0..=last, so the cast is exact.
            r.clamp(0.0, last) as u16
        };
        (
            axis(px, self.rect.w, self.remote.0),
            axis(py, self.rect.h, self.remote.1),
        )
    }
}

/// The largest window size we open without asking.
pub(crate) const MAX_INITIAL: (u32, u32) = (1280, 800);

/// The first window size for a `picture`-sized picture: the picture itself if it fits, else
/// scaled down (aspect kept) to fit [`MAX_INITIAL`] and 80% of the monitor, if known.
pub(crate) fn initial_size(picture: (u32, u32), monitor: Option<(u32, u32)>) -> (u32, u32) {
    let mut cap = MAX_INITIAL;
    if let Some((mw, mh)) = monitor.filter(|&(w, h)| w > 0 && h > 0) {
        cap = (cap.0.min(mw * 4 / 5), cap.1.min(mh * 4 / 5));
    }
    if picture.0 <= cap.0 && picture.1 <= cap.1 {
        return (picture.0.max(1), picture.1.max(1));
    }
    fit(picture, cap).map_or(cap, |r| (r.w, r.h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(remote: (u16, u16), window: (u32, u32)) -> View {
        View::new(remote, window).expect("non-empty sizes")
    }

    #[test]
    fn full_hd_in_a_square_is_letterboxed() {
        let r = fit((1920, 1080), (1000, 1000)).expect("non-empty");
        assert_eq!(
            r,
            Rect {
                x: 0,
                y: 219,
                w: 1000,
                h: 562
            }
        );
    }

    #[test]
    fn tall_picture_in_a_wide_window_is_pillarboxed() {
        let r = fit((1080, 1920), (1000, 1000)).expect("non-empty");
        assert_eq!(
            r,
            Rect {
                x: 219,
                y: 0,
                w: 562,
                h: 1000
            }
        );
    }

    #[test]
    fn same_aspect_fills_the_window() {
        let r = fit((1920, 1080), (1280, 720)).expect("non-empty");
        assert_eq!(
            r,
            Rect {
                x: 0,
                y: 0,
                w: 1280,
                h: 720
            }
        );
    }

    #[test]
    fn empty_sizes_fit_nothing() {
        assert_eq!(fit((0, 1080), (100, 100)), None);
        assert_eq!(fit((1920, 1080), (100, 0)), None);
        assert_eq!(View::new((1920, 0), (100, 100)), None);
    }

    #[test]
    fn extreme_aspect_keeps_a_pixel() {
        let r = fit((10_000, 1), (100, 100)).expect("non-empty");
        assert_eq!((r.w, r.h), (100, 1));
    }

    #[test]
    fn window_centre_is_remote_centre() {
        let v = view((1920, 1080), (1000, 1000));
        assert_eq!(v.to_remote(500.0, 500.0), Some((960, 540)));
    }

    #[test]
    fn picture_corners_map_to_remote_corners() {
        let v = view((1920, 1080), (1000, 1000));
        assert_eq!(v.to_remote(0.0, 219.0), Some((0, 0)));
        assert_eq!(v.to_remote(999.0, 780.0), Some((1919, 1079)));
        assert_eq!(v.to_remote(998.0, 779.0), Some((1917, 1077)));
        assert_eq!(v.to_remote(999.99, 780.99), Some((1919, 1079)));
    }

    #[test]
    fn border_clicks_map_to_nothing() {
        let v = view((1920, 1080), (1000, 1000));
        assert_eq!(v.to_remote(500.0, 100.0), None);
        assert_eq!(v.to_remote(500.0, 218.9), None);
        assert_eq!(v.to_remote(500.0, 781.0), None);
        assert_eq!(v.to_remote(-1.0, 500.0), None);
        assert_eq!(v.to_remote(1000.0, 500.0), None);
    }

    #[test]
    fn clamped_mapping_sticks_to_the_edge() {
        let v = view((1920, 1080), (1000, 1000));
        assert_eq!(v.to_remote_clamped(500.0, 0.0), (960, 0));
        assert_eq!(v.to_remote_clamped(2000.0, 999.0), (1919, 1079));
        assert_eq!(v.to_remote_clamped(-50.0, 500.0), (0, 540));
    }

    #[test]
    fn one_to_one_maps_exactly() {
        let v = view((800, 600), (800, 600));
        for (x, y) in [(0, 0), (1, 1), (123, 456), (799, 599), (400, 300)] {
            assert_eq!(v.to_remote(f64::from(x), f64::from(y)), Some((x, y)));
        }
        assert_eq!(v.to_remote(800.0, 10.0), None);
    }

    #[test]
    fn one_to_one_with_border_is_offset_exactly() {
        let v = view((800, 600), (1000, 600));
        assert_eq!(
            v.rect,
            Rect {
                x: 100,
                y: 0,
                w: 800,
                h: 600
            }
        );
        assert_eq!(v.to_remote(100.0, 0.0), Some((0, 0)));
        assert_eq!(v.to_remote(537.0, 211.0), Some((437, 211)));
        assert_eq!(v.to_remote(99.0, 0.0), None);
    }

    #[test]
    fn initial_size_caps_and_keeps_aspect() {
        assert_eq!(initial_size((1920, 1080), None), (1280, 720));
        assert_eq!(initial_size((800, 600), None), (800, 600));
        assert_eq!(initial_size((1920, 1080), Some((1280, 800))), (1024, 576));
        assert_eq!(initial_size((1080, 1920), None), (450, 800));
        assert_eq!(initial_size((800, 600), Some((0, 0))), (800, 600));
    }
}
