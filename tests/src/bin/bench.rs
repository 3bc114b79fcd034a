//! End-to-end figures on a 1920x1080 Xvfb with real processes (build first:
//! `cargo build --release --workspace --bins`, then
//! `cargo run --release -p tandem-e2e --bin tandem-bench`):
//! - code entered → first frame at the viewer (agent start, redeem, consent, WebRTC, keyframe),
//!   with the portal on TLS (its default) and on plain HTTP: what TLS adds;
//! - viewer input → X event (headless viewer stdin → WebRTC → agent → XTest → X pointer);
//! - the same two and a 200 MB transfer over the portal's relay (agent `--direct-timeout 0`),
//!   the path used when UDP is blocked.
//!
//! Capture and encode costs are measured by `cargo bench -p tandem-agent`.

use std::time::{Duration, Instant};

use serde_json::json;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, TempDir};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt;

const T: Duration = Duration::from_secs(30);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name:<40} n={:<4} p50 {:>8.2} ms   p95 {:>8.2} ms   min {:>8.2} ms   max {:>8.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[0],
        ms[ms.len() - 1]
    );
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let dir = TempDir::new("bench");
    let x = Xvfb::start(1920, 1080);
    let _xterm = x.xterm(40, 40, "ls -la /usr/bin | head -40; exec sh");
    let portal = Portal::start(&dir, &["--max-active-codes", "100"]);
    println!("Tandem end-to-end benchmark: Xvfb 1920x1080x24, loopback WebRTC, {runs} sessions");
    let relay: [&std::ffi::OsStr; 2] = ["--direct-timeout".as_ref(), "0".as_ref()];
    sessions(&portal, &x, runs, &[], " (portal TLS, pinned)");
    // The same on a plain-HTTP portal (loopback only): what TLS adds to the first frame.
    let plain_dir = TempDir::new("bench-plain");
    let plain = Portal::start(&plain_dir, &["--max-active-codes", "100", "--no-tls"]);
    sessions(&plain, &x, runs, &[], " (portal plain HTTP)");
    sessions(&plain, &x, runs, &relay, " (relay, portal plain HTTP)");
    drop(plain);
    file_transfer(&portal, &x, &dir, &[], "");
    sessions(&portal, &x, runs, &relay, " (relay, portal TLS)");
    file_transfer(&portal, &x, &dir, &relay, " (relay)");
    transfer_resume(&portal, &x, &dir);
    reconnects(&x, &dir, runs);
}

