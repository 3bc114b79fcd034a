//! Opens the session window with a generated test picture and prints every input event.
//!
//! ```sh
//! cargo run -p tandem-viewer --example window_demo -- [--size 1920x1080] [--animate]
//!     [--wait SECONDS] [--close-after SECONDS]
//! ```
//!
//! The picture is a gradient with a white grid every 120 pixels, a red cross through the centre
//! and coloured 60x60 squares in the corners (red top-left, green top-right, blue bottom-left,
//! white bottom-right), so screenshots and printed coordinates are easy to check.
//! `--wait` delays the first picture (to see the waiting window); `--animate` sends a new
//! picture 30 times a second (a bar sweeps across);
//! `RUST_LOG=tandem_viewer=debug` logs how long each frame took to draw.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tandem_viewer::window::{self, Picture, WindowUpdate};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse()?;
    let picture = test_picture(args.size.0, args.size.1);
    let (input_tx, mut input_rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = std::thread::spawn(move || {
        while let Some(event) = input_rx.blocking_recv() {
            println!("{event:?}");
        }
    });
    let (keep_tx, keep_rx) = std::sync::mpsc::channel();
    // the window's own buttons ("Ask for control") do nothing here
    let (actions_tx, _actions) = tokio::sync::mpsc::unbounded_channel();
    window::run("window demo", input_tx, actions_tx, move |sender| {
        let _ = keep_tx.send(sender.clone());
        std::thread::spawn(move || feed(&sender, picture, &args));
    })?;
    if let Ok(sender) = keep_rx.try_recv() {
        let late = sender.send(WindowUpdate::Status("late".into()));
        println!("send after the window closed returned {late}");
    }
    // The input channel closes with the window; wait for the last events to be printed.
    let _ = printer.join();
    println!("window closed");
    std::io::stdout().flush()?;
    Ok(())
}

/// Sends the picture (or an animation of it) and the status, then `Close` if asked.
fn feed(sender: &window::WindowSender, picture: Picture, args: &Args) {
    std::thread::sleep(args.wait);
    let start = Instant::now();
    sender.send(WindowUpdate::Status(format!(
        "{}x{} test picture",
        picture.width, picture.height
    )));
    let base = Arc::new(picture);
    if !sender.send(WindowUpdate::Picture(base.clone())) {
        return;
    }
    let mut frame = 0u32;
    loop {
        if args.close_after.is_some_and(|d| start.elapsed() >= d) {
            sender.send(WindowUpdate::Close("demo over".into()));
            break;
        }
        std::thread::sleep(Duration::from_millis(if args.animate { 33 } else { 100 }));
        if args.animate {
            frame += 1;
            if !sender.send(WindowUpdate::Picture(Arc::new(with_bar(&base, frame)))) {
                break;
            }
        }
    }
    eprintln!("demo: stopped sending after {frame} animated frames");
}

/// Command line options.
struct Args {
    size: (u16, u16),
    animate: bool,
    wait: Duration,
    close_after: Option<Duration>,
}

impl Args {
    fn parse() -> anyhow::Result<Args> {
        let mut args = Args {
            size: (1920, 1080),
            animate: false,
            wait: Duration::ZERO,
            close_after: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--animate" => args.animate = true,
                "--size" => {
                    let v = it.next().unwrap_or_default();
                    let (w, h) = v
                        .split_once('x')
                        .ok_or_else(|| anyhow::anyhow!("--size WxH"))?;
                    args.size = (w.parse()?, h.parse()?);
                    anyhow::ensure!(
                        args.size.0 > 0 && args.size.1 > 0,
                        "--size must not be empty"
                    );
                }
                "--wait" => args.wait = seconds(it.next())?,
                "--close-after" => args.close_after = Some(seconds(it.next())?),
                other => anyhow::bail!("unknown argument {other:?}"),
            }
        }
        Ok(args)
    }
}

/// A duration given in (possibly fractional) seconds.
fn seconds(arg: Option<String>) -> anyhow::Result<Duration> {
    let secs: f64 = arg.unwrap_or_default().parse()?;
    Ok(Duration::try_from_secs_f64(secs)?)
}

/// The test picture: gradient, grid, centre cross and corner squares.
fn test_picture(width: u16, height: u16) -> Picture {
    let (w, h) = (usize::from(width), usize::from(height));
    let mut bgrx = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = colour(x, y, w, h);
            bgrx[(y * w + x) * 4..][..4].copy_from_slice(&[b, g, r, 0]);
        }
    }
    Picture {
        width,
        height,
        bgrx,
    }
}

fn colour(x: usize, y: usize, w: usize, h: usize) -> (u8, u8, u8) {
    let corner = 60;
    let (left, top) = (x < corner, y < corner);
    let (right, bottom) = (x >= w.saturating_sub(corner), y >= h.saturating_sub(corner));
    match (left, right, top, bottom) {
        (true, _, true, _) => return (255, 0, 0),
        (_, true, true, _) => return (0, 255, 0),
        (true, _, _, true) => return (0, 0, 255),
        (_, true, _, true) => return (255, 255, 255),
        _ => {}
    }
    if x.abs_diff(w / 2) < 2 || y.abs_diff(h / 2) < 2 {
        return (255, 0, 0);
    }
    if x % 120 < 2 || y % 120 < 2 {
        return (255, 255, 255);
    }
    // Values are below 256 because x < w and y < h.
    ((x * 200 / w.max(1)) as u8, (y * 200 / h.max(1)) as u8, 96)
}

/// `base` with a yellow vertical bar whose position depends on `frame`.
fn with_bar(base: &Picture, frame: u32) -> Picture {
    let mut picture = base.clone();
    let w = usize::from(picture.width);
    let bar_x = (frame as usize * 16) % w.max(1);
    for row in picture.bgrx.chunks_exact_mut(w * 4) {
        for px in row[bar_x * 4..].chunks_exact_mut(4).take(24) {
            px.copy_from_slice(&[0, 255, 255, 0]);
        }
    }
    picture
}
