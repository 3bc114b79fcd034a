//! Session recording end to end: an administrator turns recording on for a portal in the
//! console; a real customer app (agreed in advance to be recorded) sends its session to the
//! portal; the recording replays in a real Chromium to a final picture equal, pixel for
//! pixel, to the last frame the representative's viewer showed live, with the chat beside
//! it. A customer who refuses gets no recording: the session goes on, or, where the portal
//! requires recording, never starts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tandem_e2e::browser::{Browser, decode_base64};
use tandem_e2e::customer_window::{CustomerWindow, keep_png};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{
    ADMIN_PASSWORD, Portal, Proc, TempDir, agent_with, customer_app_command, wait_for,
    wait_pictures_match,
};

const T: Duration = Duration::from_secs(30);
const PAGE: &str = "admin";

fn shots() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/recording");
    std::fs::create_dir_all(&dir).expect("artefacts");
    dir
}

/// The administrator's console, on the management page.
fn admin_console(portal: &Portal) -> Browser {
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    let mut b = Browser::launch_with(true);
    b.sign_in_console(&base, PAGE, ("admin", ADMIN_PASSWORD), "default");
    b.wait_visible(PAGE, "#manage-open", T);
    b.click(PAGE, "#manage-open");
    b
}

/// Unticks (withholds) `function` for the default portal and waits until the page shows it
/// stored.
fn withhold_on_default_portal(b: &mut Browser, function: &str) {
    let sel = format!("tr[data-portal=\"default\"] input[data-function=\"{function}\"]");
    b.wait_visible(PAGE, &sel, T);
    b.check(PAGE, &sel, false);
    wait_for(&format!("{function} withheld"), T, || {
        let checked = b.eval(PAGE, &format!("document.querySelector('{sel}').checked"));
        (checked == json!(false)).then_some(())
    });
}

/// The replay's state (`window.tandemReplay.status()`).
fn replay_status(b: &mut Browser) -> Value {
    b.eval(
        PAGE,
        "window.tandemReplay ? window.tandemReplay.status() : null",
    )
}

