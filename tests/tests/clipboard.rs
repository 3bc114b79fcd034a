//! The shared clipboard between a representative's viewer and a real X desktop: text and a
//! PNG image travel both ways through the CLIPBOARD selection (read and written by xclip on
//! the customer's display), and nothing travels without the clipboard right.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, agent};

const T: Duration = Duration::from_secs(30);

struct Setup {
    x: Xvfb,
    dir: TempDir,
    _portal: Portal,
    agent: Proc,
    viewer: Viewer,
    /// The viewer's `connected` event (its rights in force).
    connected: serde_json::Value,
}

fn setup(tag: &str, pre_authorize: &str) -> Setup {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(800, 600);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let agent = agent(&x.display, &code.join_url, pre_authorize);
    let connected = viewer.wait_event("connected", T);
    Setup {
        x,
        dir,
        _portal: portal,
        agent,
        viewer,
        connected,
    }
}

/// Text of `len` bytes that is not one repeated pattern (so a lost or doubled chunk shows).
fn text_of(len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    let mut i = 0u64;
    while s.len() < len {
        s.push_str(&format!("line {i} ünïcödé\n"));
        i += 1;
    }
    while s.len() > len {
        s.pop();
    }
    while s.len() < len {
        s.push('.');
    }
    s
}

/// A noisy RGB picture as PNG: about `side`²×3 bytes, since noise does not compress.
fn png_of(side: u32, path: &Path) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((side * side * 3) as usize);
    let mut state = 0x1234_5678u32;
    for _ in 0..side * side * 3 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        rgb.push(state as u8);
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        w.write_image_data(&rgb).expect("png data");
    }
    std::fs::write(path, &out).expect("write png");
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn text_and_an_image_travel_both_ways_with_the_clipboard_right() {
    let mut s = setup("clipboard", "control");

    // Representative → customer: 1 MB of text, then a 1 MB image.
    let text = text_of(1024 * 1024);
    let started = Instant::now();
    s.viewer.send(json!({"cmd": "clipboard", "text": text}));
    tandem_e2e::wait_for("the text on the customer's clipboard", T, || {
        s.x.clipboard("UTF8_STRING")
            .filter(|got| got == text.as_bytes())
    });
    println!(
        "1 MB of text onto the customer's clipboard: {:?}",
        started.elapsed()
    );
    // the customer is told, with what and by whom
    s.agent.wait_line("the customer told of the paste", T, |l| {
        l.contains("Administrator put text (1.0 MB) on your clipboard")
    });
    // a middle click pastes it too
    let primary =
        s.x.command("xclip")
            .args(["-o", "-selection", "primary"])
            .output()
            .expect("xclip");
    assert_eq!(primary.stdout.len(), text.len());

    let picture = s.dir.path("to-customer.png");
    let png = png_of(592, &picture);
    assert!(png.len() > 1_000_000, "{} bytes", png.len());
    let started = Instant::now();
    s.viewer.send(json!({"cmd": "clipboard", "png": picture}));
    tandem_e2e::wait_for("the image on the customer's clipboard", T, || {
        s.x.clipboard("image/png").filter(|got| *got == png)
    });
    println!(
        "1 MB image onto the customer's clipboard: {:?}",
        started.elapsed()
    );

    // Customer → representative: 1 MB of text copied on the customer's desktop arrives in the
    // viewer (xclip hands this much over incrementally, INCR)…
    let copied_text = text_of(1024 * 1024);
    let file = s.dir.path("from-customer.txt");
    std::fs::write(&file, &copied_text).expect("write");
    let started = Instant::now();
    let _owner = s.x.copy_file(&file, "UTF8_STRING");
    let got = s.viewer.wait_event("clipboard", T);
    println!(
        "1 MB of text from the customer's clipboard: {:?}",
        started.elapsed()
    );
    assert_eq!(got["kind"], "text");
    assert_eq!(got["bytes"], copied_text.len());
    assert_eq!(got["text"].as_str(), Some(copied_text.as_str()));
    s.agent.wait_line("the customer told who got it", T, |l| {
        l.contains("What you copied, text (1.0 MB), was shared with Administrator")
    });

    // …and so does a 1 MB image.
    let file = s.dir.path("from-customer.png");
    let png = png_of(600, &file);
    let started = Instant::now();
    let _owner = s.x.copy_file(&file, "image/png");
    let got = s.viewer.wait_event("clipboard", T);
    println!(
        "1 MB image from the customer's clipboard: {:?}",
        started.elapsed()
    );
    assert_eq!(got["kind"], "png");
    assert_eq!(got["bytes"], png.len());
    assert_eq!(got["sha256"], sha256_hex(&png));
}

#[test]
fn without_the_clipboard_right_nothing_crosses() {
    // The customer allowed viewing only: no control, so no clipboard either.
    let mut s = setup("clipboard-view", "view");
    let rights = &s.connected["rights"];
    assert!(!tandem_e2e::has_right(rights, "clipboard"), "{rights}");
    assert!(tandem_e2e::has_right(rights, "view"), "{rights}");

    // The customer copies: the representative is not sent it.
    let file = s.dir.path("secret.txt");
    std::fs::write(&file, "the customer's secret").expect("write");
    let _owner = s.x.copy_file(&file, "UTF8_STRING");
    // A paste from the representative (sent anyway: headless automation leaves the decision
    // to the agent) is refused by the agent, and the customer's clipboard keeps its content.
    s.viewer.send(json!({"cmd": "clipboard", "text": "pasted"}));
    let line = s.viewer.proc.wait_line("the refusal", T, |l| {
        assert!(!l.contains("\"clipboard\""), "leaked: {l}");
        l.contains("\"refused\"")
    });
    let refused: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("clipboard")),
        "{refused}"
    );
    assert_eq!(
        s.x.clipboard("UTF8_STRING").as_deref(),
        Some("the customer's secret".as_bytes())
    );
    // Nothing of the customer's clipboard reached the viewer: no event up to the refusal
    // held it, and none follows within a second.
    let quiet = Instant::now() + Duration::from_secs(1);
    while let Some(line) = s
        .viewer
        .proc
        .next_line(quiet.saturating_duration_since(Instant::now()))
    {
        assert!(!line.contains("\"clipboard\""), "leaked: {line}");
    }
}
