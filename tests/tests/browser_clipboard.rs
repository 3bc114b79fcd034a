//! The shared clipboard in the browser viewer: a specialist with control pastes into the
//! customer's screen (Ctrl+V puts their clipboard on the customer's X clipboard first), gets
//! what the customer copies onto their own clipboard, and types the clipboard into a field
//! with "Type clipboard" — real Chromium, real agent, real Xvfb, checked with xclip.

use std::time::Duration;

use serde_json::{Value, json};
use tandem_e2e::browser::{Browser, repo_root};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, agent_command, wait_for};

const T: Duration = Duration::from_secs(30);
const PAGE: &str = "sam";

struct Setup {
    x: Xvfb,
    dir: TempDir,
    _xterm: Proc,
    _portal: Portal,
    _agent: Proc,
    _host: Viewer,
    b: Browser,
}

/// The customer's desktop with an xterm, the host, and a specialist with control in Chromium
/// (allowed to use the browser's clipboard), connected.
fn setup(tag: &str) -> Setup {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(1024, 640);
    let xterm = x.xterm(30, 40, "exec sh");
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut host = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let agent = Proc::spawn(
        "agent",
        portal.wrap(agent_command(&x.display, &code.join_url, "control", &[])),
    );
    host.wait_event("connected", T);
    host.send(json!({"cmd": "invite_specialist", "rights": "control"}));
    let inv = host.wait_portal("specialist_invited", T);
    let link = inv["join_url"].as_str().expect("join_url").to_owned();
    let mut b = Browser::launch_with(true);
    b.new_page(PAGE, Some(origin_of(&link)));
    b.goto(PAGE, &link);
    b.wait_visible(PAGE, "[data-testid=name-prompt]", T);
    b.fill(PAGE, "[data-testid=specialist-name]", "Sam Specialist");
    b.click(PAGE, "[data-testid=join]");
    b.wait_text(PAGE, "[data-testid=viewer-status]", "Connected", T);
    wait_for("the first picture", T, || {
        let frames = b.eval(PAGE, "Number(document.body.dataset.frames ?? 0)");
        (frames.as_u64().unwrap_or(0) > 0).then_some(())
    });
    Setup {
        x,
        dir,
        _xterm: xterm,
        _portal: portal,
        _agent: agent,
        _host: host,
        b,
    }
}

/// `https://127.0.0.1:1234` of `https://127.0.0.1:1234/join/…`.
fn origin_of(link: &str) -> &str {
    let after_scheme = link.find("://").map_or(0, |i| i + 3);
    let end = link[after_scheme..]
        .find('/')
        .map_or(link.len(), |i| after_scheme + i);
    &link[..end]
}

impl Setup {
    /// Clicks into the xterm on the customer's screen (through the scaled canvas) and waits
    /// until X has the pointer there, so keys go to the shell.
    fn focus_the_xterm(&mut self) {
        self.b.click_on_screen(PAGE, (1024, 640), (200, 150));
        wait_for("the pointer on the xterm", T, || {
            (self.x.pointer() == (200, 150)).then_some(())
        });
    }

    fn set_browser_clipboard(&mut self, text: &str) {
        let ok = self.b.eval(
            PAGE,
            &format!(
                "navigator.clipboard.writeText({}).then(() => true)",
                json!(text)
            ),
        );
        assert_eq!(ok, json!(true));
    }

    fn last_clipboard(&mut self) -> Value {
        self.b.eval(PAGE, "window.tandemViewer.lastClipboard()")
    }
}

#[test]
fn paste_copy_and_type_the_clipboard_from_the_browser() {
    let mut s = setup("browser-clipboard");
    s.b.wait_visible(PAGE, "[data-testid=clipboard-tools]", T);
    s.focus_the_xterm();

    // Ctrl+V on the screen: the representative's clipboard is on the customer's before the
    // keys arrive.
    s.set_browser_clipboard("pasted from the browser ✓");
    s.b.keyboard_press(PAGE, "Control+V");
    wait_for("the paste on the customer's clipboard", T, || {
        s.x.clipboard_text()
            .filter(|c| c == "pasted from the browser ✓")
    });

    // The customer copies: it lands on the representative's clipboard.
    let file = s.dir.path("copied.txt");
    std::fs::write(&file, "copied on the customer's desktop").expect("write");
    let _owner = s.x.copy_file(&file, "UTF8_STRING");
    // `copied` turns true once the browser's asynchronous clipboard write has finished
    let got = wait_for("the customer's copy on the browser's clipboard", T, || {
        let v = s.last_clipboard();
        (v["text"] == "copied on the customer's desktop" && v["copied"] == json!(true)).then_some(v)
    });
    assert_eq!(got["kind"], "text");
    assert_eq!(s.b.clipboard(PAGE), "copied on the customer's desktop");
    s.b.wait_text(
        PAGE,
        "[data-testid=viewer-notice]",
        "Customer's clipboard: text",
        T,
    );

    // "Type clipboard" types it as keystrokes, for fields that refuse pasting.
    let typed = s.dir.path("typed.txt");
    s.set_browser_clipboard(&format!("echo typed > {}\n", typed.display()));
    s.focus_the_xterm();
    s.b.click(PAGE, "[data-testid=type-clipboard]");
    let content = wait_for("the typed command's file", T, || {
        std::fs::read(&typed).ok().filter(|c| c.ends_with(b"\n"))
    });
    assert_eq!(content, b"typed\n");
    let shot = repo_root().join("target/tmp/browser-viewer/clipboard.png");
    s.b.screenshot(PAGE, &shot, false);
}
