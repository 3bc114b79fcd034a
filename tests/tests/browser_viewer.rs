//! The browser viewer: a specialist opens the invitation link in headless Chromium, gives a
//! name, and sees the customer's screen over real WebRTC (or the portal's relay) from a real
//! agent on Xvfb — pixel-exact where the picture is lossless, input only with the right,
//! checked by X itself. Screenshots go to `target/tmp/browser-viewer/`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tandem_e2e::browser::{Browser, decode_base64, repo_root};
use tandem_e2e::netns::Netns;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{ADMIN_PASSWORD, Portal, Proc, TempDir, Viewer, agent_command, wait_for};

const T: Duration = Duration::from_secs(30);
const PAGE: &str = "sam";
/// The part of the screen the xterm is in (and some desktop around it): compared pixel by pixel.
const REGION: (u32, u32, u32, u32) = (0, 0, 720, 400);

fn shots() -> PathBuf {
    repo_root().join("target/tmp/browser-viewer")
}

struct Setup {
    x: Xvfb,
    dir: TempDir,
    _xterm: Proc,
    _portal: Portal,
    agent: Proc,
    host: Viewer,
    b: Browser,
}

/// Xvfb with an xterm, a portal, the host's headless viewer, the customer's agent (which allows
/// control), a specialist invited with `rights`, and Chromium on the invitation link.
/// With `netns`, portal, agent, host and browser all run inside it.
fn setup(tag: &str, rights: &str, netns: Option<&Netns>, agent_args: &[&str]) -> (Setup, Value) {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(1024, 640);
    let xterm = x.xterm(
        30,
        40,
        "printf 'Tandem browser viewer: known text\\n'; exec sh",
    );
    let portal = Portal::start_in(netns, &dir, "127.0.0.1:0", &[]);
    let code = portal.create_code("Alice");
    let mut host = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let extra: Vec<&std::ffi::OsStr> = agent_args.iter().map(|a| a.as_ref()).collect();
    let agent = Proc::spawn(
        "agent",
        portal.wrap(agent_command(&x.display, &code.join_url, "control", &extra)),
    );
    host.wait_event("connected", T);
    host.send(json!({"cmd": "invite_specialist", "rights": rights}));
    let inv = host.wait_portal("specialist_invited", T);
    // The portal's certificate is self-signed (its pin is in the link, which a browser cannot use).
    let b = Browser::launch_in(netns, true, &[]);
    let s = Setup {
        x,
        dir,
        _xterm: xterm,
        _portal: portal,
        agent,
        host,
        b,
    };
    (s, inv)
}

impl Setup {
    /// Opens the link, enters the name and waits for the first picture.
    fn join(&mut self, inv: &Value, name: &str) {
        let link = inv["join_url"].as_str().expect("join_url");
        self.b.goto(PAGE, link);
        self.b.wait_visible(PAGE, "[data-testid=name-prompt]", T);
        self.b.fill(PAGE, "[data-testid=specialist-name]", name);
        self.b.click(PAGE, "[data-testid=join]");
        self.b
            .wait_text(PAGE, "[data-testid=viewer-status]", "Connected", T);
        wait_for("the first picture", T, || {
            let frames = self
                .b
                .eval(PAGE, "Number(document.body.dataset.frames ?? 0)");
            (frames.as_u64().unwrap_or(0) > 0).then_some(())
        });
    }

    fn wait_until_canvas_matches_x(&mut self, what: &str) -> Vec<u8> {
        wait_until_canvas_matches_x(&mut self.b, PAGE, &self.x, what)
    }

    fn click_screen_at(&mut self, x: u32, y: u32) {
        self.b.click_on_screen(PAGE, (1024, 640), (x, y));
    }

    fn x_rgb(&self) -> Vec<u8> {
        x_rgb(&self.x)
    }

    fn screenshot(&mut self, name: &str) {
        let path = shots().join(name);
        self.b.screenshot(PAGE, &path, false);
    }
}

