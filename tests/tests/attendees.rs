//! More people in one session: a host with control and a view-only specialist at once, the
//! host granting control (and only control), a revoke that outlives the specialist's lost
//! connection, refused keys and a sixth specialist, "first to accept" among representatives
//! invited on a portal, and attendees who quit. Real
//! processes, real WebRTC, input checked by X.

use std::time::Duration;

use serde_json::{Value, json};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, agent, has_right, right_names, wait_for};

const T: Duration = Duration::from_secs(30);

struct Session {
    x: Xvfb,
    dir: TempDir,
    _xterm: Proc,
    portal: Portal,
    agent: Proc,
    host: Viewer,
}

fn session(tag: &str) -> Session {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(1024, 640);
    let xterm = x.xterm(30, 40, "exec sh");
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut host = portal.headless_viewer(&code.code.digits());
    host.wait_event("waiting", T);
    let agent = agent(&x.display, &code.join_url, "control");
    host.wait_event("connected", T);
    Session {
        x,
        dir,
        _xterm: xterm,
        portal,
        agent,
        host,
    }
}

impl Session {
    /// Invites a specialist with `rights`; returns the invitation event.
    fn invite_specialist(&mut self, rights: &str) -> Value {
        self.host
            .send(json!({"cmd": "invite_specialist", "rights": rights}));
        self.host.wait_portal("specialist_invited", T)
    }
}

fn attendee_id(roster: &Value, name: &str) -> Option<u64> {
    roster["attendees"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == name)?["id"]
        .as_u64()
}

#[test]
fn a_view_only_specialist_controls_nothing_until_the_host_grants_it() {
    let mut s = session("specialist");
    // a specialist key always grants chat besides what the host asks for
    let inv = s.invite_specialist("view");
    assert!(
        inv["email"]
            .as_str()
            .is_some_and(|e| e.contains(inv["key"].as_str().unwrap_or("?"))),
        "{inv}"
    );
    let mut sam = s
        .portal
        .specialist(inv["join_url"].as_str().expect("link"), "Sam Specialist");
    let connected = sam.wait_event("connected", T);
    assert!(!has_right(&connected["rights"], "control"), "{connected}");
    let roster = s
        .host
        .wait_portal_where("roster", T, |r| attendee_id(r, "Sam Specialist").is_some());
    let sam_id = attendee_id(&roster, "Sam Specialist").expect("Sam in the roster");
    s.agent.wait_line("the customer told Sam joined", T, |l| {
        l.contains("Sam Specialist now sees your screen")
    });

    // the host controls
    s.host.send(json!({"cmd": "move", "x": 101, "y": 102}));
    wait_for("the host's pointer move", T, || {
        (s.x.pointer() == (101, 102)).then_some(())
    });

    // the specialist's clicks and keys are refused by the agent
    let leaked = s.dir.path("leaked.txt");
    sam.send(json!({"cmd": "click", "x": 200, "y": 150}));
    sam.send(json!({"cmd": "type", "text": format!("echo leaked > {}", leaked.display())}));
    sam.send(json!({"cmd": "key", "key": "Return"}));
    let refused = sam.wait_event("refused", T);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("do not have control")),
        "{refused}"
    );
    assert_eq!(s.x.pointer(), (101, 102));

    // the host grants control, and only control: Sam keeps chat (issue 9); the specialist's
    // input now reaches X
    s.host
        .send(json!({"cmd": "grant", "attendee": sam_id, "rights": "control"}));
    let rights = sam.wait_event("rights", T);
    assert_eq!(
        right_names(&rights["rights"]),
        ["view", "control", "chat"],
        "{rights}"
    );
    let roster = s.host.wait_portal_where("roster", T, |r| {
        r["attendees"].as_array().is_some_and(|a| {
            a.iter()
                .any(|a| a["id"] == sam_id && has_right(&a["rights"], "control"))
        })
    });
    let sam_entry = roster["attendees"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == sam_id))
        .expect("Sam in the roster");
    assert_eq!(
        right_names(&sam_entry["rights"]),
        ["view", "control", "chat"],
        "names, not bits, in the portal's roster event too: {roster}"
    );
    sam.send(json!({"cmd": "move", "x": 210, "y": 160}));
    wait_for("the specialist's pointer move", T, || {
        (s.x.pointer() == (210, 160)).then_some(())
    });
    // everything Sam sent before the grant was handled (same ordered channel) and refused
    assert!(
        !leaked.exists(),
        "refused keystrokes must not have been typed"
    );
    let typed = s.dir.path("granted.txt");
    sam.send(json!({"cmd": "type", "text": format!("echo granted > {}", typed.display())}));
    sam.send(json!({"cmd": "key", "key": "Return"}));
    let content = wait_for("the specialist's typed command", T, || {
        std::fs::read_to_string(&typed)
            .ok()
            .filter(|c| c.ends_with('\n'))
    });
    assert_eq!(content, "granted\n");
    assert!(!leaked.exists());
}

