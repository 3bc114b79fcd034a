//! What a session recording costs the portal's disk, per hour, in the benchmark's scenes
//! (build first: `cargo build --release --workspace --bins`, then
//! `cargo run --release -p tandem-e2e --bin tandem-record-bench [SECONDS]`):
//! a 1920x1080 Xvfb with peerbench's workload — idle, an xterm scrolling 100 lines/s, and
//! ffplay's 1280x720 30 fps test pattern — shown to one viewer while the portal records
//! (its policy set on the management page, the agent agreed in advance). Each scene runs
//! SECONDS (default 30); the recording file's growth over it is the figure. The file is
//! flushed every 5 s, so each figure is within 64 KiB of the truth.
//!
//! Needs ffmpeg (ffplay) and Debian's Chromium (as the browser tests do).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{ADMIN_PASSWORD, Portal, Proc, TempDir, agent_with, wait_for};

const T: Duration = Duration::from_secs(30);

fn size(file: &Path) -> u64 {
    std::fs::metadata(file).map_or(0, |m| m.len())
}

/// The recording's growth over `secs` seconds, in bytes per second.
fn measure(file: &Path, secs: u64) -> f64 {
    // One flush interval first, so the scene's own bytes are what is counted.
    std::thread::sleep(Duration::from_secs(6));
    let (start, t0) = (size(file), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    let grown = size(file).saturating_sub(start);
    grown as f64 / t0.elapsed().as_secs_f64()
}

fn report(scene: &str, bytes_per_sec: f64) {
    println!(
        "{scene:<34} {:>9.1} KB/s   {:>8.0} MB per hour",
        bytes_per_sec / 1000.0,
        bytes_per_sec * 3600.0 / 1e6
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
    b.new_page("admin", Some(&base));
    b.goto("admin", &format!("{base}/console"));
    b.fill("admin", "[data-testid=login-user]", "admin");
    b.fill("admin", "[data-testid=login-password]", ADMIN_PASSWORD);
    b.fill("admin", "[data-testid=login-portal]", "default");
    b.click("admin", "[data-testid=login-submit]");
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
    let file = dir.path("portal.recordings").join("session-1.trec");
    wait_for("the recording file", T, || (size(&file) > 0).then_some(()));

    println!("Tandem session recording: Xvfb 1920x1080x24, one viewer, {secs} s per scene");
    report("idle (a listing, nothing moves)", measure(&file, secs));

    let scroll = x.xterm(
        980,
        40,
        "i=0; while :; do i=$((i+1)); echo \"$i the quick brown fox jumps over the lazy dog $i\"; sleep 0.01; done",
    );
    report("scroll (xterm, 100 lines/s)", measure(&file, secs));
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
        measure(&file, secs),
    );
    drop(video);
    host.send(json!({"cmd": "quit"}));
    agent.send_line("end");
    agent.wait_exit(T);
    println!("recording: {} bytes in all", size(&file));
}
