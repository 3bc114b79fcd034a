//! The screen codec's costs and quality: `cargo bench -p tandem-protocol --bench codec`.
//!
//! - scroll: finding a move in an 800×600 terminal-like region, and what an update costs with
//!   and without move detection;
//! - video: ffmpeg's `testsrc2` at 1280×720 (the peerbench workload's clip; synthetic frames
//!   if `ffmpeg` is missing) on a 1920×1080 desktop at 30 fps through the lossy encoder:
//!   time and bytes per frame, and PSNR of the viewer's picture against the source region;
//!   then a JPEG quality sweep, to show where the default sits.

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tandem_protocol::lossy::{self, DEFAULT_QUALITY, JpegEncoder};
use tandem_protocol::moves::find_vertical_move;
use tandem_protocol::tiles::{FrameBuffer, FrameRef, Rect, TileEncoder, TileEncoding};
use tandem_protocol::wire::{EncodedTile, FrameUpdate};

const W: usize = 1920;
const H: usize = 1080;
const VIDEO: Rect = Rect {
    x: 320,
    y: 180,
    w: 1280,
    h: 720,
};

fn frame(px: &[u8]) -> FrameRef<'_> {
    FrameRef::packed(W as u16, H as u16, px)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A desktop with a terminal-like region of text lines, scrolled by `lines` text lines.
fn terminal(lines: usize) -> Vec<u8> {
    let mut px = vec![0x30u8; W * H * 4];
    let (x0, y0, w, h) = (100, 100, 800, 600);
    for y in 0..h {
        let line = (y + lines * 16) / 16;
        let row_in_line = (y + lines * 16) % 16;
        for x in 0..w {
            let glyph = (line * 31 + x / 8) % 7;
            let ink = row_in_line > 3 && row_in_line < 13 && (x + row_in_line * glyph) % 5 < 2;
            let v = if ink { 0x10 } else { 0xf0 };
            px[((y0 + y) * W + x0 + x) * 4..][..3].copy_from_slice(&[v, v, v]);
        }
    }
    px
}

fn bytes_of(tiles: &[EncodedTile]) -> usize {
    tiles.iter().map(|t| t.data.len() + 13).sum()
}

fn scroll() {
    let area = Rect {
        x: 100,
        y: 100,
        w: 800,
        h: 600,
    };
    let (before, after) = (terminal(0), terminal(1));
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        black_box(find_vertical_move(&before, W * 4, &frame(&after), area));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "scroll: find a 1-line move in 800x600        {:>7.3} ms",
        median(times)
    );
    let (mut with, mut without) = (Vec::new(), 0);
    let mut bytes = 0;
    for i in 0..20 {
        let mut enc = TileEncoder::new();
        enc.encode(frame(&terminal(i)), None).expect("first");
        let next = terminal(i + 1);
        let t = Instant::now();
        let tiles = enc.encode(frame(&next), Some(&[area])).expect("encodes");
        with.push(t.elapsed().as_secs_f64() * 1e3);
        bytes = bytes_of(&tiles);
        let mut plain = TileEncoder::new();
        plain.encode(frame(&terminal(i)), None).expect("first");
        without = bytes_of(&plain.encode(frame(&next), None).expect("encodes"));
    }
    println!(
        "scroll: one-line update with moves           {:>7.3} ms  {bytes:>8} B   (without moves: {without} B)",
        median(with)
    );
}

/// 1280×720 BGRX frames of ffmpeg's testsrc2, or synthetic ones without ffmpeg.
fn clip(n: usize) -> (Vec<Vec<u8>>, &'static str) {
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1280x720:rate=30")
        .args([
            "-frames:v",
            &n.to_string(),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr0",
            "-",
        ])
        .stderr(Stdio::null())
        .output();
    let size = 1280 * 720 * 4;
    match out {
        Ok(o) if o.status.success() && o.stdout.len() == n * size => (
            o.stdout.chunks_exact(size).map(<[u8]>::to_vec).collect(),
            "ffmpeg testsrc2",
        ),
        _ => {
            let frames = (0..n)
                .map(|t| {
                    (0..size)
                        .map(|i| ((i / 4 % 1280 + i / 5120 + t * 4) % 256) as u8)
                        .collect()
                })
                .collect();
            (frames, "synthetic (ffmpeg not found)")
        }
    }
}

