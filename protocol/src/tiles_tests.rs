use super::*;

/// A deterministic noisy test picture.
fn picture(w: u16, h: u16, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut v = Vec::with_capacity(w as usize * h as usize * 4);
    for i in 0..(w as usize * h as usize) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let smooth = (i % 97) as u8;
        v.extend_from_slice(&[smooth, (state & 0xff) as u8, smooth.wrapping_mul(3), 0]);
    }
    v
}

fn decode_all(fb: &mut FrameBuffer, size: (u16, u16), tiles: Vec<EncodedTile>) {
    for chunk in chunk_update(1, size, tiles) {
        fb.apply_update(&chunk).expect("applies");
    }
}

#[test]
fn first_frame_round_trips_pixel_exact_with_odd_sizes() {
    let (w, h) = (130, 70); // not multiples of the tile size
    let pic = picture(w, h, 1);
    let mut enc = TileEncoder::new();
    let tiles = enc
        .encode(FrameRef::packed(w, h, &pic), None)
        .expect("encodes");
    assert_eq!(tiles.len(), 3 * 2);
    let mut fb = FrameBuffer::default();
    decode_all(&mut fb, (w, h), tiles);
    assert_eq!(fb.pixels(), &pic[..]);
}

#[test]
fn only_changed_tiles_are_sent_and_result_is_exact() {
    let (w, h) = (256, 192);
    let a = picture(w, h, 1);
    let mut b = a.clone();
    // change one pixel in tile (2,1)
    let off = (70 * w as usize + 150) * 4;
    b[off] ^= 0xff;
    let mut enc = TileEncoder::new();
    let mut fb = FrameBuffer::default();
    decode_all(
        &mut fb,
        (w, h),
        enc.encode(FrameRef::packed(w, h, &a), None)
            .expect("encodes"),
    );
    let delta = enc
        .encode(FrameRef::packed(w, h, &b), None)
        .expect("encodes");
    assert_eq!(delta.len(), 1);
    assert_eq!((delta[0].x, delta[0].y), (128, 64));
    decode_all(&mut fb, (w, h), delta);
    assert_eq!(fb.pixels(), &b[..]);
    // unchanged frame: nothing at all
    assert!(
        enc.encode(FrameRef::packed(w, h, &b), None)
            .expect("encodes")
            .is_empty()
    );
    assert!(chunk_update(3, (w, h), vec![]).is_empty());
}

#[test]
fn damage_limits_the_comparison() {
    let (w, h) = (256, 128);
    let a = picture(w, h, 1);
    let b = picture(w, h, 2);
    let mut enc = TileEncoder::new();
    enc.encode(FrameRef::packed(w, h, &a), None)
        .expect("encodes");
    let damage = [Rect {
        x: 10,
        y: 10,
        w: 60,
        h: 5,
    }];
    let delta = enc
        .encode(FrameRef::packed(w, h, &b), Some(&damage))
        .expect("encodes");
    // the rect spans tiles (0,0) and (1,0)
    assert_eq!(delta.len(), 2);
}

#[test]
fn solid_tiles_are_tiny_and_exact() {
    let (w, h) = (128, 64);
    let pic: Vec<u8> = std::iter::repeat_n([10u8, 20, 30, 0], w as usize * h as usize)
        .flatten()
        .collect();
    let mut enc = TileEncoder::new();
    let tiles = enc
        .encode(FrameRef::packed(w, h, &pic), None)
        .expect("encodes");
    assert!(
        tiles
            .iter()
            .all(|t| t.encoding == TileEncoding::Solid as u8 && t.data.len() == 3)
    );
    let mut fb = FrameBuffer::default();
    decode_all(&mut fb, (w, h), tiles);
    assert_eq!(fb.pixels(), &pic[..]);
}

#[test]
fn padded_stride_is_honoured_and_x_byte_ignored() {
    let (w, h) = (70, 3);
    let stride = 80 * 4;
    let mut padded = vec![0xee; stride * h as usize];
    let pic = picture(w, h, 5);
    for y in 0..h as usize {
        padded[y * stride..][..w as usize * 4]
            .copy_from_slice(&pic[y * w as usize * 4..][..w as usize * 4]);
    }
    let mut enc = TileEncoder::new();
    let tiles = enc
        .encode(
            FrameRef {
                width: w,
                height: h,
                stride,
                data: &padded,
            },
            None,
        )
        .expect("encodes");
    let mut fb = FrameBuffer::default();
    decode_all(&mut fb, (w, h), tiles);
    assert_eq!(fb.pixels(), &pic[..]);
}

#[test]
fn keyframe_reproduces_the_last_frame() {
    let (w, h) = (200, 100);
    let mut enc = TileEncoder::new();
    enc.encode(FrameRef::packed(w, h, &picture(w, h, 1)), None)
        .expect("encodes");
    let b = picture(w, h, 9);
    enc.encode(FrameRef::packed(w, h, &b), None)
        .expect("encodes");
    let mut fb = FrameBuffer::default();
    decode_all(&mut fb, (w, h), enc.keyframe());
    assert_eq!(fb.pixels(), &b[..]);
}

#[test]
fn chunks_stay_under_the_budget() {
    let (w, h) = (640, 480);
    let mut enc = TileEncoder::new();
    let tiles = enc
        .encode(FrameRef::packed(w, h, &picture(w, h, 3)), None)
        .expect("encodes");
    let chunks = chunk_update(7, (w, h), tiles);
    assert!(chunks.len() > 1);
    for c in &chunks {
        let bytes = crate::wire::Message::FrameUpdate(c.clone()).encode();
        assert!(bytes.len() <= 64 * 1024, "chunk of {} bytes", bytes.len());
    }
    assert!(chunks.last().is_some_and(|c| c.last));
    assert!(chunks[..chunks.len() - 1].iter().all(|c| !c.last));
}

#[test]
fn hostile_tiles_are_refused() {
    let mut fb = FrameBuffer::default();
    let mk = |x, w, encoding, data: Vec<u8>| FrameUpdate {
        seq: 1,
        width: 64,
        height: 64,
        last: true,
        tiles: vec![EncodedTile {
            x,
            y: 0,
            w,
            h: 1,
            encoding,
            data,
        }],
    };
    assert!(matches!(
        fb.apply_update(&mk(60, 8, 2, vec![1, 2, 3])),
        Err(TileError::OutOfBounds(..))
    ));
    assert_eq!(
        fb.apply_update(&mk(0, 8, 9, vec![])),
        Err(TileError::UnknownEncoding(9))
    );
    assert_eq!(
        fb.apply_update(&mk(0, 8, 2, vec![1, 2])),
        Err(TileError::Corrupt)
    );
    assert_eq!(
        fb.apply_update(&mk(0, 8, 1, vec![1, 2, 3, 4])),
        Err(TileError::Corrupt)
    );
    // a valid zstd stream of the wrong size is corrupt too
    let wrong = zstd::bulk::compress(&[0u8; 5], 1).expect("compress");
    assert_eq!(
        fb.apply_update(&mk(0, 8, 1, wrong)),
        Err(TileError::Corrupt)
    );
}

#[test]
fn bad_frames_are_refused() {
    let mut enc = TileEncoder::new();
    let short = vec![0u8; 10];
    assert_eq!(
        enc.encode(FrameRef::packed(64, 64, &short), None),
        Err(TileError::BadFrame)
    );
}