/// Code → first frame for `runs` sessions, then input latency on the last one.
fn sessions(portal: &Portal, x: &Xvfb, runs: usize, agent_args: &[&std::ffi::OsStr], tag: &str) {
    let mut first_frame = Vec::new();
    let mut session = None;
    for i in 0..runs {
        let code = portal.create_code(&format!("bench {i}"));
        let mut viewer = portal.headless_viewer(&code.code.digits());
        viewer.wait_event("waiting", T);
        let t0 = Instant::now();
        let a = tandem_e2e::agent_with(&x.display, &code.join_url, "control", agent_args);
        viewer.wait_event("frame", T);
        first_frame.push(t0.elapsed().as_secs_f64() * 1e3);
        session = Some((viewer, a));
    }
    summary(&format!("code entered -> first frame{tag}"), first_frame);

    let (mut viewer, _agent) = session.expect("at least one run");
    let (conn, screen) = x11rb::connect(Some(&x.display)).expect("connect to X");
    let root = conn.setup().roots[screen].root;
    let pointer = || {
        let r = conn
            .query_pointer(root)
            .expect("query")
            .reply()
            .expect("reply");
        (r.root_x, r.root_y)
    };
    let mut latencies = Vec::new();
    for i in 0..200i16 {
        let target = (300 + i * 3, 500 + (i % 7) * 11);
        let t0 = Instant::now();
        viewer.send(json!({"cmd": "move", "x": target.0, "y": target.1}));
        while pointer() != target {
            assert!(t0.elapsed() < T, "pointer never reached {target:?}");
            std::hint::spin_loop();
        }
        latencies.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    summary(&format!("viewer input -> X pointer moved{tag}"), latencies);
}

/// How long coming back takes: the agent's portal connection cut (through a proxy) until the
/// viewer hears the customer is back and input flows again; and a reboot request until the
/// viewer is connected again, with the "machine" restarting at once (protocol cost only).
fn reconnects(x: &Xvfb, dir: &TempDir, runs: usize) {
    let portal = Portal::start(
        dir,
        &["--resume-window-secs", "120", "--max-active-codes", "100"],
    );
    let portal_addr = portal.addr();
    let (mut drops, mut reboots) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let proxy = tandem_e2e::proxy::Proxy::start(portal_addr);
        let code = portal.create_code(&format!("drop {i}"));
        let mut viewer = portal.headless_viewer(&code.code.digits());
        viewer.wait_event("waiting", T);
        let mut agent = tandem_e2e::agent(
            &x.display,
            &portal.join_link_at(proxy.addr, &code.code.digits()),
            "control",
        );
        viewer.wait_event("connected", T);
        let t0 = Instant::now();
        proxy.cut();
        viewer.wait_portal("customer_back", T);
        drops.push(t0.elapsed().as_secs_f64() * 1e3);
        agent.send_line("end");
        viewer.wait_event("ended", T);
    }
    summary("portal connection cut -> customer back", drops);
    for i in 0..runs {
        let code = portal.create_code(&format!("reboot {i}"));
        let mut viewer = portal.headless_viewer(&code.code.digits());
        viewer.wait_event("waiting", T);
        let state = dir.path(&format!("state-{i}"));
        let home = dir.path(&format!("home-{i}"));
        std::fs::create_dir_all(&home).expect("home");
        // A private HOME: the agent writes its autostart unit there.
        let mut cmd = std::process::Command::new(tandem_e2e::binary("tandem-agent"));
        cmd.args([
            "--join",
            &code.join_url,
            "--display",
            &x.display,
            "--webrtc-bind",
            "127.0.0.1",
        ])
        .args([
            "--pre-authorize",
            "control",
            "--accept-reboot",
            "--reboot-command",
            "true",
        ])
        .arg("--state-dir")
        .arg(&state)
        .env("HOME", &home);
        let mut first = tandem_e2e::Proc::spawn("agent", cmd);
        viewer.wait_event("connected", T);
        let t0 = Instant::now();
        viewer.send(json!({"cmd": "reboot"}));
        viewer.wait_event("rebooting", T);
        let _ = first.wait_exit(T);
        let mut again = std::process::Command::new(tandem_e2e::binary("tandem-agent"));
        again
            .args([
                "--resume",
                "--display",
                &x.display,
                "--webrtc-bind",
                "127.0.0.1",
            ])
            .arg("--state-dir")
            .arg(&state);
        let _resumed = tandem_e2e::Proc::spawn("agent after reboot", again);
        viewer.wait_event("connected", T);
        reboots.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    summary("reboot request -> connected again", reboots);
}

/// Sends a 200 MB file from a headless viewer to the agent and reports MB/s; prints the
/// file's path so the same file can be copied with scp for comparison
/// (`tests/bench/transfer-vs-scp.sh` does both in one run).
fn file_transfer(
    portal: &Portal,
    x: &Xvfb,
    dir: &TempDir,
    agent_args: &[&std::ffi::OsStr],
    tag: &str,
) {
    let size: u64 = 200 * 1024 * 1024;
    let file = dir.path("transfer.bin");
    if !file.exists() {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..(size >> 20) {
            for c in buf.chunks_exact_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                c.copy_from_slice(&state.to_le_bytes());
            }
            std::io::Write::write_all(&mut out, &buf).expect("write");
        }
    }
    let inbox = dir.path(if tag.is_empty() {
        "inbox"
    } else {
        "inbox-relay"
    });
    std::fs::create_dir_all(&inbox).expect("inbox");
    let code = portal.create_code("transfer");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let mut extra: Vec<&std::ffi::OsStr> = vec![
        "--accept-files".as_ref(),
        "--files-dir".as_ref(),
        inbox.as_os_str(),
    ];
    extra.extend_from_slice(agent_args);
    let _agent = tandem_e2e::agent_with(&x.display, &code.join_url, "view", &extra);
    viewer.wait_event("connected", T);
    let t0 = Instant::now();
    viewer.send(json!({"cmd": "send_file", "path": file}));
    viewer
        .proc
        .wait_line("transfer completed", Duration::from_secs(300), |l| {
            l.contains("\"completed\"")
        });
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{:<40} {} MB in {:.2} s = {:.1} MB/s (hashing both ends included)",
        format!("file transfer viewer -> customer{tag}"),
        size >> 20,
        secs,
        (size >> 20) as f64 / secs
    );
}

fn transfer_progress(v: &mut tandem_e2e::Viewer, kind: &str) -> serde_json::Value {
    let line = v
        .proc
        .wait_line(&format!("transfer {kind}"), Duration::from_secs(300), |l| {
            serde_json::from_str::<serde_json::Value>(l)
                .is_ok_and(|e| e["event"] == "transfer" && e["kind"] == kind)
        });
    serde_json::from_str(&line).expect("json")
}

/// A 200 MB transfer whose viewer is killed half-way: how long until a new viewer is
/// connected, how long until the transfer runs again (from where it stopped), and how long
/// the rest takes.
fn transfer_resume(portal: &Portal, x: &Xvfb, dir: &TempDir) {
    let file = dir.path("transfer.bin");
    let size = std::fs::metadata(&file)
        .expect("made by file_transfer")
        .len();
    let inbox = dir.path("inbox-resume");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let code = portal.create_code("resume");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let extra: Vec<&std::ffi::OsStr> = vec![
        "--accept-files".as_ref(),
        "--files-dir".as_ref(),
        inbox.as_os_str(),
    ];
    let _agent = tandem_e2e::agent_with(&x.display, &code.join_url, "view", &extra);
    viewer.wait_event("connected", T);
    viewer.send(json!({"cmd": "send_file", "path": file}));
    let cut = loop {
        let done = transfer_progress(&mut viewer, "progress")["done"]
            .as_u64()
            .unwrap_or(0);
        if done >= size / 2 {
            break done;
        }
    };
    drop(viewer); // killed, as a crash would
    let t0 = Instant::now();
    let mut again = portal.headless_viewer(&code.code.digits());
    again.wait_event("connected", T);
    let connected = t0.elapsed();
    let asked = Instant::now();
    again.send(json!({"cmd": "send_file", "path": file}));
    let from = transfer_progress(&mut again, "progress")["done"]
        .as_u64()
        .unwrap_or(0);
    let resumed = asked.elapsed();
    transfer_progress(&mut again, "completed");
    let rest = asked.elapsed();
    println!(
        "{:<40} killed at {} MB; new viewer connected {:.0} ms later; resumed from {} MB \
         {:.0} ms after asking; rest done in {:.2} s",
        "file transfer resume (viewer killed)",
        cut >> 20,
        connected.as_secs_f64() * 1e3,
        from >> 20,
        resumed.as_secs_f64() * 1e3,
        rest.as_secs_f64()
    );
}
