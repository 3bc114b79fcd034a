//! Logins and the life of a code over real WebSockets: issue, list, cancel, expire, redeem
//! once, rate limits, persistence across a restart.

mod common;

use std::time::Duration;

use common::{Client, Server, TempDir, config, error_kind, error_message, session_of, session_row};
use tandem_protocol::SessionCode;
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};

#[tokio::test]
async fn login_good_and_bad() {
    let dir = TempDir::new("login");
    let server = Server::start(config(&dir)).await;
    let mut c = Client::connect(server.addr).await;
    let wrong_pw = c.login("admin", "not the password").await;
    let wrong_user = c.login("nobody", common::ADMIN_PASSWORD).await;
    assert_eq!(error_kind(&wrong_pw), ErrorKind::Unauthorized);
    // Both failures look exactly alike.
    assert_eq!(wrong_pw, wrong_user);
    assert_eq!(error_message(&wrong_pw), "wrong user name or password");
    let ok = c.login("admin", common::ADMIN_PASSWORD).await;
    let PortalMessage::LoggedIn {
        name, portal_url, ..
    } = ok
    else {
        panic!("not logged in: {ok:?}");
    };
    assert_eq!(name, "Administrator");
    // The address the console's "Open in viewer" link gives the native viewer.
    let url = portal_url.expect("the portal's address");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    server.stop().await;
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited() {
    let dir = TempDir::new("login-limit");
    let server = Server::start(config(&dir)).await;
    let mut c = Client::connect(server.addr).await;
    for _ in 0..tandem_portal::LOGIN_FAILURES_ALLOWED {
        assert_eq!(
            error_kind(&c.login("admin", "wrong password").await),
            ErrorKind::Unauthorized
        );
    }
    // Now even the right password is refused from this address.
    let limited = c.login("admin", common::ADMIN_PASSWORD).await;
    assert_eq!(error_kind(&limited), ErrorKind::RateLimited, "{limited:?}");
    server.stop().await;
}

#[tokio::test]
async fn create_list_cancel_then_redeem_is_refused_as_cancelled() {
    let dir = TempDir::new("cancel");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice Example").await;
    let url = format!("{}/join/{}", server.base_url(), info.code.digits());
    assert!(
        info.join_url.starts_with(&format!("{url}?t=")),
        "links carry their token: {}",
        info.join_url
    );
    assert_eq!(info.customer, "Alice Example");
    assert_eq!(info.portal, "default");
    assert!(
        (595..=600).contains(&info.expires_in_secs),
        "{}",
        info.expires_in_secs
    );
    assert!(
        info.invitation.starts_with("Dear Alice Example,"),
        "{}",
        info.invitation
    );
    assert!(
        info.invitation
            .contains(&format!("with Administrator: {url}"))
    );
    assert!(
        info.invitation
            .contains(&format!("enter {}", info.code.digits()))
    );
    assert!(info.invitation.contains("expires in 10 minutes"));

    let listed = rep.list_codes().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].code, info.code);
    assert!((1..=600).contains(&listed[0].expires_in_secs));

    let cancel = ClientMessage::CancelCode { code: info.code };
    assert_eq!(
        rep.request(&cancel).await,
        PortalMessage::CodeCancelled { code: info.code }
    );
    assert!(rep.list_codes().await.is_empty());
    assert_eq!(
        error_kind(&rep.request(&cancel).await),
        ErrorKind::CodeCancelled
    );

    let mut agent = Client::connect(server.addr).await;
    let refused = agent.redeem(info.code, "alice@laptop").await;
    assert_eq!(error_kind(&refused), ErrorKind::CodeCancelled);
    assert_eq!(
        error_message(&refused),
        "this code was cancelled by the representative"
    );
    server.stop().await;
}

#[tokio::test]
async fn ninth_active_code_is_refused() {
    let dir = TempDir::new("ninth");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let mut codes = std::collections::HashSet::new();
    for i in 0..8 {
        codes.insert(rep.create_code(&format!("Customer {i}")).await.code);
    }
    assert_eq!(codes.len(), 8);
    let ninth = ClientMessage::CreateCode {
        customer: "One too many".into(),
        portal: None,
    };
    let refused = rep.request(&ninth).await;
    assert_eq!(error_kind(&refused), ErrorKind::TooManyCodes);
    assert_eq!(
        error_message(&refused),
        "you already have 8 active codes; cancel one or wait until one expires"
    );
    // Newest first.
    let listed = rep.list_codes().await;
    assert_eq!(listed.len(), 8);
    assert_eq!(listed[0].customer, "Customer 7");
    server.stop().await;
}