/// The canvas's pixels of REGION as RGB (what the page's canvas holds, read back).
fn canvas_rgb(b: &mut Browser, page: &str) -> Option<Vec<u8>> {
    let (x, y, w, h) = REGION;
    let v = b.eval(
        page,
        &format!("window.tandemViewer.pixels({x}, {y}, {w}, {h})"),
    );
    let rgba = decode_base64(v.as_str()?)?;
    Some(
        rgba.chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
    )
}

/// X's own pixels of REGION as RGB.
fn x_rgb(x: &Xvfb) -> Vec<u8> {
    let (sw, _, all) = x.screenshot();
    let (rx, ry, w, h) = REGION;
    (ry..ry + h)
        .flat_map(|row| {
            let start = ((row * sw + rx) * 3) as usize;
            all[start..start + (w * 3) as usize].to_vec()
        })
        .collect()
}

/// Waits until the canvas equals X in REGION, pixel for pixel; returns the pixels.
fn wait_until_canvas_matches_x(b: &mut Browser, page: &str, x: &Xvfb, what: &str) -> Vec<u8> {
    let deadline = Instant::now() + T;
    let mut differing = usize::MAX;
    loop {
        let want = x_rgb(x);
        if let Some(canvas) = canvas_rgb(b, page) {
            if canvas == want {
                return canvas;
            }
            if canvas.len() == want.len() {
                differing = canvas.iter().zip(&want).filter(|(a, b)| a != b).count();
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the canvas never matched X ({differing} bytes differ)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the page has shown at least one picture.
fn wait_first_picture(b: &mut Browser, page: &str) {
    wait_for("the first picture", T, || {
        let frames = b.eval(page, "Number(document.body.dataset.frames ?? 0)");
        (frames.as_u64().unwrap_or(0) > 0).then_some(())
    });
}

#[test]
fn the_canvas_equals_x_after_a_change_and_after_a_scroll() {
    let (mut s, inv) = setup("bv-pixels", "control", None, &[]);
    s.join(&inv, "Sam Specialist");
    let before = s.wait_until_canvas_matches_x("the first picture");
    // a change: the desktop's colour
    s.x.set_background("#2a6f97");
    let changed = s.wait_until_canvas_matches_x("after a change");
    assert_ne!(before, changed, "the change must be visible");
    // a scroll: the xterm scrolls line by line (copy tiles), typed through X itself
    s.x.xdotool(&["mousemove", "200", "150"]);
    s.x.xdotool(&[
        "type",
        "--delay",
        "1",
        "for i in $(seq 1 120); do echo scrolled line $i; sleep 0.005; done\n",
    ]);
    wait_for("the xterm to finish scrolling", T, || {
        let now = s.x_rgb();
        std::thread::sleep(Duration::from_millis(300));
        (now != changed && now == s.x_rgb()).then_some(())
    });
    let scrolled = s.wait_until_canvas_matches_x("after a scroll");
    assert_ne!(changed, scrolled);
    s.screenshot("scrolled.png");
    let timeline = s.b.eval(
        PAGE,
        "performance.getEntriesByType('mark').filter((m) => m.name.startsWith('tandem:')).map((m) => `${m.name.slice(7)} ${Math.round(m.startTime)}`).join(', ')",
    );
    eprintln!("name entered -> first frame, page clock in ms: {timeline}");
}

#[test]
fn a_view_only_specialist_reaches_nothing_and_control_once_granted_reaches_x() {
    let (mut s, inv) = setup("bv-input", "view", None, &[]);
    s.join(&inv, "Sam Specialist");
    s.b.wait_text(PAGE, "[data-testid=viewer-rights]", "View only", T);
    s.x.xdotool(&["mousemove", "700", "500"]);
    let leaked = s.dir.path("leaked.txt");
    // a person's clicks and keys on the canvas
    s.click_screen_at(200, 150);
    s.b.keyboard_type(PAGE, &format!("echo leaked > {}\n", leaked.display()));
    // and the same sent by force through the page's script, past its own check
    for ev in [
        json!({"type": "pointer_move", "x": 200, "y": 150}),
        json!({"type": "pointer_button", "button": 1, "down": true}),
        json!({"type": "pointer_button", "button": 1, "down": false}),
        json!({"type": "text", "text": format!("echo leaked > {}\n", leaked.display())}),
    ] {
        let sent =
            s.b.eval(PAGE, &format!("window.tandemViewer.forceInput({ev})"));
        assert_eq!(sent, json!(true), "the page put it on the input channel");
    }
    // the agent refuses (and says so, once); X saw nothing. Input is one ordered channel, so
    // the file checks after the grant below prove the forced text was refused too.
    wait_for("the agent's refusal", T, || {
        let n =
            s.b.eval(PAGE, "Number(document.body.dataset.refusals ?? 0)");
        (n.as_u64().unwrap_or(0) >= 1).then_some(())
    });
    s.b.wait_text(
        PAGE,
        "[data-testid=viewer-notice]",
        "do not have control",
        T,
    );
    assert_eq!(s.x.pointer(), (700, 500), "the pointer must not move");
    assert!(!leaked.exists());

    // the host grants control: the page says so at once, and input reaches X
    let roster = s.host.wait_portal_where("roster", T, |r| {
        r["attendees"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["name"] == "Sam Specialist"))
    });
    let sam = roster["attendees"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "Sam Specialist"))
        .and_then(|a| a["id"].as_u64())
        .expect("Sam's id");
    s.host
        .send(json!({"cmd": "grant", "attendee": sam, "rights": "control"}));
    s.b.wait_text(
        PAGE,
        "[data-testid=viewer-notice]",
        "Your rights changed",
        T,
    );
    s.b.wait_text(PAGE, "[data-testid=viewer-rights]", "control the screen", T);
    s.click_screen_at(200, 150);
    wait_for("the click through the scaled canvas", T, || {
        (s.x.pointer() == (200, 150)).then_some(())
    });
    // a line typed and killed with Ctrl+U (a modifier shortcut), then a command with a non-ASCII
    // character, typed key by key
    let typed = s.dir.path("typed.txt");
    s.b.keyboard_type(PAGE, "echo wrong");
    s.b.keyboard_press(PAGE, "Control+U");
    s.b.keyboard_type(PAGE, "echo gr");
    s.b.keyboard_press(PAGE, "ü");
    s.b.keyboard_type(PAGE, &format!("n > {}\n", typed.display()));
    let content = wait_for("the typed command's file", T, || {
        std::fs::read(&typed).ok().filter(|c| c.ends_with(b"\n"))
    });
    // ü as the xterm's locale writes it: UTF-8, or Latin-1 in the C locale
    assert!(
        content == "grün\n".as_bytes() || content == b"gr\xfcn\n",
        "{content:?}"
    );
    assert!(!leaked.exists(), "nothing sent before the grant was typed");
    s.screenshot("control.png");
}

#[test]
fn names_notices_removal_and_a_cancelled_key() {
    let (mut s, inv) = setup("bv-people", "view", None, &[]);
    // a cancelled key gets a clear page, not a name prompt
    s.host
        .send(json!({"cmd": "invite_specialist", "rights": "view"}));
    let cancelled = s
        .host
        .wait_portal_where("specialist_invited", T, |v| v["key"] != inv["key"]);
    s.host
        .send(json!({"cmd": "cancel_specialist", "key": cancelled["key"]}));
    s.host.wait_portal("specialist_invitation_cancelled", T);
    let status =
        s.b.goto("late", cancelled["join_url"].as_str().expect("link"));
    assert_eq!(status, Some(410));
    s.b.wait_text("late", "body", "cancelled", T);

    // the prompt asks the name; the customer is told; the page lists everyone
    s.join(&inv, "Sam Specialist");
    s.agent.wait_line("the customer told Sam joined", T, |l| {
        l.contains("Sam Specialist now sees your screen")
    });
    s.b.wait_text(PAGE, "[data-testid=attendee]", "Sam Specialist (you)", T);
    s.b.wait_text(
        PAGE,
        "[data-testid=viewer-title]",
        "Support session with",
        T,
    );
    // chat both ways
    s.host
        .send(json!({"cmd": "chat", "text": "Hello Sam", "reps_only": false}));
    s.b.wait_text(PAGE, "[data-testid=chat-log]", "Hello Sam", T);
    s.b.fill(PAGE, "[data-testid=chat-input]", "Hi, looking now");
    s.b.click(PAGE, "[data-testid=chat-send]");
    s.host
        .wait_portal_where("chat", T, |c| c["text"] == "Hi, looking now");
    s.screenshot("session.png");

    // the host removes Sam: the page says so at once
    let sam =
        s.b.eval(PAGE, "window.tandemViewer.state().you")
            .as_u64()
            .expect("Sam's id");
    s.host.send(json!({"cmd": "remove", "attendee": sam}));
    s.b.wait_text(PAGE, "[data-testid=ended-reason]", "removed you", T);
    s.screenshot("removed.png");
}

#[test]
fn with_udp_blocked_the_page_falls_back_to_the_relay_and_still_matches() {
    // Every UDP datagram dropped: ICE never completes, the agent asks the portal for its relay.
    let ns = Netns::udp_blocked("bv-relay");
    let (mut s, inv) = setup("bv-relay", "view", Some(&ns), &["--direct-timeout", "2"]);
    s.join(&inv, "Sam Specialist");
    s.b.wait_text(PAGE, "[data-testid=viewer-status]", "through the portal", T);
    s.wait_until_canvas_matches_x("over the relay");
    s.x.set_background("#6f972a");
    s.wait_until_canvas_matches_x("a change over the relay");
}

#[test]
fn a_representative_watches_and_hosts_from_the_console() {
    let dir = TempDir::new("bv-console");
    let x = Xvfb::start(1024, 640);
    let _xterm = x.xterm(
        30,
        40,
        "printf 'Tandem console viewer: known text\\n'; exec sh",
    );
    let portal = Portal::start(&dir, &["--no-tls"]);
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    let mut b = Browser::launch();
    let rep = "rep";
    b.sign_in_console(&base, rep, ("admin", ADMIN_PASSWORD), "default");
    b.wait_visible(rep, "[data-testid=rep-name]", T);
    b.fill(rep, "[data-testid=code-customer]", "Kim");
    b.click(rep, "[data-testid=code-create]");
    b.wait_count(rep, "[data-testid=code-row]", 1, T);
    let code = b
        .attr(rep, "[data-testid=code-row]", "data-code")
        .expect("a code");
    b.click(rep, "[data-testid=copy-url]");
    let join_url = b.clipboard(rep);
    b.click(rep, "[data-testid=open-session]");
    let pane = format!("[data-testid=session-{code}]");
    // "Open in viewer" hands the native viewer the code, this portal (with its address as the
    // viewer must be given it) and the user (see packages.rs, which opens such a link).
    let open = b
        .attr(rep, &format!("{pane} [data-testid=open-viewer]"), "href")
        .expect("the viewer link");
    assert!(
        open.starts_with(&format!("tandem://join?code={code}&portal=http"))
            && open.ends_with("&user=admin"),
        "{open}"
    );
    // Watching before the customer is there: the pane waits for the customer's computer.
    b.click(rep, &format!("{pane} [data-testid=watch-screen]"));
    b.wait_text(
        rep,
        &format!("{pane} [data-testid=screen-status]"),
        "Waiting",
        T,
    );

    let (inbox, share) = (dir.path("inbox"), dir.path("share"));
    for d in [&inbox, &share] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(share.join("report.txt"), "the customer's report\n").expect("write");
    let files = tandem_e2e::file_sharing_args(&inbox, &share);
    let mut agent = Proc::spawn(
        "agent",
        agent_command(&x.display, &join_url, "control", &files),
    );
    b.wait_text(
        rep,
        &format!("{pane} [data-testid=screen-status]"),
        "Connected",
        T,
    );
    wait_first_picture(&mut b, rep);
    wait_until_canvas_matches_x(&mut b, rep, &x, "the representative's picture");

    // The host controls: a click through the pane's scaled canvas, typed text.
    b.click_on_screen(rep, (1024, 640), (200, 150));
    wait_for("the representative's click", T, || {
        (x.pointer() == (200, 150)).then_some(())
    });
    let typed = dir.path("host.txt");
    b.keyboard_type(
        rep,
        &format!("echo from-the-console > {}\n", typed.display()),
    );
    let content = wait_for("the host's typed command", T, || {
        std::fs::read_to_string(&typed)
            .ok()
            .filter(|c| c.ends_with('\n'))
    });
    assert_eq!(content, "from-the-console\n");

    // The customer takes control away; the representative asks for it back from the pane:
    // "Not now" first, then allowed, and input reaches X again.
    agent.send_line("stop-control");
    b.wait_text(
        rep,
        &format!("{pane} [data-testid=screen-status]"),
        "View only",
        T,
    );
    let status = format!("{pane} [data-testid=screen-status]");
    for (answer, then) in [
        ("keep-control 2", "did not give control back"),
        ("give-control", "You may control"),
    ] {
        b.click(rep, &format!("{pane} [data-testid=ask-control]"));
        agent.wait_line("the customer is asked for control", T, |l| {
            l.contains("asks to use your mouse and keyboard again")
        });
        agent.send_line(answer);
        b.wait_text(rep, &status, then, T);
    }
    b.wait_hidden(rep, &format!("{pane} [data-testid=ask-control]"), T);
    x.xdotool(&["mousemove", "600", "500"]);
    b.click_on_screen(rep, (1024, 640), (210, 160));
    wait_for("a click after control came back", T, || {
        (x.pointer() == (210, 160)).then_some(())
    });

    // Files: one sent from the browser lands in the customer's folder; one fetched from the
    // customer's shared folder is saved by the browser, byte for byte.
    let notes = dir.path("notes for Kim.txt");
    std::fs::write(&notes, "steps to try: restart the spooler\n").expect("write");
    b.set_files(rep, &format!("{pane} [data-testid=file-picker]"), &[&notes]);
    b.wait_visible(
        rep,
        &format!("{pane} [data-testid=transfers] [data-state=complete]"),
        T,
    );
    assert_eq!(
        std::fs::read_to_string(inbox.join("notes for Kim.txt")).expect("the sent file arrived"),
        "steps to try: restart the spooler\n"
    );
    b.click(rep, &format!("{pane} [data-testid=browse]"));
    b.wait_text(
        rep,
        &format!("{pane} [data-testid=dir-listing]"),
        "report.txt",
        T,
    );
    b.click(rep, &format!("{pane} [data-testid=dir-entry]"));
    b.click(rep, &format!("{pane} [data-testid=fetch-file]"));
    b.wait_visible(rep, &format!("{pane} [data-testid^=save-file-]"), T);
    b.screenshot(rep, &shots().join("console-files.png"), false);
    let saved = dir.path("saved.txt");
    let suggested = b.download(rep, &format!("{pane} [data-testid^=save-file-]"), &saved);
    assert_eq!(suggested, "report.txt");
    assert_eq!(
        std::fs::read_to_string(&saved).expect("the fetched file was saved"),
        "the customer's report\n"
    );

    // Host controls in the same pane: invite a specialist (who joins in the browser), give
    // them control, end the session.
    b.click(rep, &format!("{pane} [data-testid=invite-specialist]"));
    b.wait_visible(rep, &format!("{pane} [data-testid^=specialist-]"), T);
    let link = b.text(rep, &format!("{pane} [data-testid=specialist-link]"));
    b.goto(PAGE, link.trim());
    b.fill(PAGE, "[data-testid=specialist-name]", "Sam Specialist");
    b.click(PAGE, "[data-testid=join]");
    b.wait_text(PAGE, "[data-testid=viewer-status]", "Connected", T);
    b.wait_text(
        rep,
        &format!("{pane} [data-testid=attendees]"),
        "Sam Specialist",
        T,
    );
    b.screenshot(rep, &shots().join("console-watching.png"), true);
    let grant = b
        .eval(
            rep,
            "document.querySelector('[data-testid^=grant-control-]')?.dataset.testid ?? ''",
        )
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !grant.is_empty(),
        "an Allow control button for the specialist"
    );
    b.click(rep, &format!("{pane} [data-testid={grant}]"));
    b.wait_text(PAGE, "[data-testid=viewer-rights]", "control the screen", T);
    b.click(rep, &format!("{pane} [data-testid=end-session]"));
    b.wait_text(PAGE, "[data-testid=ended-reason]", "ended", T);
    drop(agent);
}
