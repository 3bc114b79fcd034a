//! The management pages in a real Chromium against a real session: an administrator takes
//! remote control away from a portal and the host's input stops reaching X at once; given
//! back, it reaches X again. Real processes, real WebRTC, input checked by X.

use std::time::Duration;

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{ADMIN_PASSWORD, Portal, TempDir, agent, has_right, wait_for};

const T: Duration = Duration::from_secs(30);

const CONTROL_ON_DEFAULT: &str = "tr[data-portal=\"default\"] input[data-function=\"control\"]";

#[test]
fn a_portal_policy_takes_control_away_mid_session_and_gives_it_back() {
    let dir = TempDir::new("management");
    let x = Xvfb::start(1024, 640);
    let _xterm = x.xterm(30, 40, "exec sh");
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut host = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let _agent = agent(&x.display, &code.join_url, "control");
    host.wait_event("connected", T);
    host.send(json!({"cmd": "move", "x": 101, "y": 102}));
    wait_for("the host's pointer move", T, || {
        (x.pointer() == (101, 102)).then_some(())
    });

    // The administrator signs in to the console and opens the management pages.
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    let mut b = Browser::launch_with(true);
    b.new_page("admin", Some(&base));
    b.goto("admin", &format!("{base}/console"));
    b.fill("admin", "[data-testid=login-user]", "admin");
    b.fill("admin", "[data-testid=login-password]", ADMIN_PASSWORD);
    b.fill("admin", "[data-testid=login-portal]", "default");
    b.click("admin", "[data-testid=login-submit]");
    b.wait_visible("admin", "#manage-open", T);
    b.click("admin", "#manage-open");
    b.wait_visible("admin", CONTROL_ON_DEFAULT, T);
    assert_eq!(
        b.eval(
            "admin",
            &format!("document.querySelector('{CONTROL_ON_DEFAULT}').checked")
        ),
        json!(true),
        "nothing is withheld yet"
    );
    b.check("admin", CONTROL_ON_DEFAULT, false);

    // The host loses control at once: the roster says so, and its input is refused.
    host.wait_portal_where("roster", T, |r| {
        r["attendees"].as_array().is_some_and(|a| {
            a.iter()
                .any(|a| a["id"] == 2 && !has_right(&a["rights"], "control"))
        })
    });
    // What is in force for the administrator follows the portal's setting.
    b.wait_text(
        "admin",
        "tr[data-member=\"admin\"] td.in-force",
        "Screen sharing",
        T,
    );
    assert!(
        !b.text("admin", "tr[data-member=\"admin\"] td.in-force")
            .contains("Remote control")
    );
    host.send(json!({"cmd": "move", "x": 300, "y": 310}));
    let refused = host.wait_event("refused", T);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("control")),
        "{refused}"
    );
    assert_eq!(x.pointer(), (101, 102), "the move never reached X");
    let shot = dir.path("management.png");
    b.screenshot("admin", &shot, true);

    // Given back: the host's input reaches X again.
    b.check("admin", CONTROL_ON_DEFAULT, true);
    host.wait_portal_where("roster", T, |r| {
        r["attendees"].as_array().is_some_and(|a| {
            a.iter()
                .any(|a| a["id"] == 2 && has_right(&a["rights"], "control"))
        })
    });
    host.send(json!({"cmd": "move", "x": 300, "y": 310}));
    wait_for(
        "the host's pointer move after the policy allows it",
        T,
        || (x.pointer() == (300, 310)).then_some(()),
    );
}
