//! The management pages in a real Chromium against a real session: an administrator takes
//! remote control away from a portal and the host's input stops reaching X at once; given
//! back, it reaches X again. A real session's files and folder listing (reported by the
//! customer's agent) reach the reports page and its CSV; a representative added there signs
//! in with the password shown once. Real processes, real WebRTC, input checked by X.

use std::time::Duration;

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{ADMIN_PASSWORD, Portal, TempDir, agent, agent_with, has_right, wait_for};

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
    b.sign_in_console(&base, "admin", ("admin", ADMIN_PASSWORD), "default");
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
        "Everything but Remote control",
        T,
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
    // Kept as an artefact to look at: target/tmp/management/policy.png.
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/management");
    std::fs::create_dir_all(&shots).expect("artefacts");
    b.screenshot("admin", &shots.join("policy.png"), true);

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

/// The console, signed in as `user` on the default portal.
fn sign_in(b: &mut Browser, base: &str, page: &str, user: &str, password: &str) {
    b.sign_in_console(base, page, (user, password), "default");
}

#[test]
fn a_real_sessions_files_reach_the_reports_page_and_a_new_representative_signs_in() {
    let dir = TempDir::new("management-reports");
    let x = Xvfb::start(320, 240);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice").code.digits();
    let (inbox, share, downloads) = (dir.path("inbox"), dir.path("share"), dir.path("dl"));
    for d in [&inbox, &share, &downloads] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(share.join("setup.log"), "customer's log\n").expect("shared file");
    let mut host = portal.headless_viewer_in(&code, &downloads);
    host.wait_event("waiting", T);
    let join = portal.join_link_at(portal.addr(), &code);
    let extra = tandem_e2e::file_sharing_args(&inbox, &share);
    let _agent = agent_with(&x.display, &join, "view", &extra);
    host.wait_event("connected", T);

    // A file to the customer, a look at their shared folder, a file from it.
    let fix = dir.path("fix-v2.sh");
    std::fs::write(&fix, "#!/bin/sh\necho fixed\n").expect("file");
    let fix_size = std::fs::metadata(&fix).expect("size").len();
    host.send(json!({"cmd": "send_file", "path": fix}));
    host.proc
        .wait_line("sent", T, |l| l.contains("\"completed\""));
    host.send(json!({"cmd": "list_dir", "path": ""}));
    host.proc
        .wait_line("listed", T, |l| l.contains("\"listing\""));
    host.send(json!({"cmd": "fetch_file", "path": "setup.log"}));
    host.proc.wait_line("fetched", T, |l| {
        l.contains("\"completed\"") && l.contains("setup.log")
    });

    // The administrator's reports page shows it, and its CSV says the same.
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    let mut b = Browser::launch_with(true);
    sign_in(&mut b, &base, "admin", "admin", ADMIN_PASSWORD);
    b.wait_visible("admin", "#reports-open", T);
    b.click("admin", "#reports-open");
    let row_text =
        "[...document.querySelectorAll('tr[data-session]')].map(r => r.textContent).join('|')";
    // The agent's reports reach the audit trail a moment after the transfers end.
    let text = wait_for("the session's files in the report", T, || {
        b.click("admin", "#report-run");
        let text = b
            .eval("admin", row_text)
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (text.contains("fix-v2.sh") && text.contains("setup.log")).then_some(text)
    });
    assert!(text.contains("Alice") || text.contains("alice"), "{text}");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/management");
    std::fs::create_dir_all(&shots).expect("artefacts");
    b.eval(
        "admin",
        "document.querySelectorAll('details').forEach(d => d.open = true)",
    );
    b.screenshot("admin", &shots.join("reports.png"), true);
    let csv_path = dir.path("report.csv");
    let suggested = b.download("admin", "#report-csv", &csv_path);
    assert_eq!(suggested, "tandem-sessions.csv");
    let csv = std::fs::read_to_string(&csv_path).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("session,representative,"),
        "{}",
        lines[0]
    );
    let file_rows: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("file.transfer"))
        .collect();
    assert_eq!(file_rows.len(), 2, "{csv}");
    assert!(
        file_rows.iter().any(
            |l| l.contains(&format!("'fix-v2.sh' ({fix_size} bytes, sha256 "))
                && l.contains("to the customer")
        ),
        "{csv}"
    );
    assert!(
        file_rows
            .iter()
            .any(|l| l.contains("'setup.log'") && l.contains("from the customer to"))
    );
    let listing = lines
        .iter()
        .find(|l| l.contains("folder.listing"))
        .expect("the folder listing");
    assert!(
        listing.contains("'(the shared folder)'")
            && !listing.contains(&share.display().to_string()),
        "the record never says where the customer keeps the folder: {listing}"
    );

    // The administrator adds a representative; the password shown once signs them in.
    b.click("admin", "#reports-close");
    b.click("admin", "#manage-open");
    b.fill("admin", "#rep-user", "carol");
    b.fill("admin", "#rep-name", "Carol Jones");
    b.click("admin", "#rep-add");
    b.wait_visible("admin", "#rep-added code", T);
    let password = b.text("admin", "#rep-added code");
    assert!(password.len() >= 12, "{password}");
    b.wait_visible("admin", "tr[data-member=\"carol\"]", T);
    sign_in(&mut b, &base, "carol", "carol", &password);
    // Signed in: the console shows their name (waiting for the form to show first raced a
    // fast sign-in).
    b.wait_text("carol", "[data-testid=rep-name]", "Carol Jones", T);
    b.wait_hidden("carol", "[data-testid=login-submit]", T);
    assert_eq!(
        b.eval("carol", "document.querySelector('#manage-open').hidden"),
        json!(true),
        "not a manager: no management pages"
    );
}
