//! Golden vectors that keep the web viewer's decoder (`web/src/viewer/`) and this crate's
//! encoder in step: small deterministic screens are encoded by [`TileEncoder`] and
//! [`chunk_update`] exactly as the agent does, and the wire bytes plus the picture the Rust
//! viewer builds from them are written to `web/test/vectors/`. The web app's `npm test`
//! decodes every message, assembles and applies the updates and compares its picture byte
//! for byte; a change to the encoder or the wire format that the TypeScript does not follow
//! fails there, and one not regenerated here fails this test.
//!
//! This test fails when the files on disk differ from what it generates; run it with
//! `UPDATE_WEB_VECTORS=1` to rewrite them.
//!
//! File formats (every integer little-endian):
//!
//! ```text
//! <case>.bin    "TVEC" | u32 version = 1 | u32 n
//!               n × ( u32 len | len bytes: one encoded Message::FrameUpdate
//!                   | u8 completes (1 when this chunk is its update's last) | u32 hash )
//!               u16 width | u16 height | width × height × 4 bytes: the final picture, B,G,R,X
//!               hash: FNV-1a (32 bit) of the whole picture, B,G,R,X with X = 0, right after
//!               the update this chunk completes; 0 when `completes` is 0.
//! messages.bin  "TMSG" | u32 version = 1 | u32 n
//!               n × ( u16 name_len | name (UTF-8) | u32 len | len bytes: one encoded Message )
//! ```

use std::path::PathBuf;

use tandem_protocol::tiles::{FrameRef, Rect, TileEncoder, TileEncoding, chunk_update};
use tandem_protocol::updates::UpdateStream;
use tandem_protocol::wire::{EncodedTile, FrameUpdate, Message};

#[path = "web_vectors/messages.rs"]
mod messages;
use messages::messages_file;

const VERSION: u32 = 1;

/// splitmix64: deterministic on every platform, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A packed BGRX picture (X = 0, as the viewer's picture holds it).
#[derive(Clone)]
struct Screen {
    w: u16,
    h: u16,
    px: Vec<u8>,
}

impl Screen {
    fn new(w: u16, h: u16) -> Screen {
        Screen {
            w,
            h,
            px: vec![0; usize::from(w) * usize::from(h) * 4],
        }
    }
    fn set(&mut self, x: usize, y: usize, bgr: [u8; 3]) {
        let i = (y * usize::from(self.w) + x) * 4;
        self.px[i..i + 3].copy_from_slice(&bgr);
    }
    fn fill(&mut self, r: Rect, bgr: [u8; 3]) {
        for y in r.y as usize..(r.y + r.h) as usize {
            for x in r.x as usize..(r.x + r.w) as usize {
                self.set(x, y, bgr);
            }
        }
    }
}

fn rect(x: u16, y: u16, w: u16, h: u16) -> Rect {
    Rect { x, y, w, h }
}

const PAPER: [u8; 3] = [245, 248, 250];
const INK: [u8; 3] = [40, 30, 20];
const TITLE: [u8; 3] = [120, 60, 30];
const GUTTER: [u8; 3] = [200, 200, 200];

/// Row `row` of a long text document `width` pixels wide: lines 12 px high of glyphs 6 px
/// wide whose pixels are chosen by a hash of their place, so every line differs (which the
/// encoder's scroll detection needs) and the document is the same at every scroll offset.
fn doc_pixel(width: usize, x: usize, row: usize) -> [u8; 3] {
    let (line, y) = (row / 12, row % 12);
    let len = 10 + (line * 7919) % (width / 6 - 10);
    let (glyph, gx) = (x / 6, x % 6);
    if !(2..11).contains(&y) || gx == 5 || glyph >= len || (line + glyph) % 9 == 4 {
        return PAPER;
    }
    let mut rng = Rng((line as u64) << 32 | (glyph as u64) << 16 | (y * 8 + gx) as u64);
    if rng.next() % 100 < 38 { INK } else { PAPER }
}

/// A text window: title bar, `height - 32` rows of the document from `scroll`, a status bar
/// in `status` colour, and an 8-pixel gutter on the right (solid tiles on that edge).
fn text_screen(w: u16, h: u16, scroll: usize, status: [u8; 3]) -> Screen {
    let mut s = Screen::new(w, h);
    let text_w = w - 8;
    s.fill(rect(0, 0, text_w, 16), TITLE);
    for y in 16..usize::from(h - 16) {
        for x in 0..usize::from(text_w) {
            s.set(x, y, doc_pixel(usize::from(text_w), x, scroll + y - 16));
        }
    }
    s.fill(rect(0, h - 16, text_w, 16), status);
    s.fill(rect(text_w, 0, 8, h), GUTTER);
    s
}