fn place(desktop: &mut [u8], video: &[u8]) {
    for y in 0..VIDEO.h as usize {
        let dst = ((VIDEO.y as usize + y) * W + VIDEO.x as usize) * 4;
        desktop[dst..dst + 1280 * 4].copy_from_slice(&video[y * 1280 * 4..][..1280 * 4]);
    }
}

fn region(px: &[u8], stride: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(1280 * 720 * 4);
    for y in 0..VIDEO.h as usize {
        let start = (VIDEO.y as usize + y) * stride + VIDEO.x as usize * 4;
        out.extend_from_slice(&px[start..start + 1280 * 4]);
    }
    out
}

fn video() {
    let (frames, source) = clip(90);
    println!("video: {source}, 1280x720 in a 1920x1080 desktop, 30 fps");
    let mut enc = TileEncoder::with_lossy(DEFAULT_QUALITY).expect("codec");
    let mut fb = FrameBuffer::default();
    let mut desktop = vec![0x30u8; W * H * 4];
    let t0 = Instant::now();
    let (mut times, mut sizes, mut quality, mut decode) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, f) in frames.iter().enumerate() {
        place(&mut desktop, f);
        let now = t0 + Duration::from_millis(33 * i as u64);
        let t = Instant::now();
        let tiles = enc
            .encode_at(frame(&desktop), Some(&[VIDEO]), now)
            .expect("encodes");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let lossy = tiles.iter().any(|t| t.encoding == TileEncoding::Jpeg as u8);
        let bytes = bytes_of(&tiles);
        let t = Instant::now();
        fb.apply_update(&FrameUpdate {
            seq: i as u32,
            width: W as u16,
            height: H as u16,
            last: true,
            tiles,
        })
        .expect("applies");
        if lossy {
            decode.push(t.elapsed().as_secs_f64() * 1e3);
            sizes.push(bytes as f64);
            quality.push(lossy::psnr(&region(fb.pixels(), W * 4), f));
        }
    }
    let n = sizes.len().max(1) as f64;
    let min_q = quality.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "video: encode per frame (q{DEFAULT_QUALITY})              {:>7.2} ms  {:>8.0} B/frame = {:.0} KB/s at 30 fps",
        median(times),
        sizes.iter().sum::<f64>() / n,
        sizes.iter().sum::<f64>() / n * 30.0 / 1000.0
    );
    println!(
        "video: decode per frame                      {:>7.2} ms   PSNR mean {:.1} dB, min {:.1} dB over {} lossy frames",
        median(decode),
        quality.iter().sum::<f64>() / n,
        min_q,
        sizes.len()
    );
    let settled = enc.settle(t0 + Duration::from_secs(10));
    println!(
        "video: lossless refresh once still           {} tiles, {} B",
        settled.len(),
        bytes_of(&settled)
    );
    let mut lossless = TileEncoder::new();
    lossless.encode(frame(&desktop), None).expect("first");
    place(&mut desktop, &frames[0]);
    let zstd = bytes_of(&lossless.encode(frame(&desktop), None).expect("encodes"));
    println!("video: the same frame lossless (zstd tiles)  {zstd:>8} B");
    println!("video: quality sweep (whole 1280x720 frame, one JPEG):");
    for q in [30, 40, 50, 60, 70, 80, 90] {
        let mut jpeg = JpegEncoder::new(q).expect("codec");
        let mut d = turbojpeg::Decompressor::new().expect("codec");
        let (mut bytes, mut psnr, mut ms) = (0usize, 0.0, Vec::new());
        for f in frames.iter().take(30) {
            let rect = Rect {
                x: 0,
                y: 0,
                w: 1280,
                h: 720,
            };
            let t = Instant::now();
            let data = jpeg.encode(f, 1280 * 4, rect).expect("encodes");
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            let mut out = vec![0u8; 1280 * 720 * 4];
            lossy::decode_into(&mut d, &data, &mut out, 1280 * 4, rect).expect("decodes");
            bytes += data.len();
            psnr += lossy::psnr(&out, f);
        }
        println!(
            "  q{q:<3} {:>7.2} ms  {:>7} B/frame  PSNR {:.1} dB",
            median(ms),
            bytes / 30,
            psnr / 30.0
        );
    }
}

fn main() {
    scroll();
    video();
}
