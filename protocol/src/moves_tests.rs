use super::*;
use crate::tiles::{FrameBuffer, TileEncoder, is_copy};

const W: u16 = 320;
const H: u16 = 240;

/// A picture of distinct text-like rows: each row a pattern from its "line number".
fn page(first_line: u32) -> Vec<u8> {
    let mut px = vec![0u8; W as usize * H as usize * 4];
    for y in 0..H as usize {
        let line = first_line + y as u32;
        for x in 0..W as usize {
            let v = (line.wrapping_mul(2_654_435_761) >> (x % 24)) as u8 ^ (x as u8 / 7);
            let p = &mut px[(y * W as usize + x) * 4..][..4];
            p.copy_from_slice(&[v, v.wrapping_mul(3), 200, 0]);
        }
    }
    px
}

fn frame(px: &[u8]) -> FrameRef<'_> {
    FrameRef::packed(W, H, px)
}

/// `base` with rows area.y.. of the region taken from `other` (a scrolled region in a
/// screen that stays put around it).
fn with_region(base: &[u8], other: &[u8], area: Rect) -> Vec<u8> {
    let mut out = base.to_vec();
    let s = W as usize * 4;
    for y in area.y as usize..(area.y + area.h) as usize {
        let (a, b) = (
            y * s + area.x as usize * 4,
            y * s + (area.x + area.w) as usize * 4,
        );
        out[a..b].copy_from_slice(&other[a..b]);
    }
    out
}

const AREA: Rect = Rect {
    x: 32,
    y: 16,
    w: 256,
    h: 200,
};

#[test]
fn a_scrolled_region_is_found_and_applying_it_reproduces_the_rows() {
    let desk = page(10_000);
    let before = with_region(&desk, &page(0), AREA);
    let after = with_region(&desk, &page(13), AREA);
    let m = find_vertical_move(&before, W as usize * 4, &frame(&after), AREA).expect("a move");
    assert_eq!(m.src_y, m.rect.y + 13, "content moved up 13 rows");
    assert_eq!((m.rect.x, m.rect.w), (AREA.x, AREA.w));
    assert_eq!((m.rect.y, m.rect.h), (AREA.y, AREA.h - 13));
    let mut moved = before.clone();
    assert!(apply_vertical_move(&mut moved, W as usize * 4, H, &m));
    let s = W as usize * 4;
    for y in m.rect.y as usize..(m.rect.y + m.rect.h) as usize {
        let cols = y * s + AREA.x as usize * 4..y * s + (AREA.x + AREA.w) as usize * 4;
        assert_eq!(moved[cols.clone()], after[cols], "row {y}");
    }
}

#[test]
fn scrolling_down_is_found_too() {
    let desk = page(10_000);
    let before = with_region(&desk, &page(50), AREA);
    let after = with_region(&desk, &page(30), AREA);
    let m = find_vertical_move(&before, W as usize * 4, &frame(&after), AREA).expect("a move");
    assert_eq!(m.rect.y, m.src_y + 20);
}

#[test]
fn unmoved_or_replaced_content_gives_no_move() {
    let a = page(0);
    assert_eq!(
        find_vertical_move(&a, W as usize * 4, &frame(&a), AREA),
        None
    );
    let b = page(5_000);
    assert_eq!(
        find_vertical_move(&a, W as usize * 4, &frame(&b), AREA),
        None
    );
    // Too small an area, or one outside the frame.
    let tiny = Rect { h: 8, ..AREA };
    assert_eq!(
        find_vertical_move(&a, W as usize * 4, &frame(&page(3)), tiny),
        None
    );
    let outside = Rect { y: 100, ..AREA };
    assert_eq!(
        find_vertical_move(&a, W as usize * 4, &frame(&page(3)), outside),
        None
    );
}

#[test]
fn moves_that_do_not_fit_are_refused_untouched() {
    let mut px = page(0);
    let copy = px.clone();
    let m = VerticalMove {
        rect: Rect {
            x: 0,
            y: 0,
            w: W,
            h: 100,
        },
        src_y: H - 50,
    };
    assert!(!apply_vertical_move(&mut px, W as usize * 4, H, &m));
    let wide = VerticalMove {
        rect: Rect { w: W + 1, ..m.rect },
        src_y: 10,
    };
    assert!(!apply_vertical_move(&mut px, W as usize * 4, H, &wide));
    assert_eq!(px, copy);
}

#[test]
fn the_encoder_sends_a_scroll_as_a_copy_plus_new_rows_and_stays_pixel_exact() {
    let desk = page(10_000);
    let mut enc = TileEncoder::new();
    let mut fb = FrameBuffer::default();
    let apply = |fb: &mut FrameBuffer, tiles| fb.apply_tiles(W, H, tiles).expect("applies");
    let first = with_region(&desk, &page(0), AREA);
    apply(&mut fb, enc.encode(frame(&first), None).expect("encodes"));
    let mut bytes_with_moves = 0;
    let mut plain = TileEncoder::new();
    plain.encode(frame(&first), None).expect("encodes");
    let mut bytes_without = 0;
    for step in 1..=5u32 {
        let next = with_region(&desk, &page(step * 17), AREA);
        let tiles = enc.encode(frame(&next), Some(&[AREA])).expect("encodes");
        assert!(is_copy(&tiles[0]), "the copy comes first");
        // Pinned: source x, then source y, little-endian.
        let [x, y] = [AREA.x.to_le_bytes(), (tiles[0].y + 17).to_le_bytes()];
        assert_eq!(tiles[0].data, [x[0], x[1], y[0], y[1]]);
        assert!(tiles.iter().skip(1).all(|t| !is_copy(t)));
        bytes_with_moves += tiles.iter().map(|t| t.data.len()).sum::<usize>();
        apply(&mut fb, tiles);
        assert_eq!(fb.pixels(), &next[..], "pixel-exact after step {step}");
        // The same frames without damage information (so without move detection).
        bytes_without += plain
            .encode(frame(&next), None)
            .expect("encodes")
            .iter()
            .map(|t| t.data.len())
            .sum::<usize>();
    }
    assert!(
        bytes_with_moves * 3 < bytes_without,
        "{bytes_with_moves} B with moves vs {bytes_without} B without"
    );
}