/// One encoder and viewer, recording every chunk the encoder sends.
struct Recorder {
    enc: TileEncoder,
    stream: UpdateStream,
    seq: u32,
    out: Vec<u8>,
    records: u32,
    chunks: Vec<FrameUpdate>,
    last: Option<Screen>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            enc: TileEncoder::new(),
            stream: UpdateStream::new(),
            seq: 0,
            out: Vec::new(),
            records: 0,
            chunks: Vec::new(),
            last: None,
        }
    }

    /// Encodes `s` (only `damage`, when given, as the capture layer reports it) and checks
    /// that the Rust viewer ends up with exactly `s`.
    fn frame(&mut self, s: &Screen, damage: Option<&[Rect]>) {
        let tiles = self
            .enc
            .encode(FrameRef::packed(s.w, s.h, &s.px), damage)
            .expect("encodes");
        self.seq += 1;
        let chunks = chunk_update(self.seq, (s.w, s.h), tiles);
        assert!(!chunks.is_empty(), "update {} changes something", self.seq);
        for chunk in chunks {
            let bytes = Message::FrameUpdate(chunk.clone()).encode();
            let applied = self.stream.handle_bytes(&bytes).expect("applies");
            assert_eq!(applied.is_some(), chunk.last);
            let hash = if chunk.last {
                assert_eq!(self.stream.frame().pixels(), &s.px[..], "lossless");
                fnv1a(&s.px)
            } else {
                0
            };
            self.out
                .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            self.out.extend_from_slice(&bytes);
            self.out.push(u8::from(chunk.last));
            self.out.extend_from_slice(&hash.to_le_bytes());
            self.records += 1;
            self.chunks.push(chunk);
        }
        self.last = Some(s.clone());
    }

    fn finish(self) -> (Vec<u8>, Vec<FrameUpdate>) {
        let last = self.last.expect("at least one frame");
        let mut file = b"TVEC".to_vec();
        file.extend_from_slice(&VERSION.to_le_bytes());
        file.extend_from_slice(&self.records.to_le_bytes());
        file.extend_from_slice(&self.out);
        file.extend_from_slice(&last.w.to_le_bytes());
        file.extend_from_slice(&last.h.to_le_bytes());
        file.extend_from_slice(self.stream.frame().pixels());
        (file, self.chunks)
    }
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811C_9DC5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

const TEXT_AREA: Rect = Rect {
    x: 0,
    y: 16,
    w: 192,
    h: 104,
};

/// A terminal scrolling up, a cursor and a status change, then scrolling back down.
fn scroll_case() -> (Vec<u8>, Vec<FrameUpdate>) {
    let (w, h) = (200, 136);
    let mut r = Recorder::new();
    let status = [60, 160, 60];
    r.frame(&text_screen(w, h, 0, status), None);
    r.frame(&text_screen(w, h, 24, status), Some(&[TEXT_AREA]));
    let mut typed = text_screen(w, h, 24, [30, 30, 200]);
    typed.fill(rect(40, 100, 6, 9), INK);
    r.frame(&typed, Some(&[rect(40, 100, 6, 9), rect(0, 120, 192, 16)]));
    r.frame(&text_screen(w, h, 10, [30, 30, 200]), Some(&[TEXT_AREA]));
    r.finish()
}

/// The screen changes size twice (the viewer resizes to black, the encoder resends all).
fn resize_case() -> (Vec<u8>, Vec<FrameUpdate>) {
    let mut r = Recorder::new();
    r.frame(&text_screen(200, 136, 0, [60, 160, 60]), None);
    let mut small = text_screen(131, 70, 5, [60, 160, 60]);
    r.frame(&small, None);
    small.fill(rect(120, 20, 11, 30), INK);
    r.frame(&small, Some(&[rect(120, 20, 11, 30)]));
    r.frame(&text_screen(200, 136, 30, [10, 10, 10]), None);
    r.finish()
}

/// Incompressible pixels: a keyframe larger than one chunk, then one tile turning solid.
fn noise_case() -> (Vec<u8>, Vec<FrameUpdate>) {
    let (w, h) = (200, 136);
    let mut s = Screen::new(w, h);
    let mut rng = Rng(7);
    for y in 0..128 {
        for x in 0..192 {
            let v = rng.next().to_le_bytes();
            s.set(x, y, [v[0], v[1], v[2]]);
        }
    }
    s.fill(rect(0, 128, 200, 8), [1, 2, 3]);
    s.fill(rect(192, 0, 8, 128), [250, 0, 125]);
    let mut r = Recorder::new();
    r.frame(&s, None);
    s.fill(rect(64, 64, 64, 64), [9, 99, 199]);
    r.frame(&s, None);
    r.finish()
}

