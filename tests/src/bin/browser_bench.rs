//! The browser viewer beside the native one, on a 1920x1080 Xvfb with text scrolling in a
//! full-screen xterm (build first: `cargo build --release --workspace --bins` and
//! `npm run build` in web/, then `cargo run --release -p tandem-e2e --bin tandem-browser-bench`):
//! - name entered → first frame in the page, with the page's own timeline of the steps;
//! - while text scrolls: updates per second the page applies and its bytes per second, beside
//!   the native (headless) viewer's on the same session, and Chromium's CPU (all its
//!   processes, in % of one core; software rendering, no GPU).

use std::time::{Duration, Instant};

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, agent_command, wait_for};

const T: Duration = Duration::from_secs(60);
const PAGE: &str = "sam";
/// How long the text scrolls.
const SCROLL: Duration = Duration::from_secs(10);

/// CPU time (user + system) of every process whose command line names `what`, in seconds.
fn cpu_seconds_of(what: &str) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(what) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name and state.
        total += (field(11) + field(12)) / ticks;
    }
    total
}

fn page_number(b: &mut Browser, expr: &str) -> f64 {
    b.eval(PAGE, expr).as_f64().unwrap_or(0.0)
}

fn main() {
    let dir = TempDir::new("browser-bench");
    let x = Xvfb::start(1920, 1080);
    // A full-screen terminal (about 1900x1060 pixels of text at this font size).
    let _xterm = x.xterm(0, 0, "exec sh");
    x.xdotool(&[
        "search",
        "--name",
        "tandem-e2e",
        "windowsize",
        "1920",
        "1080",
    ]);
    let portal = Portal::start(&dir, &["--no-tls"]);
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    let code = portal.create_code("Bench");
    let mut host = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let _agent = Proc::spawn(
        "agent",
        agent_command(&x.display, &code.join_url, "control", &[]),
    );
    host.wait_event("connected", T);
    host.send(json!({"cmd": "invite_specialist", "rights": "view"}));
    let inv = host.wait_portal("specialist_invited", T);
    let link = inv["join_url"]
        .as_str()
        .expect("link")
        .replace(&portal.url, &base);

    let mut b = Browser::launch();
    b.goto(PAGE, &link);
    b.fill(PAGE, "[data-testid=specialist-name]", "Bench");
    b.click(PAGE, "[data-testid=join]");
    wait_for("the first picture", T, || {
        (page_number(&mut b, "Number(document.body.dataset.frames ?? 0)") > 0.0).then_some(())
    });
    let timeline = b.eval(
        PAGE,
        "performance.getEntriesByType('mark').filter((m) => m.name.startsWith('tandem:')).map((m) => `${m.name.slice(7)} ${Math.round(m.startTime)}`).join(', ')",
    );
    println!("Tandem browser viewer beside the native viewer: Xvfb 1920x1080x24, loopback WebRTC");
    println!("name entered -> first frame (page clock, ms): {timeline}");

    // Text scrolls: about 100 lines a second for SCROLL, typed into the terminal through X.
    std::thread::sleep(Duration::from_secs(1));
    x.xdotool(&["mousemove", "400", "300"]);
    let lines = SCROLL.as_secs() * 100;
    x.xdotool(&[
        "type",
        "--delay",
        "1",
        &format!(
            "for i in $(seq 1 {lines}); do echo \"$i the quick brown fox jumps over the lazy dog, scrolling text for the benchmark\"; sleep 0.01; done\n"
        ),
    ]);
    let frames0 = page_number(&mut b, "Number(document.body.dataset.frames ?? 0)");
    let bytes0 = page_number(&mut b, "Number(document.body.dataset.frameBytes ?? 0)");
    let cpu0 = cpu_seconds_of("chromium");
    let (mut native_frames, mut native_bytes) = (0u64, 0u64);
    let t0 = Instant::now();
    while t0.elapsed() < SCROLL {
        if let Some(line) = host.proc.next_line(Duration::from_millis(100))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["event"] == "frame"
        {
            native_frames += 1;
            native_bytes += v["bytes"].as_u64().unwrap_or(0);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds_of("chromium") - cpu0;
    let frames = page_number(&mut b, "Number(document.body.dataset.frames ?? 0)") - frames0;
    let bytes = page_number(&mut b, "Number(document.body.dataset.frameBytes ?? 0)") - bytes0;
    println!("while text scrolls for {secs:.1} s (about 100 lines/s, full-screen xterm):");
    println!(
        "  browser viewer: {:>6.1} updates/s  {:>8.0} KB/s   Chromium CPU {:>5.1} % of a core",
        frames / secs,
        bytes / secs / 1000.0,
        cpu / secs * 100.0
    );
    println!(
        "  native viewer:  {:>6.1} updates/s  {:>8.0} KB/s   (headless: decodes, does not draw)",
        native_frames as f64 / secs,
        native_bytes as f64 / secs / 1000.0
    );
}
