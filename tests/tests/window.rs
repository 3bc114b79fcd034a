//! The real viewer window (winit + softbuffer) on its own X server: it connects and shows the
//! customer's screen, as checked by reading the window's pixels back from X.

use std::process::Command;
use std::time::Duration;

use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, agent, wait_for};
use tandem_protocol::signal::CodeInfo;

const T: Duration = Duration::from_secs(30);

/// The customer's desktop (640x400, a plain background), the representative's own X server, a
/// portal and a code for Alice.
fn two_desks(tag: &str) -> (TempDir, Xvfb, Xvfb, Portal, CodeInfo) {
    let dir = TempDir::new(tag);
    let customer = Xvfb::start(640, 400);
    customer.set_background("#2a6f97");
    let rep_display = Xvfb::start(1024, 768);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    (dir, customer, rep_display, portal, code)
}

/// The window viewer on `rep_display`, joining the code's session with `cmd`'s settings.
fn window_viewer(rep_display: &Xvfb, mut cmd: Command, code: &CodeInfo) -> Proc {
    cmd.env("DISPLAY", &rep_display.display)
        .args(["join", &code.code.digits()]);
    Proc::spawn("window viewer", cmd)
}

#[test]
fn the_window_viewer_shows_the_customers_screen() {
    let (_dir, customer, rep_display, portal, code) = two_desks("window");
    let _window = window_viewer(&rep_display, portal.viewer_command(), &code);
    let _agent = agent(&customer.display, &code.join_url, "view");

    wait_for("a window titled as connected", T, || {
        let out = Command::new("xdotool")
            .env("DISPLAY", &rep_display.display)
            .args(["search", "--name", "Tandem .* connected"])
            .output()
            .ok()?;
        (out.status.success() && !out.stdout.is_empty()).then_some(())
    });
    // No window manager: the window sits at 0,0 and shows a 640x400 picture 1:1, with the
    // customer's pointer (at the screen's centre, where X starts it) drawn over it.
    let background = [0x2a, 0x6f, 0x97];
    wait_for(
        "the customer's background and pointer in the window",
        T,
        || {
            let (w, _, rgb) = rep_display.screenshot();
            let at = |x: u32, y: u32| {
                let i = ((y * w + x) * 3) as usize;
                [rgb[i], rgb[i + 1], rgb[i + 2]]
            };
            let screen = [at(100, 300), at(10, 10), at(630, 390)]
                .iter()
                .all(|p| *p == background);
            let pointer = (316..=324).any(|x| (196..=204).any(|y| at(x, y) != background));
            (screen && pointer).then_some(())
        },
    );
}

/// Copies `text` on `x` (through a file in `dir`).
fn copy_on(x: &Xvfb, dir: &TempDir, name: &str, text: &str) -> Proc {
    let file = dir.path(name);
    std::fs::write(&file, text).expect("write");
    x.copy_file(&file, "UTF8_STRING")
}

#[test]
fn the_window_viewer_shares_the_clipboard_with_the_representatives_desktop() {
    let (dir, customer, rep_display, portal, code) = two_desks("window-clipboard");
    let _window = window_viewer(&rep_display, portal.viewer_command(), &code);
    let _agent = agent(&customer.display, &code.join_url, "control");
    wait_for("a window titled as connected", T, || {
        let out = rep_display
            .command("xdotool")
            .args(["search", "--name", "Tandem .* connected"])
            .output()
            .ok()?;
        (out.status.success() && !out.stdout.is_empty()).then_some(())
    });

    // The customer copies: it is on the representative's clipboard.
    let _theirs = copy_on(&customer, &dir, "theirs.txt", "copied by the customer");
    wait_for(
        "the customer's copy on the representative's desktop",
        T,
        || {
            rep_display
                .clipboard_text()
                .filter(|c| c == "copied by the customer")
        },
    );

    // The representative copies something else on their desktop: it stays there…
    let _ours = copy_on(
        &rep_display,
        &dir,
        "ours.txt",
        "copied by the representative",
    );
    wait_for("the representative's copy", T, || {
        rep_display
            .clipboard_text()
            .filter(|c| c == "copied by the representative")
    });
    assert_eq!(
        customer.clipboard_text().as_deref(),
        Some("copied by the customer")
    );
    // …until they paste into the window: then it is on the customer's clipboard.
    rep_display.xdotool(&["mousemove", "200", "200"]);
    wait_for(
        "the pointer over the window on the customer's side",
        T,
        || (customer.pointer() == (200, 200)).then_some(()),
    );
    // No window manager gives the window the focus: xdotool does.
    rep_display.xdotool(&["search", "--name", "^Tandem", "windowfocus", "--sync"]);
    rep_display.xdotool(&["key", "ctrl+v"]);
    wait_for("the paste on the customer's clipboard", T, || {
        customer
            .clipboard_text()
            .filter(|c| c == "copied by the representative")
    });
}