fn tiles(chunks: &[FrameUpdate]) -> impl Iterator<Item = &EncodedTile> {
    chunks.iter().flat_map(|c| c.tiles.iter())
}

/// Whether some update of `chunks` spans more than one chunk.
fn has_multi_chunk_update(chunks: &[FrameUpdate]) -> bool {
    chunks
        .windows(2)
        .any(|p| !p[0].last && p[0].seq == p[1].seq)
}

/// The web viewer's zstd decoder (fzstd) sizes its output from the frame header, so the web
/// viewer refuses a frame that does not announce exactly the tile's size: every frame must.
fn zstd_content_size(data: &[u8]) -> Option<u64> {
    let magic = data.get(..4)? == [0x28, 0xB5, 0x2F, 0xFD];
    let fhd = *data.get(4)?;
    let (fcs_flag, single) = (fhd >> 6, fhd & 0x20 != 0);
    let dict = [0, 1, 2, 4][usize::from(fhd & 3)];
    let at = 5 + usize::from(!single) + dict;
    let bytes = match (fcs_flag, single) {
        (0, false) => return None,
        (0, true) => 1,
        (f, _) => 1 << f,
    };
    let mut v = [0u8; 8];
    v[..bytes].copy_from_slice(data.get(at..at + bytes)?);
    let size = u64::from_le_bytes(v) + if fcs_flag == 1 { 256 } else { 0 };
    magic.then_some(size)
}

#[test]
fn vectors_cover_copies_solids_and_chunked_updates() {
    let (_, scroll) = scroll_case();
    let copies: Vec<&EncodedTile> = tiles(&scroll)
        .filter(|t| t.encoding == TileEncoding::Copy as u8)
        .collect();
    let src_y = |t: &EncodedTile| u16::from_le_bytes([t.data[2], t.data[3]]);
    assert!(
        copies.iter().any(|t| src_y(t) > t.y),
        "a scroll up: {copies:?}"
    );
    assert!(
        copies.iter().any(|t| src_y(t) < t.y),
        "a scroll down: {copies:?}"
    );
    let (_, resize) = resize_case();
    let sizes: Vec<(u16, u16)> = resize.iter().map(|c| (c.width, c.height)).collect();
    assert!(sizes.contains(&(131, 70)) && sizes.contains(&(200, 136)));
    let (_, noise) = noise_case();
    assert!(
        has_multi_chunk_update(&noise),
        "the noisy keyframe spans chunks"
    );
    for case in [&scroll, &resize, &noise] {
        let solid = tiles(case).any(|t| t.encoding == TileEncoding::Solid as u8);
        assert!(solid, "every case has solid tiles");
        for t in tiles(case).filter(|t| t.encoding == TileEncoding::Zstd as u8) {
            let expected = u64::from(t.w) * u64::from(t.h) * 3;
            assert_eq!(zstd_content_size(&t.data), Some(expected), "{t:?}");
        }
        assert!(tiles(case).all(|t| t.encoding != TileEncoding::Jpeg as u8));
    }
}

/// `web/src/viewer/updates.ts` counts what an unfinished update holds as Rust's
/// `held_bytes` does, with these sizes of the Rust structs.
#[cfg(target_pointer_width = "64")]
#[test]
fn held_bytes_overheads_match_the_web_viewer() {
    assert_eq!(size_of::<EncodedTile>(), 40, "TILE_OVERHEAD in updates.ts");
    assert_eq!(size_of::<FrameUpdate>(), 40, "CHUNK_OVERHEAD in updates.ts");
}

#[test]
fn web_vectors_are_up_to_date() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/test/vectors");
    let files = [
        ("scroll.bin", scroll_case().0),
        ("resize.bin", resize_case().0),
        ("noise.bin", noise_case().0),
        ("messages.bin", messages_file()),
    ];
    let update = std::env::var_os("UPDATE_WEB_VECTORS").is_some_and(|v| v == "1");
    if update {
        std::fs::create_dir_all(&dir).expect("create web/test/vectors");
    }
    let mut stale = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, &bytes).expect("write a vector file");
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "web/test/vectors/{{{}}} do not match what the Rust encoder produces now.\n\
         Rewrite them with `UPDATE_WEB_VECTORS=1 cargo test -p tandem-protocol --test \
         web_vectors`, then run `npm test` in web/ to check the web viewer against them.",
        stale.join(",")
    );
}
