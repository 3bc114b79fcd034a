//! Strict firewalls: portal, agent and viewer run in a network namespace where every UDP
//! datagram is dropped, so WebRTC cannot make a direct path. The session must fall back to
//! the portal's relay (over its TCP port), say so to the representative, show the customer's
//! screen exactly, carry input to X, and recover by itself when the portal restarts under it.

use std::time::{Duration, Instant};

use tandem_e2e::netns::Netns;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, agent_command};

const T: Duration = Duration::from_secs(30);

fn wait_until_pictures_match(x: &Xvfb, viewer: &mut Viewer, dir: &TempDir) {
    let deadline = Instant::now() + T;
    loop {
        let (xw, xh, xs) = x.screenshot();
        let (vw, vh, vs) = viewer.screenshot(dir);
        if (xw, xh) == (vw, vh) && xs == vs {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the relayed picture never matched X ({xw}x{xh} vs {vw}x{vh})"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn with_udp_blocked_the_session_is_relayed_and_survives_a_portal_restart() {
    let ns = Netns::udp_blocked("relay");
    let dir = TempDir::new("relay");
    let x = Xvfb::start(640, 400);
    let _xterm = x.xterm(20, 30, "printf 'relayed text\\n'; exec sh");
    let resume = ["--resume-window-secs", "60"];
    let portal = Portal::start_in(Some(&ns), &dir, "127.0.0.1:0", &resume);
    let code = portal.create_code("Alice");
    let mut viewer = portal.headless_viewer(&code.code.digits());
    viewer.wait_event("waiting", T);
    let agent = agent_command(
        &x.display,
        &code.join_url,
        "control",
        &["--direct-timeout".as_ref(), "2".as_ref()],
    );
    let _agent = Proc::spawn("agent", portal.wrap(agent));

    let path = viewer.wait_event("path", T);
    assert_eq!(path["path"], "relay", "path shown to the representative");
    viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (101, 102), "input through the relay");
    wait_until_pictures_match(&x, &mut viewer, &dir);

    // The portal crashes and comes back on the same address: relay and signalling are cut.
    let addr = portal.addr().to_string();
    drop(portal);
    let _restarted = Portal::start_in(Some(&ns), &dir, &addr, &resume);
    viewer.wait_event("reconnecting", T);
    let path = viewer.wait_event("path", T);
    assert_eq!(path["path"], "relay", "still relayed after the restart");
    viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (201, 202), "input after the restart");
    wait_until_pictures_match(&x, &mut viewer, &dir);
}