#[test]
fn a_dropped_connection_dims_the_picture_and_says_so_in_the_window() {
    let (_dir, customer, rep_display, portal, code) = two_desks("window-banner");
    // The window reaches the portal through a proxy the test can cut and point elsewhere.
    let proxy = tandem_e2e::proxy::Proxy::start(portal.addr());
    let mut cmd = Command::new(tandem_e2e::binary("tandem-viewer"));
    cmd.env("TANDEM_PASSWORD", tandem_e2e::ADMIN_PASSWORD)
        .stdin(std::process::Stdio::null())
        .args(["--portal", &portal.url_at(proxy.addr), "--user", "admin"])
        .args(["--webrtc-bind", "127.0.0.1"]);
    let _window = window_viewer(&rep_display, cmd, &code);
    let _agent = agent(&customer.display, &code.join_url, "view");
    let at = |rgb: &[u8], w: u32, x: u32, y: u32| {
        let i = ((y * w + x) * 3) as usize;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    let background = [0x2a, 0x6f, 0x97];
    wait_for("the customer's background in the window", T, || {
        let (w, _, rgb) = rep_display.screenshot();
        (at(&rgb, w, 10, 10) == background).then_some(())
    });

    // The connection drops and cannot come back yet: the last picture stays, dimmed, with a
    // message in a box over its middle, instead of a picture that just stops changing.
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let dead = nowhere.local_addr().expect("its address");
    drop(nowhere);
    proxy.set_target(dead);
    proxy.cut();
    wait_for("the dimmed picture and the message", T, || {
        let (w, _, rgb) = rep_display.screenshot();
        let dimmed = at(&rgb, w, 10, 10) == [0x15, 0x37, 0x4b];
        // white-ish text inside the box in the middle of the 640x400 window
        let text = (100..540).any(|x| (160..240).any(|y| at(&rgb, w, x, y)[0] > 0xc0));
        (dimmed && text).then_some(())
    });
    tandem_e2e::customer_window::keep_png(&rep_display, "window", "connection-lost");

    // It comes back: the message goes, the picture is live again.
    proxy.set_target(portal.addr());
    wait_for("the live picture again", T, || {
        let (w, _, rgb) = rep_display.screenshot();
        (at(&rgb, w, 10, 10) == background && at(&rgb, w, 100, 200) == background).then_some(())
    });
}

#[test]
fn ask_for_control_in_the_window_and_the_customer_allows_it() {
    let (_dir, customer, rep_display, portal, code) = two_desks("window-ask");
    let _window = window_viewer(&rep_display, portal.viewer_command(), &code);
    // The customer allows viewing only.
    let mut agent = agent(&customer.display, &code.join_url, "view");
    let at = |x: u32, y: u32| {
        let (w, _, rgb) = rep_display.screenshot();
        let i = ((y * w + x) * 3) as usize;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // No window manager: the window sits at 0,0 with the 640x400 picture 1:1, and the button
    // in its top right corner.
    wait_for("the Ask for control button", T, || {
        (at(440, 12) == [0x1f, 0x6f, 0xeb]).then_some(())
    });
    tandem_e2e::customer_window::keep_png(&rep_display, "window", "ask-for-control");
    // a click on the button is the window's own: it does not reach the customer
    rep_display.xdotool(&["mousemove", "530", "26", "click", "1"]);
    agent.wait_line("the customer is asked", T, |l| {
        l.contains("asks to use your mouse and keyboard again")
    });
    wait_for("the button saying it asked", T, || {
        (at(440, 12) == [0x55, 0x55, 0x55]).then_some(())
    });
    agent.send_line("give-control");
    wait_for("the button gone", T, || {
        (at(440, 12) == [0x2a, 0x6f, 0x97]).then_some(())
    });
    // control: the pointer over the window moves the customer's pointer
    rep_display.xdotool(&["mousemove", "100", "300"]);
    wait_for("the customer's pointer where the window's is", T, || {
        (customer.pointer() == (100, 300)).then_some(())
    });
}
