//! What a session recording costs the portal's disk, per hour, in the benchmark's scenes
//! (build first: `cargo build --release --workspace --bins`, then
//! `cargo run --release -p tandem-e2e --bin tandem-record-bench [SECONDS]`):
//! a 1920x1080 Xvfb with peerbench's workload — idle, its scroll terminal (a black 110x56
//! xterm, 100 lines/s), and ffplay's 1280x720 30 fps test pattern — shown to one viewer
//! while the portal records (its policy set on the management page, the agent agreed in
//! advance). Each scene runs SECONDS (default 30); the recording file's growth over it is
//! the figure, printed beside the bytes the viewer got. The file is flushed every 5 s, so
//! each figure is within 64 KiB of the truth. `TANDEM_BENCH_SCROLLER=<path of peerbench's
//! scroller.py>` scrolls with peerbench's own script instead of the copy of its pace here.
//!
//! Needs ffmpeg (ffplay) and Debian's Chromium (as the browser tests do).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{ADMIN_PASSWORD, Portal, Proc, TempDir, Viewer, agent_with, wait_for};

const T: Duration = Duration::from_secs(30);

/// Coloured, numbered, path-like lines at 100 lines/s, two every 20 ms (the pace and look of
/// peerbench's scroll terminal).
const SCROLLER: &str = r#"
import random, sys, time
words = "usr share lib bin doc locale man python3 include perl5 icons fonts truetype zoneinfo".split()
r = random.Random(42); t0 = time.monotonic(); k = n = 0
while True:
    out = []
    for _ in range(2):
        path = "/" + "/".join(r.choice(words) for _ in range(r.randint(1, 9)))
        out.append("\x1b[%dm%07d\x1b[0m %s" % (31 + n % 6, n, path)); n += 1
    sys.stdout.write("\n".join(out) + "\n"); sys.stdout.flush()
    k += 1; dt = t0 + k * 0.02 - time.monotonic()
    if dt > 0: time.sleep(dt)
"#;

fn size(file: &Path) -> u64 {
    std::fs::metadata(file).map_or(0, |m| m.len())
}

/// Over `secs` seconds: the recording's growth and the bytes of the updates the viewer
/// got, both in bytes per second.
fn measure(file: &Path, viewer: &mut Viewer, secs: u64) -> (f64, f64) {
    // One flush interval first, so the scene's own bytes are what is counted.
    let settle = Instant::now() + Duration::from_secs(6);
    while let Some(left) = settle.checked_duration_since(Instant::now()) {
        viewer.proc.next_line(left);
    }
    let (start, t0) = (size(file), Instant::now());
    let end = t0 + Duration::from_secs(secs);
    let mut seen = 0u64;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let Some(line) = viewer.proc.next_line(left) else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["event"] == "frame"
        {
            seen += v["bytes"].as_u64().unwrap_or(0);
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let grown = size(file).saturating_sub(start);
    (grown as f64 / elapsed, seen as f64 / elapsed)
}

fn report(scene: &str, (recorded, viewed): (f64, f64)) {
    println!(
        "{scene:<40} {:>8.1} KB/s {:>7.0} MB/hour   (the viewer got {:>8.1} KB/s)",
        recorded / 1000.0,
        recorded * 3600.0 / 1e6,
        viewed / 1000.0
    );
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    let dir = TempDir::new("record-bench");
    let x = Xvfb::start(1920, 1080);
    let _listing = x.xterm(40, 40, "ls -la /usr/bin | head -40; exec sh");
    let portal = Portal::start(&dir, &[]);

    // The administrator records every session of the default portal.
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    let mut b = Browser::launch_with(true);
    b.sign_in_console(&base, "admin", ("admin", ADMIN_PASSWORD), "default");
    b.wait_visible("admin", "#manage-open", T);
    b.click("admin", "#manage-open");
    let unrecorded = "tr[data-portal=\"default\"] input[data-function=\"unrecorded\"]";
    b.wait_visible("admin", unrecorded, T);
    b.check("admin", unrecorded, false);
    drop(b);

    let code = portal.create_code("Bench").code.digits();
    let mut host = portal.headless_viewer(&code);
    host.wait_event("waiting", T);
    let join = portal.join_link_at(portal.addr(), &code);
    let mut agent = agent_with(&x.display, &join, "view", &["--allow-recording".as_ref()]);
    host.wait_event("connected", T);
    agent.wait_line("the recording starts", T, |l| {
        l.contains("records this session (while someone sees")
    });
    // The portal names the file from the session and a random part.
    let folder = dir.path("portal.recordings");
    let file = wait_for("the recording file", T, || {
        let entry = std::fs::read_dir(&folder).ok()?.flatten().next()?;
        Some(entry.path()).filter(|p| size(p) > 0)
    });

    println!("Tandem session recording: Xvfb 1920x1080x24, one viewer, {secs} s per scene");
    report(
        "idle (a listing, nothing moves)",
        measure(&file, &mut host, secs),
    );

    // peerbench's scroll scene: a 110x56 xterm, 100 lines/s written every 20 ms.
    // TANDEM_BENCH_SCROLLER names peerbench's own scroller.py, for exactly its scene.
    let script = dir.path("scroller.py");
    std::fs::write(&script, SCROLLER).expect("the scroller");
    let flag = dir.path("scroll.on");
    std::fs::write(&flag, "").expect("the scroller's flag");
    let mut scroll = x.command("xterm");
    scroll
        .args([
            "-fa",
            "DejaVuSansMono",
            "-fs",
            "9",
            "-bg",
            "black",
            "-fg",
            "grey85",
            "+sb",
        ])
        .args([
            "-xrm",
            "XTerm*cursorBlink:false",
            "-geometry",
            "110x56+1000+20",
        ])
        .arg("-e")
        .arg("python3");
    match std::env::var_os("TANDEM_BENCH_SCROLLER") {
        Some(theirs) => scroll.arg(theirs).arg(&flag).arg("100"),
        None => scroll.arg(&script),
    };
    let scroll = Proc::spawn("scroll", scroll);
    report(
        "scroll (xterm 110x56, 100 lines/s)",
        measure(&file, &mut host, secs),
    );
    if std::env::var_os("TANDEM_BENCH_TRACE").is_some() {
        let behind = agent.stderr().matches("fell behind").count();
        eprintln!("the recording fell behind {behind} times");
    }
    drop(scroll);

    let mut video = Command::new("ffplay");
    video
        .args(["-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1280x720:rate=30")
        .args(["-an", "-noborder", "-left", "300", "-top", "200"])
        .env("DISPLAY", &x.display)
        .env("SDL_AUDIODRIVER", "dummy");
    let video = Proc::spawn("ffplay", video);
    report(
        "video (ffplay testsrc2 1280x720 30 fps)",
        measure(&file, &mut host, secs),
    );
    drop(video);
    host.send(json!({"cmd": "quit"}));
    agent.send_line("end");
    agent.wait_exit(T);
    println!("recording: {} bytes in all", size(&file));
}
