//! A representative makes a code, a customer's agent joins, the representative sees and
//! controls a real X desktop — all real processes, real WebRTC on loopback, real Xvfb.

use std::time::Duration;

use serde_json::json;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, TempDir, Viewer, agent, wait_for};

const T: Duration = Duration::from_secs(30);

/// Xvfb with an xterm, a portal, an agent (pre-authorised as given) and a connected
/// headless viewer.
struct Setup {
    x: Xvfb,
    dir: TempDir,
    _xterm: tandem_e2e::Proc,
    _portal: Portal,
    agent: tandem_e2e::Proc,
    viewer: Viewer,
}

fn setup(tag: &str, pre_authorize: &str) -> Setup {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(1024, 640);
    let xterm = x.xterm(
        30,
        40,
        "printf 'Tandem e2e: known text on screen\\n'; exec sh",
    );
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let agent = agent(&x.display, &code.join_url, pre_authorize);
    let path = viewer.wait_event("path", T);
    assert_eq!(path["path"], "direct", "loopback UDP works here: no relay");
    viewer.wait_event("connected", T);
    Setup {
        x,
        dir,
        _xterm: xterm,
        _portal: portal,
        agent,
        viewer,
    }
}

/// Waits until the viewer's picture equals X's own screenshot, pixel for pixel.
fn wait_until_pictures_match(s: &mut Setup) -> Vec<u8> {
    tandem_e2e::wait_pictures_match(&s.x, &mut s.viewer, &s.dir, T)
}

#[test]
fn the_viewer_shows_exactly_what_x_shows_after_a_change() {
    let mut s = setup("pixels", "view");
    let before = wait_until_pictures_match(&mut s);
    s.x.set_background("#2a6f97");
    let after = wait_until_pictures_match(&mut s);
    assert_ne!(before, after, "the change must be visible");
    // the change reached the viewer: a background pixel far from the xterm is the new colour
    let (w, _, _) = s.x.screenshot();
    let px = ((600 * w + 1000) * 3) as usize;
    assert_eq!(&after[px..px + 3], &[0x2a, 0x6f, 0x97]);
}

#[test]
fn scrolled_text_arrives_as_moves_and_stays_pixel_exact() {
    let mut s = setup("scroll", "control");
    let before = wait_until_pictures_match(&mut s);
    s.viewer.send(json!({"cmd": "click", "x": 200, "y": 150}));
    wait_for("the click position", T, || {
        (s.x.pointer() == (200, 150)).then_some(())
    });
    // Slow enough that X scrolls line by line (each step a move), fast enough to be quick.
    s.viewer.send(json!({"cmd": "type", "text": "for i in $(seq 1 120); do echo scrolled line $i; sleep 0.005; done"}));
    s.viewer.send(json!({"cmd": "key", "key": "Return"}));
    wait_for("the xterm to finish scrolling", T, || {
        let (_, _, now) = s.x.screenshot();
        std::thread::sleep(Duration::from_millis(300));
        let (_, _, later) = s.x.screenshot();
        (now != before && now == later).then_some(())
    });
    let after = wait_until_pictures_match(&mut s);
    assert_ne!(before, after);
}

#[test]
fn the_customers_pointer_travels_as_shape_and_position() {
    let mut s = setup("cursor", "view");
    let shape = s.viewer.wait_event("cursor_shape", T);
    assert!(shape["width"].as_u64().is_some_and(|w| w > 0), "{shape}");
    // The customer moves the mouse (view only: the viewer cannot).
    s.x.xdotool(&["mousemove", "321", "123"]);
    s.viewer
        .proc
        .wait_line("the pointer's new position", T, |l| {
            serde_json::from_str::<serde_json::Value>(l)
                .is_ok_and(|v| v["event"] == "cursor" && v["x"] == 321 && v["y"] == 123)
        });
}

#[test]
fn clicks_and_typing_from_the_viewer_arrive_in_x() {
    let mut s = setup("input", "control");
    s.viewer.send(json!({"cmd": "move", "x": 777, "y": 555}));
    wait_for("the pointer to move", T, || {
        (s.x.pointer() == (777, 555)).then_some(())
    });
    // focus follows the pointer (no window manager): point at the xterm, click, type
    let marker = s.dir.path("typed.txt");
    s.viewer.send(json!({"cmd": "click", "x": 200, "y": 150}));
    wait_for("the click position", T, || {
        (s.x.pointer() == (200, 150)).then_some(())
    });
    s.viewer.send(
        json!({"cmd": "type", "text": format!("echo typed-through-tandem > {}", marker.display())}),
    );
    s.viewer.send(json!({"cmd": "key", "key": "Return"}));
    let content = wait_for("the typed command's file", T, || {
        std::fs::read_to_string(&marker)
            .ok()
            .filter(|c| c.ends_with('\n'))
    });
    assert_eq!(content, "typed-through-tandem\n");
}

#[test]
fn view_only_consent_keeps_input_out_of_x() {
    let mut s = setup("viewonly", "view");
    let start = s.x.pointer();
    s.viewer.send(json!({"cmd": "move", "x": 611, "y": 433}));
    // headless viewers send input unchecked: the refusal comes from the agent itself
    let refused = s.viewer.wait_event("refused", T);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("do not have control")),
        "{refused}"
    );
    assert_eq!(s.x.pointer(), start);
}

#[test]
fn the_customer_can_decline_and_the_representative_learns_it() {
    let dir = TempDir::new("decline");
    let x = Xvfb::start(640, 480);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let mut agent = agent(&x.display, &code.join_url, "");
    agent.wait_line("the consent question", T, |l| {
        l.contains("asks to see your screen")
    });
    agent.send_line("n");
    assert_eq!(agent.wait_exit(T), Some(4), "stderr: {}", agent.stderr());
    assert!(agent.stderr().contains("declined"));
    let ended = viewer.wait_event("ended", T);
    assert!(
        ended["reason"]
            .as_str()
            .is_some_and(|r| r.contains("declined")),
        "{ended}"
    );
}

#[test]
fn the_customer_ends_the_session_and_the_viewer_is_told() {
    let mut s = setup("end", "control");
    s.agent.send_line("end");
    let ended = s.viewer.wait_event("ended", T);
    assert!(
        ended["reason"]
            .as_str()
            .is_some_and(|r| r.contains("customer ended")),
        "{ended}"
    );
    assert_eq!(s.agent.wait_exit(T), Some(0));
}
