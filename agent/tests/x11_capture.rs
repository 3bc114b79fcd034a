//! Screen capture against a real Xvfb (one per test), checked against what X itself returns.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use support::{XClient, Xvfb, thread_cpu_ticks};
use tandem_agent::capture::{self, CaptureError, Rect};

const W: u16 = 1280;
const H: u16 = 800;
const PATIENCE: Duration = Duration::from_secs(10);

/// Whether every pixel of the rectangle lies in some reported rectangle.
fn covers(rects: &[Rect], x: u16, y: u16, w: u16, h: u16) -> bool {
    let inside =
        |px: u16, py: u16, r: &Rect| px >= r.x && px < r.x + r.w && py >= r.y && py < r.y + r.h;
    (y..y + h).all(|py| (x..x + w).all(|px| rects.iter().any(|r| inside(px, py, r))))
}

/// The B,G,R bytes of each pixel (the fourth byte is unused and not compared).
fn bgr(data: &[u8]) -> Vec<[u8; 3]> {
    data.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect()
}

#[test]
fn grab_returns_the_pixels_x_has() {
    let xvfb = Xvfb::start(W, H);
    let x = XClient::connect(&xvfb.display);
    x.fill(0, 0, W, H, 0x10_20_30);
    x.fill(10, 10, 100, 50, 0xff_00_00);
    x.fill(200, 300, 64, 64, 0x00_ff_00);
    x.fill(W as i16 - 7, H as i16 - 5, 7, 5, 0x00_00_ff); // bottom-right corner
    let mut cap = capture::open(Some(&xvfb.display)).expect("open capture");
    assert_eq!(cap.size(), (W, H));

    let frame = cap.grab().expect("grab");
    assert_eq!(
        (frame.width, frame.height, frame.stride),
        (W, H, W as usize * 4)
    );
    let pixel = |px: usize, py: usize| {
        let i = py * frame.stride + px * 4;
        [frame.data[i], frame.data[i + 1], frame.data[i + 2]]
    };
    assert_eq!(pixel(0, 0), [0x30, 0x20, 0x10], "background, B,G,R order");
    assert_eq!(pixel(10, 10), [0x00, 0x00, 0xff], "red");
    assert_eq!(pixel(263, 363), [0x00, 0xff, 0x00], "green");
    assert_eq!(
        pixel(W as usize - 1, H as usize - 1),
        [0xff, 0x00, 0x00],
        "blue"
    );

    // Byte for byte what a plain GetImage returns.
    let reference = x.root_image();
    assert_eq!(reference.len(), frame.data.len());
    assert!(
        bgr(&reference) == bgr(frame.data),
        "grab differs from GetImage"
    );
}

#[test]
fn damage_reports_changes_and_nothing_when_idle() {
    let xvfb = Xvfb::start(W, H);
    let x = XClient::connect(&xvfb.display);
    let mut cap = capture::open(Some(&xvfb.display)).expect("open capture");

    let first = cap.wait_for_damage(Duration::ZERO).expect("first wait");
    assert_eq!(
        first,
        vec![Rect {
            x: 0,
            y: 0,
            w: W,
            h: H
        }],
        "first call reports the screen"
    );

    // Idle: returns empty after the timeout, and blocks rather than spins.
    let cpu_before = thread_cpu_ticks();
    let started = Instant::now();
    let idle = cap
        .wait_for_damage(Duration::from_millis(500))
        .expect("idle wait");
    let waited = started.elapsed();
    assert!(idle.is_empty(), "idle screen reported {idle:?}");
    assert!(
        waited >= Duration::from_millis(500),
        "returned early after {waited:?}"
    );
    let cpu_ticks = thread_cpu_ticks() - cpu_before;
    assert!(
        cpu_ticks <= 5,
        "idle wait used {cpu_ticks} ticks (10 ms each) of CPU"
    );

    x.fill(100, 120, 50, 40, 0xff_ff_ff);
    let rects = cap.wait_for_damage(PATIENCE).expect("wait");
    assert!(
        covers(&rects, 100, 120, 50, 40),
        "{rects:?} misses the drawn rectangle"
    );
    let area: u32 = rects.iter().map(|r| u32::from(r.w) * u32::from(r.h)).sum();
    assert!(
        area < u32::from(W) * u32::from(H) / 10,
        "damage {rects:?} is far larger than the change"
    );

    // Two changes before the next call are both reported.
    x.fill(700, 20, 10, 10, 0x12_34_56);
    x.fill(30, 700, 20, 20, 0x65_43_21);
    let mut seen = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while !(covers(&seen, 700, 20, 10, 10) && covers(&seen, 30, 700, 20, 20)) {
        assert!(Instant::now() < deadline, "changes not reported: {seen:?}");
        seen.extend(cap.wait_for_damage(PATIENCE).expect("wait"));
    }

    // And the screen is idle again.
    let idle = cap
        .wait_for_damage(Duration::from_millis(200))
        .expect("idle wait");
    assert!(idle.is_empty(), "idle screen reported {idle:?}");

    // A grab after damage shows the new pixels.
    let frame = cap.grab().expect("grab");
    let i = 125 * frame.stride + 110 * 4;
    assert_eq!(&frame.data[i..i + 3], &[0xff, 0xff, 0xff]);
}

