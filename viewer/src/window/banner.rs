//! What the window draws over the picture, in a system font through cosmic-text (the text
//! engine the project's GUI toolkit already builds):
//! - a message while the picture cannot be current (the link dropped and waits for the
//!   customer's machine, or the machine restarts): the picture is dimmed (it is the last one
//!   seen, not what is on the customer's screen now) and the message is in a box in the middle;
//! - buttons, such as "Ask for control" while the representative may not control.

use cosmic_text::{Attrs, Buffer, Color, FontSystem, Metrics, Shaping, SwashCache};

const FONT_SIZE: f32 = 18.0;
const LINE_HEIGHT: f32 = 24.0;
const PADDING: u32 = 18;
const BOX_WIDTH: u32 = 560;
const BOX: u32 = 0x0020_2020;
const EDGE: u32 = 0x00e0_a000;

/// Darkens a pixel to half: the picture stays recognisable but plainly not live.
fn dim(p: u32) -> u32 {
    (p >> 1) & 0x007f_7f7f
}

/// A rectangle of the window, in window pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Area {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) w: u32,
    pub(crate) h: u32,
}

impl Area {
    /// Whether the window point (`x`, `y`) is inside.
    pub(crate) fn contains(self, x: f64, y: f64) -> bool {
        x >= f64::from(self.x)
            && y >= f64::from(self.y)
            && x < f64::from(self.x + self.w)
            && y < f64::from(self.y + self.h)
    }
}

/// The button in the window's top right corner for a window of `win` pixels (none when the
/// window is too small to hold it beside some picture).
pub(crate) fn corner_button(win: (u32, u32)) -> Option<Area> {
    let (w, h) = (200, 36);
    (win.0 >= 2 * w && win.1 >= 3 * h).then(|| Area {
        x: win.0 - w - 8,
        y: 8,
        w,
        h,
    })
}

/// Lays out and draws text over the picture; fonts are loaded once, when first needed.
pub(crate) struct BannerText {
    fonts: FontSystem,
    cache: SwashCache,
}

impl BannerText {
    pub(crate) fn new() -> BannerText {
        BannerText {
            fonts: FontSystem::new(),
            cache: SwashCache::new(),
        }
    }

    /// Dims the `win`-sized buffer `out` and draws `text` in a box in its middle.
    pub(crate) fn draw(&mut self, out: &mut [u32], win: (u32, u32), text: &str) {
        let (w, h) = win;
        if out.len() < (w as usize) * (h as usize) || w < 2 * PADDING || h < 2 * PADDING {
            return;
        }
        for p in out.iter_mut() {
            *p = dim(*p);
        }
        let box_w = BOX_WIDTH.min(w.saturating_sub(16)).max(2 * PADDING + 1);
        let text_w = box_w - 2 * PADDING;
        let mut layout = Buffer::new(&mut self.fonts, Metrics::new(FONT_SIZE, LINE_HEIGHT));
        layout.set_size(&mut self.fonts, Some(text_w as f32), None);
        layout.set_text(
            &mut self.fonts,
            text,
            &Attrs::new(),
            Shaping::Advanced,
            None,
        );
        layout.shape_until_scroll(&mut self.fonts, false);
        let lines = layout.layout_runs().count().max(1) as u32;
        let box_h = (lines * LINE_HEIGHT as u32 + 2 * PADDING).min(h);
        let (x0, y0) = ((w - box_w) / 2, (h - box_h) / 2);
        for y in y0..y0 + box_h {
            for x in x0..x0 + box_w {
                let edge = y < y0 + 2 || y >= y0 + box_h - 2 || x < x0 + 2 || x >= x0 + box_w - 2;
                out[(y * w + x) as usize] = if edge { EDGE } else { BOX };
            }
        }
        self.text(out, win, &layout, (x0 + PADDING, y0 + PADDING));
    }

    /// A filled button with `label` centred in it.
    pub(crate) fn button(
        &mut self,
        out: &mut [u32],
        win: (u32, u32),
        at: Area,
        label: &str,
        fill: u32,
    ) {
        let (w, h) = win;
        if out.len() < (w as usize) * (h as usize) || at.x + at.w > w || at.y + at.h > h {
            return;
        }
        for y in at.y..at.y + at.h {
            let row = (y * w) as usize;
            out[row + at.x as usize..row + (at.x + at.w) as usize].fill(fill);
        }
        let mut layout = Buffer::new(&mut self.fonts, Metrics::new(16.0, 20.0));
        layout.set_size(&mut self.fonts, None, None);
        layout.set_text(
            &mut self.fonts,
            label,
            &Attrs::new(),
            Shaping::Advanced,
            None,
        );
        layout.shape_until_scroll(&mut self.fonts, false);
        let width = layout
            .layout_runs()
            .map(|r| r.line_w)
            .fold(0.0f32, f32::max) as u32;
        let x = at.x + at.w.saturating_sub(width) / 2;
        let y = at.y + at.h.saturating_sub(20) / 2;
        self.text(out, win, &layout, (x, y));
    }

    /// Draws laid-out text in white with its top left at `origin`, clipped to the window.
    fn text(&mut self, out: &mut [u32], win: (u32, u32), layout: &Buffer, origin: (u32, u32)) {
        let (w, h) = win;
        let (tx, ty) = (origin.0 as i32, origin.1 as i32);
        let white = Color::rgb(0xff, 0xff, 0xff);
        layout.draw(
            &mut self.fonts,
            &mut self.cache,
            white,
            |gx, gy, gw, gh, color| {
                let alpha = u32::from(color.a());
                if alpha == 0 {
                    return;
                }
                for dy in 0..gh as i32 {
                    for dx in 0..gw as i32 {
                        let (x, y) = (tx + gx + dx, ty + gy + dy);
                        if x < 0 || y < 0 || x as u32 >= w || y as u32 >= h {
                            continue;
                        }
                        let at = (y as u32 * w + x as u32) as usize;
                        out[at] = blend(out[at], color, alpha);
                    }
                }
            },
        );
    }
}

/// `color` over `under` with `alpha` out of 255.
fn blend(under: u32, color: Color, alpha: u32) -> u32 {
    let mix = |shift: u32, c: u8| {
        let u = (under >> shift) & 0xff;
        ((u32::from(c) * alpha + u * (255 - alpha)) / 255) << shift
    };
    mix(16, color.r()) | mix(8, color.g()) | mix(0, color.b())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimming_halves_every_channel() {
        assert_eq!(dim(0x00ff_8040), 0x007f_4020);
        assert_eq!(dim(0x0000_0001), 0);
    }

    #[test]
    fn blending_ends_and_middle() {
        let white = Color::rgb(255, 255, 255);
        assert_eq!(blend(0x0000_0000, white, 255), 0x00ff_ffff);
        assert_eq!(blend(0x0012_3456, white, 0), 0x0012_3456);
        assert_eq!(blend(0, white, 128), 0x0080_8080);
    }

    #[test]
    fn a_too_small_buffer_is_left_alone() {
        let mut out = vec![0x00ff_ffff; 10];
        BannerText::new().draw(&mut out, (100, 100), "lost");
        assert!(out.iter().all(|p| *p == 0x00ff_ffff));
    }
}
