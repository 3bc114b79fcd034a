//! External specialists over real WebSockets and HTTP: support keys, joining by name, the
//! cap of five, cancelled keys, ended sessions and the `/join/<key>` page.

mod common;

use common::{
    Client, Server, TempDir, config, error_kind, error_message, host_info, http_get,
    invite_specialist, join, running_session, specialist_joins,
};
use tandem_protocol::roster::MAX_SPECIALISTS;
use tandem_protocol::signal::{
    AttendeeInfo, ClientMessage, ErrorKind, PortalMessage, SignalPayload,
};
use tandem_protocol::{AttendeeId, Rights, Role, SessionCode};

#[tokio::test]
async fn a_specialist_joins_by_name_and_everyone_sees_it() {
    let dir = TempDir::new("specialist");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW).await;
    let view_chat = Rights::VIEW.union(Rights::CHAT);
    assert_eq!(inv.rights, view_chat);
    let url = format!("{}/join/{}", server.base_url(), inv.key.digits());
    assert!(
        inv.join_url.starts_with(&format!("{url}?t=")),
        "{}",
        inv.join_url
    );
    let url = inv.join_url.clone();
    for part in [
        url.as_str(),
        &format!("Support key: {}", inv.key.digits()),
        "Administrator invites you",
        "alice@laptop",
        "view only",
    ] {
        assert!(
            inv.email.contains(part),
            "{part:?} missing in {}",
            inv.email
        );
    }

    // The page for the key is the browser viewer: the web app, under the app's policy
    // (the portal's tests run with whatever web folder is configured; the app may be unbuilt).
    let (status, _, body) = http_get(server.addr, &format!("/join/{}", inv.key.digits())).await;
    assert!(status == 200 || status == 503, "{status}: {body}");
    assert!(!body.contains("tandem-viewer specialist join"), "{body}");

    let mut sam = Client::connect(server.addr).await;
    match sam.request(&join(inv.key, "Sam Expert")).await {
        PortalMessage::Joined {
            session,
            you,
            customer,
            rights,
            seat_token: Some(token),
        } => {
            assert_eq!(
                (session, you, customer.as_str(), rights),
                (
                    r.session,
                    AttendeeId::from_wire(3),
                    "alice@laptop",
                    view_chat
                )
            );
            // 128 random bits in hex, to come back to this seat
            assert_eq!(token.len(), 32, "{token:?}");
            assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token:?}");
        }
        other => panic!("expected Joined with a seat token, got {other:?}"),
    }
    let sam_info = AttendeeInfo {
        id: AttendeeId::from_wire(3),
        name: "Sam Expert".into(),
        role: Role::Specialist,
        rights: view_chat,
        masked: false,
    };
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeJoined(sam_info.clone())
    );
    let everyone = vec![host_info(), sam_info];
    assert_eq!(r.agent.recv_roster().await, everyone);
    assert_eq!(r.host.recv_roster().await, everyone);
    assert_eq!(sam.recv_roster().await, everyone);
    // Specialists signal the customer only.
    let offer = SignalPayload::Offer { sdp: "v=0".into() };
    let to_host = ClientMessage::Signal {
        to: AttendeeId::HOST,
        payload: offer.clone(),
    };
    assert_eq!(
        error_kind(&sam.request(&to_host).await),
        ErrorKind::BadRequest
    );
    sam.send(&ClientMessage::Signal {
        to: AttendeeId::CUSTOMER,
        payload: offer.clone(),
    })
    .await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::Signal {
            from: AttendeeId::from_wire(3),
            payload: offer
        }
    );

    // Control is granted as view, control, chat and the clipboard, and said so in words.
    let ctl = invite_specialist(&mut r.host, Rights::CONTROL).await;
    assert_eq!(
        ctl.rights,
        view_chat.union(Rights::CONTROL).union(Rights::CLIPBOARD)
    );
    assert!(ctl.email.contains("view and control keyboard and mouse"));
    assert_ne!(ctl.key, inv.key);
    // The keys are part of the session's record.
    let db = rusqlite::Connection::open(dir.db()).expect("opens");
    let mut stmt = db
        .prepare("SELECT key, rights, state FROM specialist_keys WHERE session_id = ?1 ORDER BY id")
        .expect("prepares");
    let rows: Vec<(String, u32, String)> = stmt
        .query_map([i64::try_from(r.session).expect("small")], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .expect("queries")
        .map(|row| row.expect("row"))
        .collect();
    assert_eq!(
        rows,
        [
            (inv.key.digits(), view_chat.to_wire(), "active".to_owned()),
            (ctl.key.digits(), ctl.rights.to_wire(), "active".to_owned())
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_sixth_specialist_is_refused_until_one_leaves() {
    let dir = TempDir::new("six");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let key = invite_specialist(&mut r.host, Rights::VIEW).await.key;
    let mut joined = Vec::new();
    for i in 0..MAX_SPECIALISTS {
        joined.push(specialist_joins(&server, &mut r, key, &format!("Specialist {i}")).await);
    }
    let mut sixth = Client::connect(server.addr).await;
    let refused = sixth.request(&join(key, "Number Six")).await;
    assert_eq!(error_kind(&refused), ErrorKind::TooManySpecialists);
    assert_eq!(
        error_message(&refused),
        "this session already has 5 specialists, the most it allows"
    );
    // "Currently": once one leaves, the key admits again.
    let (first, info) = joined.remove(0);
    first.close().await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeLeft { attendee: info.id }
    );
    r.agent.recv_roster().await;
    r.host.recv_roster().await;
    let (_sixth, six) = specialist_joins(&server, &mut r, key, "Number Six").await;
    assert_eq!(six.id, AttendeeId::from_wire(8));
    server.stop().await;
}

#[tokio::test]
async fn cancelled_keys_and_ended_sessions_admit_nobody_new() {
    let dir = TempDir::new("cancelled-key");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let key = invite_specialist(&mut r.host, Rights::VIEW).await.key;
    let (mut sam, sam_info) = specialist_joins(&server, &mut r, key, "Sam").await;

    let cancel = ClientMessage::CancelSpecialistInvitation { key };
    assert_eq!(error_kind(&sam.request(&cancel).await), ErrorKind::NotHost);
    assert_eq!(
        r.host.request(&cancel).await,
        PortalMessage::SpecialistInvitationCancelled { key }
    );
    let mut late = Client::connect(server.addr).await;
    let refused = late.request(&join(key, "Late Larry")).await;
    assert_eq!(error_kind(&refused), ErrorKind::CodeCancelled);
    assert_eq!(
        error_message(&refused),
        "this invitation was cancelled by the representative"
    );
    let (status, _, body) = http_get(server.addr, &format!("/join/{}", key.digits())).await;
    assert_eq!(status, 410);
    assert!(
        body.contains("This invitation was cancelled by the representative"),
        "{body}"
    );
    assert!(!body.contains("tandem-viewer"));

    // Sam stays and keeps talking to the customer.
    sam.send(&ClientMessage::Chat {
        text: "still here".into(),
        reps_only: false,
    })
    .await;
    let expected = PortalMessage::Chat {
        from: sam_info.id,
        name: "Sam".into(),
        text: "still here".into(),
        reps_only: false,
    };
    assert_eq!(r.agent.recv().await, expected);
    assert_eq!(r.host.recv().await, expected);
    assert_eq!(sam.recv().await, expected);

    // Names are checked; unknown keys are told apart.
    let live = invite_specialist(&mut r.host, Rights::VIEW).await.key;
    for bad in ["   ", &"x".repeat(101), "Evil\u{7}Bell"] {
        assert_eq!(
            error_kind(&late.request(&join(live, bad)).await),
            ErrorKind::BadRequest
        );
    }
    let unknown: SessionCode = "000000007".parse().expect("valid");
    assert_eq!(
        error_kind(&late.request(&join(unknown, "Larry")).await),
        ErrorKind::CodeUnknown
    );

    // Once the session is over, the live key says so, on the socket and on the page.
    r.host
        .send(&ClientMessage::EndSession {
            reason: "fixed".into(),
        })
        .await;
    assert!(matches!(
        r.agent.recv().await,
        PortalMessage::SessionEnded { .. }
    ));
    let over = late.request(&join(live, "Larry")).await;
    assert_eq!(error_kind(&over), ErrorKind::SessionGone);
    assert_eq!(error_message(&over), "the session has ended");
    let (status, _, body) = http_get(server.addr, &format!("/join/{}", live.digits())).await;
    assert_eq!(status, 410);
    assert!(body.contains("The session has ended."), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn wrong_keys_are_rate_limited_like_codes() {
    let dir = TempDir::new("key-limit");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let key = invite_specialist(&mut r.host, Rights::VIEW).await.key;
    // Successful joins do not count.
    let (_sam, _) = specialist_joins(&server, &mut r, key, "Sam").await;
    let mut guesser = Client::connect(server.addr).await;
    for i in 0..tandem_portal::CODE_FAILURES_ALLOWED {
        let wrong: SessionCode = format!("90000000{i}").parse().expect("valid");
        assert_eq!(
            error_kind(&guesser.request(&join(wrong, "Guesser")).await),
            ErrorKind::CodeUnknown
        );
    }
    let limited = guesser.request(&join(key, "Guesser")).await;
    assert_eq!(error_kind(&limited), ErrorKind::RateLimited);
    // The limit is per address and shared with codes and the pages.
    let mut agent = Client::connect(server.addr).await;
    let code = r.host.create_code("Bob").await.code;
    assert_eq!(
        error_kind(&agent.redeem(code, "bob@pc").await),
        ErrorKind::RateLimited
    );
    let (status, _, _) = http_get(server.addr, &format!("/join/{}", key.digits())).await;
    assert_eq!(status, 429);
    server.stop().await;
}
