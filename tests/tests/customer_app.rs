//! The customer app's window on a real X server: its buttons are clicked with xdotool at the
//! positions the app's own layout reports (the `--ui-trace` automation file), and what they
//! do is checked where it matters — in the viewer's rights and in X's pointer. Each window
//! state is kept as a PNG in target/tmp/customer-app/.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tandem_e2e::customer_window::{CustomerWindow, keep_png};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, customer_app_command, has_right, wait_for};

const T: Duration = Duration::from_secs(30);

/// Fields drop in order: the processes before the X server and the portal they use.
struct App {
    agent: Proc,
    viewer: Viewer,
    portal: Portal,
    x: Xvfb,
    dir: TempDir,
    trace: PathBuf,
    shared: PathBuf,
    inbox: PathBuf,
}

fn start(tag: &str) -> App {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(1024, 700);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer_in(&code.code.digits(), &dir.path("downloads"));
    viewer.wait_event("waiting", T);
    let trace = dir.path("window.json");
    let shared = dir.path("shared");
    let inbox = dir.path("inbox");
    std::fs::create_dir_all(shared.join("docs")).expect("shared");
    std::fs::write(shared.join("docs/notes.txt"), "private notes").expect("file");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::create_dir_all(dir.path("downloads")).expect("downloads");
    let extra: Vec<std::ffi::OsString> = vec![
        "--ui-trace".into(),
        trace.clone().into(),
        "--state-dir".into(),
        dir.path("state").into(),
        "--share-dir".into(),
        shared.clone().into(),
        "--files-dir".into(),
        inbox.clone().into(),
    ];
    let extra: Vec<&std::ffi::OsStr> = extra.iter().map(|s| s.as_os_str()).collect();
    let agent = Proc::spawn(
        "customer app",
        customer_app_command(&x.display, &code.join_url, &extra),
    );
    App {
        x,
        dir,
        portal,
        viewer,
        agent,
        trace,
        shared,
        inbox,
    }
}

impl App {
    fn window(&self) -> CustomerWindow {
        CustomerWindow {
            trace: self.trace.clone(),
        }
    }

    /// Waits until the window's trace satisfies `pred`; returns it.
    fn wait_window(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.window().wait(what, T, pred)
    }

    fn texts(trace: &Value) -> String {
        CustomerWindow::texts(trace)
    }

    /// Clicks a button of the window, as the customer would.
    fn click(&self, button: &str) {
        self.window().click(&self.x, button, T);
    }

    /// Keeps the whole screen as a PNG artefact.
    fn keep_png(&self, name: &str) {
        keep_png(&self.x, "customer-app", name);
    }
}

#[test]
fn allow_viewing_gives_the_representative_the_screen_and_nothing_else() {
    let mut app = start("app-view");
    let consent = app.wait_window("the consent dialog", |t| t["screen"] == "consent");
    let words = App::texts(&consent);
    assert!(words.contains("asks to see your screen"), "{words}");
    app.keep_png("consent-dialog");
    app.click("allow-viewing");
    let connected = app.viewer.wait_event("connected", T);
    assert!(has_right(&connected["rights"], "view"), "{connected}");
    assert!(!has_right(&connected["rights"], "control"), "{connected}");
    // Input is refused by the agent, as X shows.
    let before = app.x.pointer();
    app.viewer.send(json!({"cmd": "move", "x": 5, "y": 6}));
    app.viewer.wait_event("refused", T);
    assert_eq!(
        app.x.pointer(),
        before,
        "a view-only representative moved the pointer"
    );
    let session = app.wait_window("the session bar", |t| {
        t["shared"] == true && t["screen"] == "session"
    });
    assert!(
        App::texts(&session).contains("sees your screen"),
        "{session}"
    );
    app.keep_png("session-bar-view-only");
}

