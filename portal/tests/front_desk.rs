//! The front desk over real WebSockets: portal pages, help requests routed to List Views,
//! first accept wins, Queue mode, Web Chat and escalation to a code the customer app redeems.

mod common;

use common::{Client, Server, TempDir, add_rep, config, error_kind};
use tandem_portal::admin::{portal_record, save_portal_to};
use tandem_protocol::front_desk::{
    ChatStart, Outcome, PortalAvailability, PortalMode, PortalPage, Query, RequestState,
};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};

async fn portal(dir: &TempDir, name: &str, mode: &str, start: &str, fields: &[&str]) {
    tandem_portal::bootstrap(&config(dir)).await.expect("db");
    let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    let record = portal_record(name, "Acme help", mode, start, &fields, true).expect("valid");
    save_portal_to(&dir.db(), record).await.expect("saved");
}

/// A representative's console on `portal`, at the desk.
async fn console(server: &Server, user: &str, password: &str, portal: &str) -> Client {
    let mut c = Client::rep_on(server.addr, user, password, portal).await;
    c.send(&ClientMessage::SetAccepting { accepting: true })
        .await;
    let first = queries(&mut c).await;
    assert!(first.is_empty(), "{first:?}");
    c
}

async fn queries(c: &mut Client) -> Vec<Query> {
    loop {
        match c.recv().await {
            PortalMessage::Queries { queries, .. } => return queries,
            PortalMessage::Error { kind, message } => panic!("error {kind:?}: {message}"),
            _ => {}
        }
    }
}

/// The List View once it satisfies `ok` (updates before that are skipped).
async fn queries_where(c: &mut Client, ok: impl Fn(&[Query]) -> bool) -> Vec<Query> {
    loop {
        let q = queries(c).await;
        if ok(&q) {
            return q;
        }
    }
}

/// The answer to `msg`, skipping the portal page's pushed updates.
async fn answer(c: &mut Client, msg: &ClientMessage) -> PortalMessage {
    c.send(msg).await;
    loop {
        match c.recv().await {
            PortalMessage::Portal(_) | PortalMessage::Queries { .. } => {}
            other => return other,
        }
    }
}

async fn page(c: &mut Client) -> PortalPage {
    loop {
        if let PortalMessage::Portal(p) = c.recv().await {
            return p;
        }
    }
}

async fn status(c: &mut Client) -> (u64, RequestState) {
    loop {
        match c.recv().await {
            PortalMessage::RequestStatus { request, state } => return (request, state),
            PortalMessage::Error { kind, message } => panic!("error {kind:?}: {message}"),
            _ => {}
        }
    }
}

/// The request's state once it satisfies `ok`.
async fn status_where(c: &mut Client, ok: impl Fn(&RequestState) -> bool) -> RequestState {
    loop {
        let (_, state) = status(c).await;
        if ok(&state) {
            return state;
        }
    }
}