#[tokio::test]
async fn expired_code_is_refused() {
    let dir = TempDir::new("expired");
    let server = Server::start(tandem_portal::Config {
        code_ttl: Duration::from_secs(1),
        ..config(&dir)
    })
    .await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Slow Customer").await;
    let deadline = tokio::time::Instant::now() + common::STEP;
    while !rep.list_codes().await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "code never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut agent = Client::connect(server.addr).await;
    let refused = agent.redeem(info.code, "bob@pc").await;
    assert_eq!(error_kind(&refused), ErrorKind::CodeExpired);
    assert_eq!(
        error_message(&refused),
        "this code has expired; ask your representative for a new one"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_code_is_redeemed_once_even_concurrently() {
    let dir = TempDir::new("twice");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let mut first = Client::connect(server.addr).await;
    session_of(&first.redeem(info.code, "alice@laptop").await);
    let mut second = Client::connect(server.addr).await;
    let again = second.redeem(info.code, "mallory@pc").await;
    assert_eq!(error_kind(&again), ErrorKind::CodeRedeemed);
    assert_eq!(
        error_message(&again),
        "this code was already used; ask your representative for a new one"
    );

    let contested = rep.create_code("Bob").await.code;
    let mut racers = Vec::new();
    for i in 0..6 {
        let addr = server.addr;
        racers.push(tokio::spawn(async move {
            let mut agent = Client::connect(addr).await;
            let reply = agent.redeem(contested, &format!("racer {i}")).await;
            (reply, agent)
        }));
    }
    let mut winners = 0;
    let mut agents = Vec::new();
    for racer in racers {
        let (reply, agent) = racer.await.expect("racer finished");
        match reply {
            PortalMessage::Redeemed { .. } => winners += 1,
            other => assert_eq!(error_kind(&other), ErrorKind::CodeRedeemed),
        }
        agents.push(agent);
    }
    assert_eq!(winners, 1);
    server.stop().await;
}

#[tokio::test]
async fn unknown_code_has_a_clear_message() {
    let dir = TempDir::new("unknown");
    let server = Server::start(config(&dir)).await;
    let mut agent = Client::connect(server.addr).await;
    let code: SessionCode = "000000001".parse().expect("valid");
    let refused = agent.redeem(code, "x").await;
    assert_eq!(error_kind(&refused), ErrorKind::CodeUnknown);
    assert_eq!(
        error_message(&refused),
        "this code is not valid; check the digits or ask your representative for a new one"
    );
    server.stop().await;
}

#[tokio::test]
async fn repeated_wrong_codes_are_rate_limited() {
    let dir = TempDir::new("redeem-limit");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let good = rep.create_code("Alice").await.code;
    let mut agent = Client::connect(server.addr).await;
    for i in 0..tandem_portal::CODE_FAILURES_ALLOWED {
        let wrong: SessionCode = format!("90000000{i}").parse().expect("valid");
        assert_eq!(
            error_kind(&agent.redeem(wrong, "guesser").await),
            ErrorKind::CodeUnknown
        );
    }
    // Even the right code is refused now, and a new connection does not help.
    let limited = agent.redeem(good, "guesser").await;
    assert_eq!(error_kind(&limited), ErrorKind::RateLimited);
    assert!(
        error_message(&limited)
            .starts_with("too many wrong codes from your address; try again in 10 minutes"),
        "{limited:?}"
    );
    let mut other = Client::connect(server.addr).await;
    assert_eq!(
        error_kind(&other.redeem(good, "guesser").await),
        ErrorKind::RateLimited
    );
    let (status, _, body) =
        common::http_get(server.addr, &format!("/join/{}", good.digits())).await;
    assert_eq!(status, 429, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn codes_logins_and_sessions_survive_a_restart() {
    let dir = TempDir::new("restart");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let kept = rep.create_code("Kept Customer").await;
    let used = rep.create_code("Served Customer").await;
    let mut agent = Client::connect(server.addr).await;
    let session = session_of(&agent.redeem(used.code, "served@pc").await);
    server.stop().await;
    // The running session was closed when the portal stopped.
    let row = session_row(&dir.db(), session).expect("session row kept");
    assert!(row.ended_at.is_some());

    // A different configured password must not recreate or change the admin.
    let second = tandem_portal::Config {
        admin_password: Some("a different admin password".into()),
        ..config(&dir)
    };
    let server = Server::start(second).await;
    let mut c = Client::connect(server.addr).await;
    assert_eq!(
        error_kind(&c.login("admin", "a different admin password").await),
        ErrorKind::Unauthorized
    );
    let mut rep = Client::admin(server.addr).await;
    let listed = rep.list_codes().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].code, listed[0].customer.as_str()),
        (kept.code, "Kept Customer")
    );
    let mut late = Client::connect(server.addr).await;
    assert_eq!(
        error_kind(&late.redeem(used.code, "x").await),
        ErrorKind::CodeRedeemed
    );
    let conn = rusqlite::Connection::open(dir.db()).expect("opens");
    let reps: i64 = conn
        .query_row("SELECT COUNT(*) FROM representatives", [], |r| r.get(0))
        .expect("count");
    assert_eq!(reps, 1);
    server.stop().await;
}