#[test]
fn stop_control_and_give_control_back_act_at_once_and_end_session_ends_it_for_everyone() {
    let mut app = start("app-control");
    app.click("allow-control");
    let connected = app.viewer.wait_event("connected", T);
    assert!(has_right(&connected["rights"], "control"), "{connected}");
    app.viewer
        .move_pointer_and_check(&app.x, (101, 102), "control as clicked");
    app.wait_window("the bar with control", |t| {
        App::texts(t).contains("can use your mouse and keyboard")
            && t["buttons"]["stop-control"].is_array()
    });
    app.keep_png("session-bar-control");

    app.click("stop-control");
    let rights = app.viewer.wait_event("rights", T);
    assert!(!has_right(&rights["rights"], "control"), "{rights}");
    assert!(
        has_right(&rights["rights"], "view"),
        "only control was taken: {rights}"
    );
    app.wait_window("the give-back button", |t| {
        t["buttons"]["give-control-back"].is_array()
    });
    let before = app.x.pointer();
    app.viewer.send(json!({"cmd": "move", "x": 300, "y": 301}));
    app.viewer.wait_event("refused", T);
    assert_eq!(
        app.x.pointer(),
        before,
        "input after Stop control reached X"
    );
    app.keep_png("session-bar-control-stopped");

    // The representative asks for control back: the window asks; "Not now" is told to them,
    // "Allow control" gives it back.
    app.viewer.send(json!({"cmd": "request_control"}));
    app.wait_window("the request for control", |t| {
        App::texts(t).contains("asks to use your mouse and keyboard again")
            && t["buttons"]["no-control-2"].is_array()
    });
    app.keep_png("control-asked");
    app.click("no-control-2");
    let refused = app.viewer.wait_event("refused", T);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not give control back")),
        "{refused}"
    );
    app.viewer.send(json!({"cmd": "request_control"}));
    app.wait_window("the request for control again", |t| {
        t["buttons"]["yes-control-2"].is_array()
    });
    app.click("yes-control-2");
    let rights = app.viewer.wait_event("rights", T);
    assert!(has_right(&rights["rights"], "control"), "{rights}");
    app.viewer
        .move_pointer_and_check(&app.x, (303, 304), "control given back");

    // With control comes the clipboard: a paste from the representative is said in the window.
    app.viewer
        .send(json!({"cmd": "clipboard", "text": "sudo systemctl restart cups"}));
    app.wait_window("the clipboard notice", |t| {
        App::texts(t).contains("put text (27 bytes) on your clipboard")
    });
    app.keep_png("clipboard-written");

    app.click("end-session");
    let ended = app.viewer.wait_event("ended", T);
    assert!(
        ended["reason"]
            .as_str()
            .is_some_and(|r| r.contains("customer ended")),
        "{ended}"
    );
    app.wait_window("the ended screen", |t| {
        t["screen"] == "ended" && t["shared"] == false
    });
    app.keep_png("session-ended");
    app.click("close");
    assert_eq!(app.agent.wait_exit(T), Some(0), "{}", app.agent.stderr());
}