fn ask(portal: &str, name: &str, fields: &[&str]) -> ClientMessage {
    ClientMessage::RequestHelp {
        portal: portal.into(),
        customer: name.into(),
        question: "My printer prints nothing".into(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        rep: None,
    }
}

#[tokio::test]
async fn smart_box_reaches_both_reps_and_the_first_accept_wins() {
    let dir = TempDir::new("desk-box");
    portal(
        &dir,
        "acme",
        "smart_box",
        "web_chat",
        &["Email:email:required"],
    )
    .await;
    let bob = add_rep(&dir, "bob", "Bob Smith").await;
    let server = Server::start(config(&dir)).await;
    let mut customer = Client::connect(server.addr).await;
    customer
        .send(&ClientMessage::OpenPortal {
            portal: "acme".into(),
        })
        .await;
    let p = page(&mut customer).await;
    assert_eq!(p.mode, PortalMode::SmartBox);
    assert_eq!(p.availability, PortalAvailability::NobodyOnline);
    assert_eq!(p.fields.len(), 1);
    // Nobody online: a clear refusal.
    let refused = answer(&mut customer, &ask("acme", "Carol", &["c@example.com"])).await;
    assert_eq!(error_kind(&refused), ErrorKind::NobodyAvailable);

    let mut admin = console(&server, "admin", common::ADMIN_PASSWORD, "acme").await;
    let mut bobc = console(&server, "bob", &bob, "acme").await;
    // A missing required field is refused by the portal, not only by the page.
    let bad = answer(&mut customer, &ask("acme", "Carol", &[])).await;
    assert_eq!(error_kind(&bad), ErrorKind::BadRequest);
    customer
        .send(&ask("acme", "Carol <b>", &["c@example.com"]))
        .await;
    let (request, _) = status(&mut customer).await;
    let a = queries_where(&mut admin, |q| !q.is_empty()).await;
    let b = queries_where(&mut bobc, |q| !q.is_empty()).await;
    assert_eq!(a.len(), 1);
    assert_eq!(b, a);
    assert_eq!(a[0].customer, "Carol <b>");
    assert_eq!(a[0].fields[0].value, "c@example.com");

    admin.send(&ClientMessage::AcceptRequest { request }).await;
    // Bob's alert disappears at once; his late accept is refused.
    assert!(queries(&mut bobc).await.is_empty());
    let late = answer(&mut bobc, &ClientMessage::AcceptRequest { request }).await;
    assert_eq!(error_kind(&late), ErrorKind::RequestGone);
    loop {
        match admin.recv().await {
            PortalMessage::RequestTaken {
                request: r,
                chat_start,
                code,
                ..
            } => {
                assert_eq!((r, chat_start, code), (request, ChatStart::WebChat, None));
                break;
            }
            PortalMessage::Queries { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    status_where(&mut customer, |s| {
        matches!(s, RequestState::Accepted { .. })
    })
    .await;

    // Web Chat both ways.
    customer
        .send(&ClientMessage::WebChat {
            request,
            text: "hello".into(),
        })
        .await;
    for c in [&mut customer, &mut admin] {
        loop {
            if let PortalMessage::WebChat {
                text,
                from_customer,
                ..
            } = c.recv().await
            {
                assert_eq!((text.as_str(), from_customer), ("hello", true));
                break;
            }
        }
    }
    // Someone else cannot write into it.
    let msg = ClientMessage::WebChat {
        request,
        text: "hi".into(),
    };
    let intruder = answer(&mut bobc, &msg).await;
    assert_eq!(error_kind(&intruder), ErrorKind::RequestGone);

    // Escalation: a code the customer app redeems; the page follows.
    admin
        .send(&ClientMessage::EscalateRequest { request })
        .await;
    let code = loop {
        if let PortalMessage::RequestTaken { code: Some(c), .. } = admin.recv().await {
            break c;
        }
    };
    let state = status(&mut customer).await.1;
    assert!(
        matches!(state, RequestState::AppNeeded { code: c, .. } if c == code.code),
        "{state:?}"
    );
    let mut agent = Client::connect(server.addr).await;
    let redeemed = agent.redeem(code.code, "carol@pc").await;
    assert!(
        matches!(redeemed, PortalMessage::Redeemed { .. }),
        "{redeemed:?}"
    );
    let (_, state) = status(&mut customer).await;
    assert_eq!(state, RequestState::InSession);
    // One record: the request, its chat and the session its code started are linked.
    let db = rusqlite::Connection::open(dir.db()).expect("db");
    let linked: i64 = db
        .query_row(
            "SELECT count(*) FROM help_requests h JOIN sessions s ON s.code_id = h.code_id
             JOIN web_chat w ON w.request_id = h.id WHERE h.customer = 'Carol <b>'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(linked, 1);

    // The customer app ends the session: the page says so at once; the request stays for
    // the representative's notes.
    agent
        .send(&ClientMessage::EndSession {
            reason: "done".into(),
        })
        .await;
    let (_, state) = status(&mut customer).await;
    assert!(
        matches!(&state, RequestState::Ended { reason } if reason.contains("session has ended")),
        "{state:?}"
    );
    let closed = ClientMessage::CloseRequest {
        request,
        notes: "Printer cable".into(),
        outcome: Outcome::Resolved,
    };
    admin.send(&closed).await;
    common::eventually("the notes stored with the request", || {
        db.query_row(
            "SELECT notes FROM help_requests WHERE outcome = 'resolved'",
            [],
            |r| r.get::<_, String>(0),
        )
        .ok()
        .filter(|n| n == "Printer cable")
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn smart_match_reaches_only_the_chosen_rep() {
    let dir = TempDir::new("desk-match");
    portal(&dir, "pick", "smart_match", "download", &[]).await;
    let bob = add_rep(&dir, "bob", "Bob Smith").await;
    let server = Server::start(config(&dir)).await;
    let mut admin = console(&server, "admin", common::ADMIN_PASSWORD, "pick").await;
    let mut bobc = console(&server, "bob", &bob, "pick").await;
    let mut customer = Client::connect(server.addr).await;
    customer
        .send(&ClientMessage::OpenPortal {
            portal: "pick".into(),
        })
        .await;
    let p = page(&mut customer).await;
    let names: Vec<&str> = p.reps.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Administrator", "Bob Smith"]);
    // Strangers see a handle, never the login name.
    assert!(
        p.reps
            .iter()
            .all(|r| r.handle != "bob" && r.handle != "admin")
    );
    let bob_handle = p.reps[1].handle.clone();
    customer
        .send(&ClientMessage::RequestHelp {
            portal: "pick".into(),
            customer: "Dan".into(),
            question: String::new(),
            fields: Vec::new(),
            rep: Some(bob_handle),
        })
        .await;
    let (request, _) = status(&mut customer).await;
    let list = queries_where(&mut bobc, |q| !q.is_empty()).await;
    assert_eq!(list[0].request, request);
    // The other representative's List View never shows it.
    while let Ok(msg) =
        tokio::time::timeout(std::time::Duration::from_millis(300), admin.recv()).await
    {
        if let PortalMessage::Queries { queries, .. } = msg {
            assert!(queries.is_empty(), "{queries:?}");
        }
    }
    // Download Chat: accepting makes a code at once.
    bobc.send(&ClientMessage::AcceptRequest { request }).await;
    let code = loop {
        if let PortalMessage::RequestTaken { code: Some(c), .. } = bobc.recv().await {
            break c;
        }
    };
    loop {
        let (_, state) = status(&mut customer).await;
        if let RequestState::AppNeeded { code: c, .. } = state {
            assert_eq!(c, code.code);
            break;
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn queue_positions_and_a_closed_page_leaves_at_once() {
    let dir = TempDir::new("desk-queue");
    portal(&dir, "line", "queue", "web_chat", &[]).await;
    let server = Server::start(config(&dir)).await;
    let mut admin = console(&server, "admin", common::ADMIN_PASSWORD, "line").await;
    let mut customers = Vec::new();
    for name in ["C1", "C2", "C3"] {
        let mut c = Client::connect(server.addr).await;
        c.send(&ask("line", name, &[])).await;
        // One at a time: connections are served in parallel, so the queue's order is the
        // order in which the portal got the requests.
        let first = status(&mut c).await.1;
        customers.push((c, first));
    }
    // C1 rings at the only rep; C2 and C3 wait in line (the latest state of each).
    let mut positions = Vec::new();
    for (c, first) in &mut customers {
        let mut last = Some(first.clone());
        while let Ok(msg) =
            tokio::time::timeout(std::time::Duration::from_millis(300), c.recv()).await
        {
            if let PortalMessage::RequestStatus { state, .. } = msg {
                last = Some(state);
            }
        }
        positions.push(last.expect("a status"));
    }
    assert_eq!(positions[0], RequestState::Ringing);
    let pos = |s: &RequestState| match s {
        RequestState::Waiting { position, .. } => *position,
        _ => None,
    };
    assert_eq!(pos(&positions[1]), Some(1));
    assert_eq!(pos(&positions[2]), Some(2));
    // C2 closes its page: C3 moves up at once.
    let (c2, _) = customers.remove(1);
    c2.close().await;
    let (_, state) = status(&mut customers[1].0).await;
    assert_eq!(pos(&state), Some(1), "{state:?}");
    let list = queries_where(&mut admin, |q| !q.is_empty()).await;
    assert_eq!(list.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_closed_console_ends_what_it_took_and_the_customer_is_told() {
    let dir = TempDir::new("desk-console-gone");
    portal(&dir, "acme", "smart_button", "web_chat", &[]).await;
    let server = Server::start(config(&dir)).await;
    let mut admin = console(&server, "admin", common::ADMIN_PASSWORD, "acme").await;
    let mut customer = Client::connect(server.addr).await;
    customer
        .send(&ClientMessage::RequestHelp {
            portal: "acme".into(),
            customer: "Ivy".into(),
            question: String::new(),
            fields: Vec::new(),
            rep: None,
        })
        .await;
    let (request, _) = status(&mut customer).await;
    queries_where(&mut admin, |q| !q.is_empty()).await;
    admin.send(&ClientMessage::AcceptRequest { request }).await;
    status_where(&mut customer, |s| {
        matches!(s, RequestState::Accepted { .. })
    })
    .await;
    // A taken request cannot be withdrawn (its chat goes on until someone ends it).
    let refused = answer(&mut customer, &ClientMessage::WithdrawRequest { request }).await;
    assert_eq!(error_kind(&refused), ErrorKind::RequestGone);
    admin.close().await;
    let state = status_where(&mut customer, |s| matches!(s, RequestState::Ended { .. })).await;
    assert!(
        matches!(&state, RequestState::Ended { reason } if reason.contains("disconnected")),
        "{state:?}"
    );
    // The record says so (written by the desk's timer task).
    let db = rusqlite::Connection::open(dir.db()).expect("db");
    common::eventually("the request's end recorded", || {
        let reason: Option<String> = db
            .query_row(
                "SELECT end_reason FROM help_requests WHERE customer = 'Ivy'",
                [],
                |r| r.get(0),
            )
            .ok()?;
        reason.filter(|r| r.contains("console"))
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn an_unanswered_queue_offer_moves_on_to_the_next_representative() {
    let dir = TempDir::new("desk-skip");
    portal(&dir, "line", "queue", "web_chat", &[]).await;
    let bob = add_rep(&dir, "bob", "Bob Smith").await;
    let server = Server::start(tandem_portal::Config {
        offer_timeout: std::time::Duration::from_millis(600),
        ..config(&dir)
    })
    .await;
    let mut admin = console(&server, "admin", common::ADMIN_PASSWORD, "line").await;
    let mut bobc = console(&server, "bob", &bob, "line").await;
    let mut customer = Client::connect(server.addr).await;
    customer.send(&ask("line", "Jo", &[])).await;
    // Offered to one of them first; unanswered, it moves to the other (the timer's work),
    // and leaves the first one's list.
    let first_is_admin = tokio::select! {
        q = queries_where(&mut admin, |q| !q.is_empty()) => { drop(q); true }
        q = queries_where(&mut bobc, |q| !q.is_empty()) => { drop(q); false }
    };
    let (first, second) = if first_is_admin {
        (&mut admin, &mut bobc)
    } else {
        (&mut bobc, &mut admin)
    };
    let moved = queries_where(second, |q| !q.is_empty()).await;
    assert_eq!(moved[0].customer, "Jo");
    assert!(moved[0].offer_expires_in_secs.is_some());
    queries_where(first, <[Query]>::is_empty).await;
    server.stop().await;
}

#[tokio::test]
async fn a_full_queue_and_a_flooding_address_are_refused_clearly() {
    let dir = TempDir::new("desk-caps");
    portal(&dir, "line", "queue", "web_chat", &[]).await;
    let server = Server::start(tandem_portal::Config {
        queue_cap: 1,
        ..config(&dir)
    })
    .await;
    let _admin = console(&server, "admin", common::ADMIN_PASSWORD, "line").await;
    let mut first = Client::connect(server.addr).await;
    first.send(&ask("line", "One", &[])).await;
    status(&mut first).await;
    let mut second = Client::connect(server.addr).await;
    let full = answer(&mut second, &ask("line", "Two", &[])).await;
    assert_eq!(error_kind(&full), ErrorKind::QueueFull);
    assert!(common::error_message(&full).contains("Too many customers"));
    // One address asking again and again is stopped (each request alerts people).
    let mut refused = None;
    for _ in 0..tandem_portal::HELP_REQUESTS_ALLOWED {
        let mut c = Client::connect(server.addr).await;
        let reply = answer(&mut c, &ask("line", "Flood", &[])).await;
        if error_kind(&reply) == ErrorKind::RateLimited {
            refused = Some(reply);
            break;
        }
    }
    assert!(refused.is_some(), "the address was never limited");
    server.stop().await;
}

#[tokio::test]
async fn codes_belong_to_portals_that_exist() {
    let dir = TempDir::new("desk-code-portal");
    portal(&dir, "phone", "smart_pin", "download", &[]).await;
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let ok = rep
        .request(&ClientMessage::CreateCode {
            customer: "Lea".into(),
            portal: Some("phone".into()),
        })
        .await;
    assert!(
        matches!(&ok, PortalMessage::CodeCreated(info) if info.portal == "phone"),
        "{ok:?}"
    );
    let typo = rep
        .request(&ClientMessage::CreateCode {
            customer: "Lea".into(),
            portal: Some("phnoe".into()),
        })
        .await;
    assert_eq!(error_kind(&typo), ErrorKind::PortalUnknown);
    server.stop().await;
}
