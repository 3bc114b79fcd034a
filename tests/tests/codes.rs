//! Codes that must not work, and machines an agent cannot work on: each refused with a clear
//! error, by real processes against a real portal.

use std::time::Duration;

use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, agent, wait_for};

const T: Duration = Duration::from_secs(30);

fn refused(mut a: Proc) -> String {
    let code = a.wait_exit(T);
    let err = a.stderr();
    assert_eq!(code, Some(3), "agent should refuse the code; stderr: {err}");
    err
}

#[test]
fn cancelled_redeemed_and_ninth_codes_are_refused() {
    let dir = TempDir::new("codes");
    let x = Xvfb::start(640, 480);
    let portal = Portal::start(&dir, &[]);

    let cancelled = portal.create_code("Carol");
    let out = portal
        .viewer_command()
        .args(["code", "cancel", &cancelled.code.digits()])
        .output()
        .expect("cancel");
    assert!(out.status.success());
    let err = refused(agent(&x.display, &cancelled.join_url, "view"));
    assert!(err.contains("cancelled"), "{err}");

    let used = portal.create_code("Dave");
    let mut first = agent(&x.display, &used.join_url, "view");
    first.wait_line("the session to start", T, |l| {
        l.contains("You are in a support session")
    });
    let err = refused(agent(&x.display, &used.join_url, "view"));
    assert!(err.contains("already used"), "{err}");
    drop(first);

    // two codes are spent above (cancelled, redeemed): eight more are allowed, the ninth not
    for i in 0..8 {
        portal.create_code(&format!("customer {i}"));
    }
    let err = portal
        .try_create_code("one too many")
        .expect_err("the ninth active code");
    assert!(err.contains("8 active codes"), "{err}");
    let list = portal
        .viewer_command()
        .args(["code", "list", "--json"])
        .output()
        .expect("list");
    let codes: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(codes.len(), 8);
    assert!(
        codes
            .iter()
            .all(|c| c["expires_in_secs"].as_u64().is_some_and(|s| s > 500))
    );

    let err = refused(agent(
        &x.display,
        &portal.join_link_at(portal.addr(), "000000000"),
        "view",
    ));
    assert!(err.contains("not valid"), "{err}");
}

#[test]
fn expired_codes_are_refused() {
    let dir = TempDir::new("expired");
    let x = Xvfb::start(640, 480);
    let portal = Portal::start(&dir, &["--code-ttl-secs", "1"]);
    let code = portal.create_code("Erin");
    wait_for("the code to expire", T, || {
        let out = portal
            .viewer_command()
            .args(["code", "list", "--json"])
            .output()
            .ok()?;
        (out.stdout.starts_with(b"[]")).then_some(())
    });
    let err = refused(agent(&x.display, &code.join_url, "view"));
    assert!(err.contains("expired"), "{err}");
}

#[test]
fn an_agent_without_a_display_or_portal_says_so() {
    let dir = TempDir::new("nodisplay");
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Frank");
    let mut a = agent(":4242", &code.join_url, "view");
    assert_eq!(a.wait_exit(T), Some(1));
    assert!(a.stderr().contains(":4242"), "{}", a.stderr());
    // the code was not used up by the agent that could not work
    let list = portal
        .viewer_command()
        .args(["code", "list", "--json"])
        .output()
        .expect("list");
    assert!(String::from_utf8_lossy(&list.stdout).contains(&code.code.digits()));

    let x = Xvfb::start(320, 240);
    let mut a = agent(&x.display, "http://127.0.0.1:9/join/123456789", "view");
    assert_eq!(a.wait_exit(T), Some(1));
    assert!(a.stderr().contains("unreachable"), "{}", a.stderr());
}
