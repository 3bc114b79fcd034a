//! A reboot of the customer's machine during a session: the representative asks, the agent
//! arranges its own restart (resume record + systemd user unit), "reboots" (a test command),
//! and is started again exactly as the unit would start it. The session continues with the
//! same attendees and rights, and input still reaches X.

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, binary, wait_for};

const T: Duration = Duration::from_secs(30);

#[test]
fn after_a_reboot_the_agent_rejoins_with_the_same_rights_and_input_works() {
    let dir = TempDir::new("reboot");
    let x = Xvfb::start(800, 500);
    let portal = Portal::start(&dir, &["--resume-window-secs", "120"]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);

    let home = dir.path("home");
    let state = dir.path("state");
    let marker = dir.path("rebooted");
    std::fs::create_dir_all(&home).expect("home");
    let mut cmd = Command::new(binary("tandem-agent"));
    cmd.args([
        "--join",
        &code.join_url,
        "--display",
        &x.display,
        "--pre-authorize",
        "control",
        "--accept-reboot",
    ])
    .arg("--state-dir")
    .arg(&state)
    .arg("--reboot-command")
    .arg(format!("touch {}", marker.display()))
    .env("HOME", &home)
    .env("TANDEM_WEBRTC_BIND", "127.0.0.1");
    let mut agent = Proc::spawn("agent", cmd);
    let connected = viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (101, 102), "input before the reboot");

    viewer.send(json!({"cmd": "reboot"}));
    viewer.wait_event("rebooting", T);
    wait_for("the reboot command", T, || marker.exists().then_some(()));
    // The machine goes down: whatever is left of the agent dies with it.
    let _ = agent.wait_exit(T);
    drop(agent);
    viewer.wait_event("reconnecting", T);

    // The resume record is private, and the unit is what brings the agent back.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join("resume.json"))
            .expect("resume record")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "resume record readable by others: {mode:o}"
        );
    }
    let unit =
        std::fs::read_to_string(home.join(".config/systemd/user/tandem-agent-resume.service"))
            .expect("unit written");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let display = unit
        .lines()
        .find_map(|l| l.strip_prefix("Environment=DISPLAY="))
        .expect("DISPLAY");
    assert_eq!(display, x.display);
    let mut words = exec.split_whitespace();
    let mut restart = Command::new(words.next().expect("program"));
    restart
        .args(words)
        .env("DISPLAY", display)
        .env("HOME", &home)
        .env("TANDEM_WEBRTC_BIND", "127.0.0.1");
    let _agent_again = Proc::spawn("agent after reboot", restart);

    viewer.wait_event("reconnected", T);
    let again = viewer.wait_event("connected", T);
    assert_eq!(
        again["rights"], connected["rights"],
        "rights unchanged, no second consent"
    );
    viewer.move_pointer_and_check(&x, (303, 304), "input after the reboot");
}

#[test]
fn a_dropped_portal_connection_recovers_by_itself_and_the_session_goes_on() {
    let dir = TempDir::new("portaldrop");
    let x = Xvfb::start(640, 400);
    let portal = Portal::start(&dir, &["--resume-window-secs", "60"]);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let portal_addr = portal.addr();
    let proxy = tandem_e2e::proxy::Proxy::start(portal_addr);
    let join = portal.join_link_at(proxy.addr, &code.code.digits());
    let mut agent = tandem_e2e::agent(&x.display, &join, "control");
    viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (111, 112), "input before the drop");

    proxy.cut();
    viewer.wait_portal("customer_away", T);
    agent.wait_line("the agent reconnecting", T, |l| {
        l.contains("Reconnected to the support portal")
    });
    viewer.wait_portal("customer_back", T);
    // The peer-to-peer link never dropped: input still flows, nothing was renegotiated.
    viewer.move_pointer_and_check(&x, (222, 223), "input after the drop");
    viewer.send(json!({"cmd": "chat", "text": "still here"}));
    agent.wait_line("chat through the new portal connection", T, |l| {
        l.contains("still here")
    });
}

#[test]
fn a_viewer_that_loses_the_portal_rejoins_by_itself() {
    let dir = TempDir::new("viewerdrop");
    let x = Xvfb::start(640, 400);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let portal_addr = portal.addr();
    let proxy = tandem_e2e::proxy::Proxy::start(portal_addr);
    let mut viewer = portal.headless_viewer_via(&portal.url_at(proxy.addr), &code.code.digits());
    viewer.wait_event("waiting", T);
    let _agent = tandem_e2e::agent(&x.display, &code.join_url, "control");
    viewer.wait_event("connected", T);

    proxy.cut();
    viewer.wait_event("reconnecting", T);
    viewer.wait_event("reconnected", T);
    viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (321, 123), "input after rejoining");
}

#[test]
fn a_portal_crash_and_restart_is_survived_by_agent_host_and_invited_rep() {
    let dir = TempDir::new("portalrestart");
    let x = Xvfb::start(640, 400);
    let portal = Portal::start(&dir, &["--resume-window-secs", "60"]);
    let code = portal.create_code("Alice");
    let proxy = tandem_e2e::proxy::Proxy::start(portal.addr());
    let via_proxy = portal.url_at(proxy.addr);
    let mut viewer = portal.headless_viewer_via(&via_proxy, &code.code.digits());
    viewer.wait_event("waiting", T);
    let mut agent = tandem_e2e::agent(
        &x.display,
        &portal.join_link_at(proxy.addr, &code.code.digits()),
        "control",
    );
    viewer.wait_event("connected", T);
    // An invited representative with control, also through the proxy.
    portal.add_rep("carol", "Carol Checker");
    let mut carol = portal.invitations_via(&via_proxy, "carol");
    wait_for("carol to be logged in", T, || {
        viewer.send(json!({"cmd": "list_reps"}));
        let reps = viewer.wait_portal("reps", T);
        reps["reps"]
            .as_array()?
            .iter()
            .any(|r| r["user"] == "carol")
            .then_some(())
    });
    viewer.send(json!({"cmd": "invite_rep", "user": "carol", "rights": "control", "masked": false, "comment": "restart test"}));
    let invitation = carol.wait_portal("invitation", T);
    carol.send(json!({"cmd": "accept", "invitation": invitation["id"]}));
    let before = carol.wait_event("connected", T);
    carol.move_pointer_and_check(&x, (55, 66), "carol's input before the restart");

    drop(portal); // killed: a crash, not a clean shutdown
    let restarted = Portal::start(&dir, &["--resume-window-secs", "60"]);
    proxy.set_target(restarted.addr());
    proxy.cut();
    agent.wait_line("the agent back at the portal", T, |l| {
        l.contains("Reconnected to the support portal")
    });
    viewer.wait_event("reconnecting", T);
    viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (77, 88), "input after the portal restart");
    carol.wait_event("reconnecting", T);
    let after = carol.wait_event("connected", T);
    assert_eq!(
        after["rights"], before["rights"],
        "carol's rights unchanged"
    );
    carol.move_pointer_and_check(&x, (99, 111), "carol's input after the restart");
}