#[test]
fn a_specialist_whose_control_was_revoked_comes_back_without_it() {
    // A revoke used to be undone by any reconnect: the viewer rejoined with its key and got
    // the key's rights back. Now it returns to its seat, with the rights it held.
    let mut s = session("seat");
    let inv = s.invite_specialist("control");
    let key = inv["key"].as_str().expect("key").to_owned();
    // Through a proxy whose connections the test can cut (the peer-to-peer link is not).
    let proxy = tandem_e2e::proxy::Proxy::start(s.portal.addr());
    let link = s.portal.join_link_at(proxy.addr, &key);
    let mut sam = s.portal.specialist(&link, "Sam Specialist");
    let connected = sam.wait_event("connected", T);
    assert!(has_right(&connected["rights"], "control"), "{connected}");
    let roster = s
        .host
        .wait_portal_where("roster", T, |r| attendee_id(r, "Sam Specialist").is_some());
    let sam_id = attendee_id(&roster, "Sam Specialist").expect("Sam in the roster");

    s.host
        .send(json!({"cmd": "revoke", "attendee": sam_id, "rights": "control"}));
    let rights = sam.wait_event("rights", T);
    assert_eq!(right_names(&rights["rights"]), ["view", "chat"], "{rights}");

    proxy.cut();
    sam.wait_event("reconnecting", T);
    let back = sam.wait_event("connected", T);
    assert_eq!(
        right_names(&back["rights"]),
        ["view", "chat"],
        "the revoke sticks: {back}"
    );
    // Same seat: the host sees Sam under the same id, without control.
    s.host.wait_portal_where("roster", T, |r| {
        r["attendees"].as_array().is_some_and(|a| {
            a.iter()
                .any(|a| a["id"] == sam_id && right_names(&a["rights"]) == ["view", "chat"])
        })
    });
    // And the agent refuses Sam's input.
    sam.send(json!({"cmd": "click", "x": 200, "y": 150}));
    let refused = sam.wait_event("refused", T);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("do not have control")),
        "{refused}"
    );
}

#[test]
fn a_cancelled_key_and_a_sixth_specialist_are_refused() {
    let mut s = session("six");
    let cancelled = s.invite_specialist("view");
    let key = cancelled["key"].as_str().expect("key").to_owned();
    s.host.send(json!({"cmd": "cancel_specialist", "key": key}));
    s.host.wait_portal("specialist_invitation_cancelled", T);
    let mut refused = s
        .portal
        .specialist(cancelled["join_url"].as_str().expect("link"), "Too Late");
    assert_eq!(
        refused.proc.wait_exit(T),
        Some(3),
        "{}",
        refused.proc.stderr()
    );
    assert!(
        refused.proc.stderr().contains("cancelled"),
        "{}",
        refused.proc.stderr()
    );

    let inv = s.invite_specialist("view");
    let link = inv["join_url"].as_str().expect("link").to_owned();
    let mut five: Vec<Viewer> = (1..=5)
        .map(|i| s.portal.specialist(&link, &format!("Specialist {i}")))
        .collect();
    for v in &mut five {
        v.wait_event("joined", T);
    }
    let mut sixth = s.portal.specialist(&link, "Specialist 6");
    assert_eq!(sixth.proc.wait_exit(T), Some(3), "{}", sixth.proc.stderr());
    assert!(
        sixth.proc.stderr().contains("5 specialists"),
        "{}",
        sixth.proc.stderr()
    );
}