#[test]
fn screen_resizes_are_followed() {
    let xvfb = Xvfb::start(W, H);
    let mut x = XClient::connect(&xvfb.display);
    x.fill(0, 0, W, H, 0x20_40_60);
    let mut cap = capture::open(Some(&xvfb.display)).expect("open capture");
    cap.wait_for_damage(Duration::ZERO).expect("first wait");

    // Shrink, then grab before any wait: the old size no longer fits, so the grab re-reads it.
    x.set_screen_size(1000, 700);
    let frame = cap.grab().expect("grab after shrinking");
    assert_eq!((frame.width, frame.height), (1000, 700));
    assert_eq!(cap.size(), (1000, 700));
    let full = cap.wait_for_damage(PATIENCE).expect("wait");
    assert_eq!(
        full,
        vec![Rect {
            x: 0,
            y: 0,
            w: 1000,
            h: 700
        }],
        "whole new screen reported"
    );

    // Grow back: RandR's event alone tells capture about it.
    x.set_screen_size(W, H);
    let deadline = Instant::now() + PATIENCE;
    while cap.size() != (W, H) {
        assert!(Instant::now() < deadline, "size stayed {:?}", cap.size());
        cap.wait_for_damage(PATIENCE).expect("wait");
    }
    x.fill(0, 0, W, H, 0x0a_0b_0c);
    let reference = x.root_image();
    let frame = cap.grab().expect("grab after growing");
    assert_eq!((frame.width, frame.height), (W, H));
    assert!(
        bgr(&reference) == bgr(frame.data),
        "grab differs from GetImage after resize"
    );
}

#[test]
fn capture_uses_a_private_memfd_not_sysv_shm() {
    let xvfb = Xvfb::start(W, H);
    let mut cap = capture::open(Some(&xvfb.display)).expect("open capture");
    cap.grab().expect("grab");
    let pid = std::process::id().to_string();
    let table = std::fs::read_to_string("/proc/sysvipc/shm").expect("read /proc/sysvipc/shm");
    // Columns: key shmid perms size cpid lpid ...
    let ours: Vec<&str> = table
        .lines()
        .skip(1)
        .filter(|l| l.split_whitespace().nth(4) == Some(pid.as_str()))
        .collect();
    assert!(
        ours.is_empty(),
        "SysV segments created by this process: {ours:?}"
    );

    let memfds = std::fs::read_dir("/proc/self/fd")
        .expect("list fds")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().contains("memfd:tandem-capture"))
        .count();
    // Other tests in this process may hold their own; this one holds at least one.
    assert!(memfds >= 1, "no capture memfd is open");
}

#[test]
fn errors_name_the_display_or_extension() {
    let err = capture::open(Some(":4999")).err().expect("no such display");
    assert!(matches!(err, CaptureError::Connect { ref display, .. } if display == ":4999"));
    assert!(err.to_string().contains(":4999"), "{err}");

    // An empty name means "none given", tested without touching the process environment.
    assert!(matches!(
        capture::open(Some("")).err(),
        Some(CaptureError::NoDisplay)
    ));
    let message = CaptureError::NoDisplay.to_string();
    assert_eq!(message, "no display: set DISPLAY or pass --display");

    let xvfb = Xvfb::start_with(640, 480, &["-extension", "MIT-SHM"]);
    let err = capture::open(Some(&xvfb.display))
        .err()
        .expect("MIT-SHM is off");
    assert!(
        matches!(err, CaptureError::MissingExtension("MIT-SHM")),
        "{err}"
    );
    assert!(err.to_string().contains("MIT-SHM"), "{err}");

    let xvfb = Xvfb::start_with(640, 480, &["-extension", "DAMAGE"]);
    let err = capture::open(Some(&xvfb.display))
        .err()
        .expect("DAMAGE is off");
    assert!(
        matches!(err, CaptureError::MissingExtension("DAMAGE")),
        "{err}"
    );
    assert!(err.to_string().contains("DAMAGE"), "{err}");
}
