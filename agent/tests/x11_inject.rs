//! Input injection against a real Xvfb (one per test), checked by X: QueryPointer, events
//! delivered to a window, and the text an xterm's shell received.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use support::{XClient, Xvfb, temp_path, wait_until, xterm};
use tandem_agent::inject::{self, InjectError, Injector};
use tandem_protocol::input::{Button, InputEvent, keysym_by_name, keysym_for_char};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::KeyButMask;

const W: u16 = 1280;
const H: u16 = 800;
const PATIENCE: Duration = Duration::from_secs(10);

fn button(button: Button, down: bool) -> InputEvent {
    InputEvent::PointerButton { button, down }
}

fn key(keysym: u32, down: bool) -> InputEvent {
    InputEvent::Key { keysym, down }
}

fn tap(injector: &mut dyn Injector, keysym: u32) {
    injector.inject(&key(keysym, true)).expect("key down");
    injector.inject(&key(keysym, false)).expect("key up");
}

/// Starts an xterm whose shell runs `script` with the result path as `$1`, waits for its
/// window, and puts the pointer (hence, without a window manager, the focus) on it.
fn xterm_with_focus(
    xvfb: &Xvfb,
    script: &str,
    tag: &str,
) -> (support::ChildGuard, Box<dyn Injector>, std::path::PathBuf) {
    let x = XClient::connect(&xvfb.display);
    let out = temp_path(tag);
    let _ = std::fs::remove_file(&out);
    let guard = xterm(&xvfb.display, "80x10+0+0", script, &out);
    assert!(
        wait_until(PATIENCE, || x.has_viewable_child()),
        "xterm window appeared"
    );
    let mut injector = inject::open(Some(&xvfb.display)).expect("open injector");
    injector
        .inject(&InputEvent::PointerMove { x: 100, y: 50 })
        .expect("move");
    (guard, injector, out)
}

/// Waits for the file the xterm's script writes and returns its contents.
fn result_of(out: &std::path::Path) -> String {
    assert!(
        wait_until(PATIENCE, || out.exists()),
        "xterm's command did not run"
    );
    let typed = std::fs::read_to_string(out).expect("read result");
    let _ = std::fs::remove_file(out);
    typed
}

#[test]
fn pointer_moves_clicks_and_scrolls() {
    let xvfb = Xvfb::start(W, H);
    let x = XClient::connect(&xvfb.display);
    let window = x.input_window(100, 100, 400, 300);
    let mut injector = inject::open(Some(&xvfb.display)).expect("open injector");

    injector
        .inject(&InputEvent::PointerMove { x: 321, y: 234 })
        .expect("move");
    assert!(wait_until(PATIENCE, || {
        let (px, py, _) = x.pointer();
        (px, py) == (321, 234)
    }));

    injector.inject(&button(Button::LEFT, true)).expect("press");
    let held = wait_until(PATIENCE, || x.pointer().2.contains(KeyButMask::BUTTON1));
    assert!(held, "button 1 held");
    injector
        .inject(&button(Button::LEFT, false))
        .expect("release");
    let released = wait_until(PATIENCE, || !x.pointer().2.contains(KeyButMask::BUTTON1));
    assert!(released, "button 1 released");
    injector
        .inject(&button(Button::RIGHT, true))
        .expect("press");
    injector
        .inject(&button(Button::RIGHT, false))
        .expect("release");
    injector
        .inject(&InputEvent::Wheel { dx: 0, dy: 2 })
        .expect("scroll down");
    injector
        .inject(&InputEvent::Wheel { dx: -1, dy: 0 })
        .expect("scroll left");

    // The window saw: 1 press/release, 3 press/release, 5 twice, 6 once, at the pointer.
    let expected = [
        (1, true),
        (1, false),
        (3, true),
        (3, false),
        (5, true),
        (5, false),
        (5, true),
        (5, false),
        (6, true),
        (6, false),
    ];
    let mut seen = Vec::new();
    let complete = wait_until(PATIENCE, || {
        while let Some(event) = x.conn.poll_for_event().expect("event") {
            match event {
                Event::ButtonPress(e) if e.event == window => {
                    seen.push((e.detail, true, e.event_x, e.event_y))
                }
                Event::ButtonRelease(e) if e.event == window => {
                    seen.push((e.detail, false, e.event_x, e.event_y))
                }
                _ => {}
            }
        }
        seen.len() >= expected.len()
    });
    assert!(complete, "button events: {seen:?}");
    let buttons: Vec<(u8, bool)> = seen.iter().map(|&(b, down, _, _)| (b, down)).collect();
    assert_eq!(buttons, expected);
    let at_pointer = seen.iter().all(|&(_, _, ex, ey)| (ex, ey) == (221, 134));
    assert!(at_pointer, "window-relative positions: {seen:?}");
}

#[test]
fn keys_and_text_reach_an_xterm() {
    let xvfb = Xvfb::start(W, H);
    let script = r#"IFS= read -r line && printf '%s' "$line" > "$1.tmp" && mv "$1.tmp" "$1""#;
    let (_xterm, mut injector, out) = xterm_with_focus(&xvfb, script, "typed");

    let shift = keysym_by_name("Shift_L").expect("keysym");
    tap(injector.as_mut(), keysym_for_char('a'));
    tap(injector.as_mut(), keysym_for_char('b'));
    injector.inject(&key(shift, true)).expect("shift down");
    tap(injector.as_mut(), keysym_for_char('C')); // what a browser sends with Shift held
    tap(injector.as_mut(), keysym_for_char('1')); // Shift+1 on a US layout
    injector.inject(&key(shift, false)).expect("shift up");
    tap(injector.as_mut(), keysym_for_char('ä')); // Latin-1 keysym, not on a US keymap
    injector
        .inject(&InputEvent::Text(" Grüße, €5 & <ok>".into()))
        .expect("text");
    tap(injector.as_mut(), keysym_by_name("Return").expect("keysym"));

    assert_eq!(result_of(&out), "abC!ä Grüße, €5 & <ok>");
}

#[test]
fn text_with_a_line_break_presses_return() {
    let xvfb = Xvfb::start(W, H);
    let script = r#"IFS= read -r a && IFS= read -r b && printf '%s|%s' "$a" "$b" > "$1.tmp" && mv "$1.tmp" "$1""#;
    let (_xterm, mut injector, out) = xterm_with_focus(&xvfb, script, "lines");

    injector
        .inject(&InputEvent::Text("first line\r\nsecond\n".into()))
        .expect("text");

    assert_eq!(result_of(&out), "first line|second");
}

#[test]
fn text_types_every_printable_ascii_character() {
    let xvfb = Xvfb::start(W, H);
    let script = r#"IFS= read -r line && printf '%s' "$line" > "$1.tmp" && mv "$1.tmp" "$1""#;
    let (_xterm, mut injector, out) = xterm_with_focus(&xvfb, script, "ascii");

    let ascii: String = (' '..='~').collect();
    injector
        .inject(&InputEvent::Text(format!("{ascii}\n")))
        .expect("text");

    assert_eq!(result_of(&out), ascii);
}

#[test]
fn errors_name_the_display() {
    let err = inject::open(Some(":4999")).err().expect("no such display");
    assert!(matches!(err, InjectError::Connect { ref display, .. } if display == ":4999"));
    assert!(err.to_string().contains(":4999"), "{err}");
    // An empty name means "none given", tested without touching the process environment.
    assert!(matches!(
        inject::open(Some("")).err(),
        Some(InjectError::NoDisplay)
    ));
}
