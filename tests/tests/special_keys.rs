//! Keys a representative's own desktop or browser keeps for itself (Ctrl+Alt+Del, Super…),
//! sent from a menu or a command, and the wheel's buttons 4–7: each arrives on the customer's
//! X display as the key or button event it should be, as xev sees it on the root window.

use std::time::Duration;

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, agent_command};

const T: Duration = Duration::from_secs(30);

/// What xev printed on the root window, one event per item: `("KeyPress", "Control_L")`,
/// `("ButtonPress", "6")`.
struct Xev(Proc);

impl Xev {
    /// Listens to keys and buttons on the root window (where they go with nothing on screen).
    fn start(x: &Xvfb) -> Xev {
        // line-buffered: xev writes to a pipe here
        let mut cmd = x.command("stdbuf");
        cmd.args([
            "-oL", "xev", "-root", "-event", "keyboard", "-event", "button",
        ]);
        Xev(Proc::spawn("xev", cmd))
    }

    /// The next key or button event.
    fn next(&mut self) -> (String, String) {
        let head = self.0.wait_line("an event", T, |l| {
            ["KeyPress", "KeyRelease", "ButtonPress", "ButtonRelease"]
                .iter()
                .any(|k| l.starts_with(&format!("{k} event")))
        });
        let kind = head
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        let detail = self.0.wait_line("its detail", T, |l| {
            l.contains("keysym 0x") || l.contains("button ")
        });
        let what = if let Some(at) = detail.find("keysym 0x") {
            // "keycode 37 (keysym 0xffe3, Control_L), same_screen YES,"
            detail[at..]
                .split([',', ')'])
                .nth(1)
                .unwrap_or_default()
                .trim()
                .to_owned()
        } else {
            // "state 0x0, button 6, same_screen YES"
            detail
                .split("button ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .unwrap_or_default()
                .to_owned()
        };
        (kind, what)
    }

    /// Waits until xev listens (a key from xdotool shows up), then reads up to a marker key so
    /// that nothing from before is left to read.
    fn sync(&mut self, x: &Xvfb) {
        tandem_e2e::wait_for("xev to listen", T, || {
            x.xdotool(&["key", "Escape"]);
            let seen = self.0.next_line(Duration::from_millis(300));
            seen.filter(|l| l.starts_with("KeyPress event")).map(|_| ())
        });
        x.xdotool(&["key", "F12"]);
        while self.next() != ("KeyRelease".to_owned(), "F12".to_owned()) {}
    }

    fn expect(&mut self, events: &[(&str, &str)]) {
        for (kind, what) in events {
            assert_eq!(self.next(), ((*kind).to_owned(), (*what).to_owned()));
        }
    }
}

const CTRL_ALT_DEL: [(&str, &str); 6] = [
    ("KeyPress", "Control_L"),
    ("KeyPress", "Alt_L"),
    ("KeyPress", "Delete"),
    ("KeyRelease", "Delete"),
    ("KeyRelease", "Alt_L"),
    ("KeyRelease", "Control_L"),
];

#[test]
fn ctrl_alt_del_super_and_every_wheel_button_arrive_in_x() {
    let dir = TempDir::new("special-keys");
    let x = Xvfb::start(1024, 640);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut host: Viewer = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let _agent = Proc::spawn(
        "agent",
        portal.wrap(agent_command(&x.display, &code.join_url, "control", &[])),
    );
    host.wait_event("connected", T);
    let mut xev = Xev::start(&x);
    xev.sync(&x);

    // The host's viewer: a chord, then the wheel in all four directions.
    host.send(json!({"cmd": "keys", "keys": ["Control_L", "Alt_L", "Delete"]}));
    xev.expect(&CTRL_ALT_DEL);
    host.send(json!({"cmd": "wheel", "dy": 1}));
    host.send(json!({"cmd": "wheel", "dy": -1}));
    host.send(json!({"cmd": "wheel", "dx": -1}));
    host.send(json!({"cmd": "wheel", "dx": 1}));
    for button in ["5", "4", "6", "7"] {
        xev.expect(&[("ButtonPress", button), ("ButtonRelease", button)]);
    }

    // A specialist in the browser picks them from the menu.
    host.send(json!({"cmd": "invite_specialist", "rights": "control"}));
    let inv = host.wait_portal("specialist_invited", T);
    let mut b = Browser::launch_with(true);
    b.goto("sam", inv["join_url"].as_str().expect("join_url"));
    b.fill("sam", "[data-testid=specialist-name]", "Sam Specialist");
    b.click("sam", "[data-testid=join]");
    b.wait_text("sam", "[data-testid=viewer-status]", "Connected", T);
    b.wait_text("sam", "[data-testid=viewer-rights]", "control", T);
    b.select("sam", "[data-testid=special-keys]", "ctrl_alt_del");
    xev.expect(&CTRL_ALT_DEL);
    b.select("sam", "[data-testid=special-keys]", "super");
    xev.expect(&[("KeyPress", "Super_L"), ("KeyRelease", "Super_L")]);
}