#[test]
fn the_first_representative_to_accept_joins_and_the_others_invitations_disappear() {
    let mut s = session("accept");
    s.portal.add_rep("bob", "Bob Builder");
    s.portal.add_rep("carol", "Carol Checker");
    let mut bob = s.portal.invitations("bob");
    let mut carol = s.portal.invitations("carol");
    // both are logged in once the host can see them
    wait_for("bob and carol to be logged in", T, || {
        s.host.send(json!({"cmd": "list_reps"}));
        let reps = s.host.wait_portal("reps", T);
        let names: Vec<&str> = reps["reps"]
            .as_array()?
            .iter()
            .filter_map(|r| r["user"].as_str())
            .collect();
        (names.contains(&"bob") && names.contains(&"carol")).then_some(())
    });
    s.host.send(json!({"cmd": "invite_portal", "portal": "default", "rights": "view+chat", "masked": true, "comment": "printer issue, please look"}));
    let for_bob = bob.wait_portal("invitation", T);
    let for_carol = carol.wait_portal("invitation", T);
    assert_eq!(for_bob["comment"], "printer issue, please look");
    assert_eq!(for_bob["id"], for_carol["id"]);

    bob.send(json!({"cmd": "accept", "invitation": for_bob["id"]}));
    bob.wait_event("connected", T);
    carol.wait_portal("invitation_withdrawn", T);
    carol.send(json!({"cmd": "accept", "invitation": for_carol["id"]}));
    assert_eq!(carol.proc.wait_exit(T), Some(3), "{}", carol.proc.stderr());

    // the host sees Bob (masked); the customer is never told about him
    s.host
        .wait_portal_where("roster", T, |r| attendee_id(r, "Bob Builder").is_some());
    bob.send(json!({"cmd": "chat", "text": "masked bob speaking"}));
    bob.wait_portal_where("chat", T, |c| c["text"] == "masked bob speaking");
    s.host
        .send(json!({"cmd": "chat", "text": "marker after bob"}));
    // every line the customer saw since before the invitation, up to the host's marker
    let mut seen = Vec::new();
    s.agent.wait_line("the host's chat", T, |l| {
        seen.push(l.to_owned());
        l.contains("marker after bob")
    });
    assert!(
        seen.iter()
            .all(|l| !l.contains("Bob") && !l.contains("masked bob")),
        "{seen:?}"
    );
}

#[test]
fn a_specialist_who_quits_is_gone_and_a_host_who_quits_ends_the_session() {
    // Issue 9: `quit` told the customer "left" while the viewer kept its portal membership,
    // so the agent offered a new link and the screen kept streaming.
    let mut s = session("quit");
    let inv = s.invite_specialist("view");
    let mut sam = s
        .portal
        .specialist(inv["join_url"].as_str().expect("link"), "Sam Specialist");
    sam.wait_event("connected", T);
    s.host
        .wait_portal_where("roster", T, |r| attendee_id(r, "Sam Specialist").is_some());

    sam.send(json!({"cmd": "quit"}));
    sam.wait_event("ended", T);
    assert_eq!(sam.proc.wait_exit(T), Some(0), "{}", sam.proc.stderr());
    // the portal counts Sam out, so the agent offers Sam no new link
    s.host
        .wait_portal_where("roster", T, |r| attendee_id(r, "Sam Specialist").is_none());

    s.host.send(json!({"cmd": "quit"}));
    s.host.wait_event("ended", T);
    assert_eq!(
        s.host.proc.wait_exit(T),
        Some(0),
        "{}",
        s.host.proc.stderr()
    );
    s.agent
        .wait_line("the session's end", T, |l| l.contains("Session ended"));
}