#[test]
fn files_and_folders_are_asked_before_any_byte_leaves_and_masked_colleagues_are_never_named() {
    let mut app = start("app-files");
    app.click("allow-viewing");
    app.viewer.wait_event("connected", T);
    let _ = (&app.dir, &app.portal);

    // A masked colleague joins and watches: counted, never named.
    app.portal.add_rep("bob", "Bob Builder");
    let mut bob = app.portal.invitations("bob");
    wait_for("bob to be logged in", T, || {
        app.viewer.send(json!({"cmd": "list_reps"}));
        let reps = app.viewer.wait_portal("reps", T);
        let found = reps["reps"].as_array()?.iter().any(|r| r["user"] == "bob");
        found.then_some(())
    });
    app.viewer.send(json!({"cmd": "invite_rep", "user": "bob", "rights": "view+chat+files", "masked": true, "comment": "second opinion"}));
    let invitation = bob.wait_portal("invitation", T);
    bob.send(json!({"cmd": "accept", "invitation": invitation["id"]}));
    bob.wait_event("connected", T);
    let with_bob = app.wait_window("the unnamed colleague counted", |t| {
        App::texts(t).contains("1 more person from the support team")
    });
    bob.send(json!({"cmd": "chat", "text": "masked bob speaking"}));
    // Bob's folder request is refused by the agent: nobody can ask the customer on his behalf.
    bob.send(json!({"cmd": "fetch_file", "path": "docs/notes.txt"}));
    bob.wait_event("transfer", T);
    app.keep_png("attendees-with-masked-colleague");

    // The host offers a file: the window asks, and nothing is written before the answer.
    let local = app.dir.path("offer.txt");
    std::fs::write(&local, "hello customer").expect("offer");
    app.viewer.send(json!({"cmd": "send_file", "path": local}));
    let asked = app.wait_window("the file offer", |t| {
        App::texts(t).contains("wants to send you 'offer.txt'")
    });
    assert!(
        std::fs::read_dir(&app.inbox)
            .expect("inbox")
            .next()
            .is_none(),
        "bytes before the answer"
    );
    let offer_button = asked["buttons"]
        .as_object()
        .and_then(|b| b.keys().find(|k| k.starts_with("yes-transfer-")).cloned())
        .expect("an accept button");
    app.keep_png("file-offer");
    app.click(&offer_button);
    wait_for("the accepted file", T, || {
        (std::fs::read_to_string(app.inbox.join("offer.txt")).ok()? == "hello customer")
            .then_some(())
    });

    // The host asks for a file of the shared folder: the window asks first.
    app.viewer
        .send(json!({"cmd": "fetch_file", "path": "docs/notes.txt"}));
    let asked = app.wait_window("the folder question", |t| {
        App::texts(t).contains("wants to see the files in")
            && t["buttons"]
                .as_object()
                .is_some_and(|b| b.keys().any(|k| k.starts_with("yes-browse-")))
    });
    let allow = asked["buttons"]
        .as_object()
        .and_then(|b| b.keys().find(|k| k.starts_with("yes-browse-")).cloned())
        .expect("allow button");
    assert!(
        !app.dir.path("downloads/notes.txt").exists(),
        "fetched before the answer"
    );
    app.keep_png("folder-question");
    app.click(&allow);
    let fetch = app.wait_window("the copy question", |t| {
        t["buttons"]
            .as_object()
            .is_some_and(|b| b.keys().any(|k| k.starts_with("yes-transfer-2-")))
    });
    let copy = fetch["buttons"]
        .as_object()
        .and_then(|b| b.keys().find(|k| k.starts_with("yes-transfer-2-")).cloned())
        .expect("copy button");
    assert!(
        !app.dir.path("downloads/notes.txt").exists(),
        "fetched before the answer"
    );
    app.click(&copy);
    wait_for("the fetched file", T, || {
        (std::fs::read_to_string(app.dir.path("downloads/notes.txt")).ok()? == "private notes")
            .then_some(())
    });

    // Bob was never named anywhere in the window, and his chat never reached it.
    let last = app.wait_window("the copy reported", |t| App::texts(t).contains("notes.txt"));
    for t in [&with_bob, &last] {
        let words = App::texts(t);
        assert!(!words.contains("Bob"), "{words}");
        assert!(!words.contains("masked bob speaking"), "{words}");
    }
    let _ = &app.shared;
}

/// The terminal front-end: the customer's terminal gets sentences only — the log (with its
/// warnings) goes to a file, and nothing on the terminal carries an escape code.
#[test]
fn the_terminal_front_end_keeps_the_log_off_the_customers_terminal() {
    let dir = TempDir::new("app-terminal");
    let x = Xvfb::start(640, 400);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let state = dir.path("state");
    let extra: Vec<std::ffi::OsString> = vec![
        "--no-window".into(),
        "--pre-authorize".into(),
        "view".into(),
        "--state-dir".into(),
        state.clone().into(),
    ];
    let extra: Vec<&std::ffi::OsStr> = extra.iter().map(|s| s.as_os_str()).collect();
    let mut agent = Proc::spawn(
        "terminal agent",
        customer_app_command(&x.display, &code.join_url, &extra),
    );
    viewer.wait_event("connected", T);
    agent.wait_line("the view in words", T, |l| {
        l.contains("Administrator now sees your screen.")
    });
    viewer.send(json!({"cmd": "move", "x": 1, "y": 1}));
    viewer.wait_event("refused", T);
    // The refusal is a warning: in the log file, not on the terminal.
    let log = wait_for("the warning in the log file", T, || {
        let log = std::fs::read_to_string(state.join("agent.log")).ok()?;
        log.contains("dropped input").then_some(log)
    });
    agent.send_line("end");
    assert_eq!(agent.wait_exit(T), Some(0));
    let stderr = agent.stderr();
    assert!(
        !stderr.contains("INFO") && !stderr.contains("WARN"),
        "log on the terminal: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}') && !log.contains('\u{1b}'),
        "escape codes"
    );
    let _ = &portal;
}