#[test]
fn a_recorded_session_replays_in_the_browser_to_the_last_live_frame_with_its_chat() {
    let dir = TempDir::new("recording");
    let x = Xvfb::start(480, 320);
    let _xterm = x.xterm(10, 10, "echo recorded session; exec sh");
    let portal = Portal::start(&dir, &[]);
    let mut b = admin_console(&portal);
    withhold_on_default_portal(&mut b, "unrecorded");
    b.wait_visible(PAGE, "[data-testid=recording-hint]", T);

    let code = portal.create_code("Alice").code.digits();
    let mut host = portal.headless_viewer(&code);
    host.wait_event("waiting", T);
    let join = portal.join_link_at(portal.addr(), &code);
    let mut agent = agent_with(
        &x.display,
        &join,
        "control",
        &["--allow-recording".as_ref()],
    );
    host.wait_event("connected", T);
    agent.wait_line("the recording starts", T, |l| {
        l.contains("records this session (while someone sees")
    });

    // Something happens on the customer's screen, and in the chat.
    host.send(json!({"cmd": "chat", "text": "Hello Alice, I am recording this"}));
    x.xdotool(&["mousemove", "60", "60", "click", "1"]);
    x.xdotool(&["type", "--delay", "20", "echo the last live frame"]);
    x.xdotool(&["key", "Return"]);
    let live = wait_pictures_match(&x, &mut host, &dir, T);

    // The customer ends the session; the recording is complete.
    agent.send_line("end");
    agent.wait_exit(T);

    // The reports page lists it; the administrator watches it at 8×.
    b.click(PAGE, "#reports-open");
    b.wait_visible(PAGE, "#report-run", T);
    wait_for("the session's recording in the report", T, || {
        b.click(PAGE, "#report-run");
        std::thread::sleep(Duration::from_millis(300));
        (b.count(PAGE, "[data-testid=watch-recording]") > 0).then_some(())
    });
    b.screenshot(PAGE, &shots().join("reports.png"), true);
    b.click(PAGE, "[data-testid=watch-recording]");
    b.wait_visible(PAGE, "[data-testid=replay]", T);
    b.select(PAGE, "[data-testid=replay-speed]", "8");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let s = replay_status(&mut b);
        assert!(s["error"].is_null(), "the replay failed: {s}");
        if s["done"] == json!(true) {
            break s;
        }
        assert!(Instant::now() < deadline, "the replay never ended: {s}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status["frames"].as_u64() > Some(0), "{status}");
    assert!(status["chat"].as_u64() >= Some(1), "{status}");
    let chat = b.text(PAGE, "[data-testid=replay-chat]");
    assert!(chat.contains("Hello Alice, I am recording this"), "{chat}");

    // The replay's last picture is the last live frame, pixel for pixel.
    let (w, h, _) = x.screenshot();
    let v = b.eval(PAGE, &format!("window.tandemReplay.pixels(0, 0, {w}, {h})"));
    let rgba = v
        .as_str()
        .and_then(decode_base64)
        .expect("the replay's pixels");
    let replayed: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let differing = replayed.iter().zip(&live).filter(|(a, b)| a != b).count();
    assert!(
        replayed.len() == live.len() && differing == 0,
        "the replay ends on another picture: {differing} of {} bytes differ",
        live.len()
    );
    b.screenshot(PAGE, &shots().join("replay.png"), true);

    // Watching it is in the audit trail: the report's events say who watched.
    b.click(PAGE, "[data-testid=replay-close]");
    b.wait_visible(PAGE, "#report-run", T);
}

#[test]
fn a_customer_who_refuses_gets_no_recording_and_the_session_goes_on_unless_required() {
    let dir = TempDir::new("recording-refused");
    let x = Xvfb::start(320, 240);
    let portal = Portal::start(&dir, &[]);
    let mut b = admin_console(&portal);
    withhold_on_default_portal(&mut b, "unrecorded");

    // Asked, refused (agreed in advance to be seen, not to be recorded): the session goes on.
    let code = portal.create_code("Alice").code.digits();
    let mut host = portal.headless_viewer(&code);
    host.wait_event("waiting", T);
    let join = portal.join_link_at(portal.addr(), &code);
    let mut agent = agent_with(&x.display, &join, "control", &[]);
    agent.wait_line("the refusal said", T, |l| {
        l.contains("so it is not recorded")
    });
    host.wait_event("connected", T);
    host.move_pointer_and_check(&x, (50, 60), "input in an unrecorded session");
    agent.send_line("end");
    agent.wait_exit(T);
    let recordings = dir.path("portal.recordings");
    let files = std::fs::read_dir(&recordings).map_or(0, |d| d.count());
    assert_eq!(files, 0, "nothing was recorded in {}", recordings.display());

    // Required: the same refusal means the session never starts.
    withhold_on_default_portal(&mut b, "refuse_recording");
    let code = portal.create_code("Alice").code.digits();
    let mut host = portal.headless_viewer(&code);
    host.wait_event("waiting", T);
    let join = portal.join_link_at(portal.addr(), &code);
    let mut agent = agent_with(&x.display, &join, "control", &[]);
    let ended = host.wait_event("ended", T);
    assert!(
        ended["reason"]
            .as_str()
            .is_some_and(|r| r.contains("recording")),
        "{ended}"
    );
    assert_ne!(
        agent.wait_exit(T),
        Some(0),
        "the customer app says it did not start"
    );
    assert!(
        agent.stderr().contains("records every session"),
        "{}",
        agent.stderr()
    );

    // Neither session has a recording to watch.
    b.click(PAGE, "#reports-open");
    b.wait_visible(PAGE, "#report-run", T);
    b.click(PAGE, "#report-run");
    b.wait_count(PAGE, "tr[data-session]", 2, T);
    assert_eq!(b.count(PAGE, "[data-testid=watch-recording]"), 0);
}

#[test]
fn the_customer_allows_recording_in_the_window_and_is_shown_it_is_recorded() {
    let dir = TempDir::new("recording-window");
    let x = Xvfb::start(1024, 700);
    let portal = Portal::start(&dir, &[]);
    let mut b = admin_console(&portal);
    withhold_on_default_portal(&mut b, "unrecorded");
    drop(b);
    let code = portal.create_code("Alice");
    let mut host = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let trace = dir.path("window.json");
    let extra: Vec<&std::ffi::OsStr> = vec!["--ui-trace".as_ref(), trace.as_os_str()];
    let _app = Proc::spawn(
        "customer app",
        customer_app_command(&x.display, &code.join_url, &extra),
    );
    let window = CustomerWindow { trace };

    // The dialog says so, and recording is off until the customer ticks it.
    let consent = window.wait("the consent dialog", T, |t| t["screen"] == "consent");
    let words = CustomerWindow::texts(&consent);
    assert!(words.contains("asks to record this session"), "{words}");
    assert!(words.contains("Allow recording"), "{words}");
    window.click(&x, "allow-recording", T);
    let ticked = window.wait("the box ticked", T, |t| {
        CustomerWindow::texts(t).contains("Recording allowed")
    });
    assert_eq!(ticked["screen"], "consent");
    keep_png(&x, "recording", "consent-with-recording");
    window.click(&x, "allow-viewing", T);
    host.wait_event("connected", T);

    // The session bar says it is recorded, and the portal has the picture.
    window.wait("the recording shown while the screen is seen", T, |t| {
        t["screen"] == "session"
            && t["shared"] == true
            && CustomerWindow::texts(t).contains("being recorded")
    });
    keep_png(&x, "recording", "session-recorded");
    let folder = dir.path("portal.recordings");
    wait_for("the recording on the portal's disk", T, || {
        let file = std::fs::read_dir(&folder).ok()?.flatten().next()?;
        // More than the magic and the upload mark: the first picture is there.
        (file.metadata().ok()?.len() > 1000).then_some(())
    });
}
