//! Sign-in hardening over real WebSockets: a representative turns on a second factor
//! (RFC 6238) and then needs its code, each code good once; a manager signs someone out
//! everywhere at once and resets their sign-in; sign-ins run out.

mod common;

use std::time::Duration;

use common::{Client, Server, TempDir, config, error_kind, error_message, manage};
use tandem_portal::totp::{STEP_SECS, Secret};
use tandem_protocol::management::ManageRequest;
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};

async fn login(c: &mut Client, user: &str, password: &str, otp: Option<String>) -> PortalMessage {
    c.request(&ClientMessage::Login {
        user: user.into(),
        password: password.into(),
        portal: None,
        otp,
    })
    .await
}

/// The code `secret` gives `steps` steps from now.
fn code(secret: &Secret, steps: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let step = i64::try_from(now).expect("seconds") / STEP_SECS + steps;
    format!("{:06}", secret.code_at(step))
}

/// Adds `user` through the management pages; its first password.
async fn add_rep(admin: &mut Client, user: &str) -> String {
    let view = manage(
        admin,
        ManageRequest::AddRep {
            user: user.into(),
            name: user.to_uppercase(),
            team: None,
        },
    )
    .await
    .expect("added");
    view.added.expect("password").password
}

/// Waits until the portal closes `c` (it may say why first); the last words it said.
async fn closed(c: &mut Client) -> Option<PortalMessage> {
    let mut last = None;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), c.try_recv()).await {
            Ok(Some(msg)) => last = Some(msg),
            Ok(None) => return last,
            Err(_) => panic!("still open; last said {last:?}"),
        }
    }
}

#[tokio::test]
async fn a_second_factor_is_asked_for_good_once_and_reset_by_a_manager() {
    let dir = TempDir::new("second-factor");
    let server = Server::start(config(&dir)).await;
    let mut admin = Client::admin(server.addr).await;
    let pw = add_rep(&mut admin, "bob").await;

    // Bob sets it up from his console. Someone else with his password began a setup of
    // their own in another window first.
    let mut bob = Client::connect(server.addr).await;
    assert!(matches!(
        login(&mut bob, "bob", &pw, None).await,
        PortalMessage::LoggedIn { .. }
    ));
    let mut thief = Client::connect(server.addr).await;
    login(&mut thief, "bob", &pw, None).await;
    let PortalMessage::SecondFactor(theirs) = thief
        .request(&ClientMessage::Manage(ManageRequest::SecondFactorSetup))
        .await
    else {
        panic!("no setup")
    };
    let theirs = Secret::from_base32(&theirs.setup.expect("secret").secret).expect("base32");
    let PortalMessage::SecondFactor(view) = bob
        .request(&ClientMessage::Manage(ManageRequest::SecondFactorSetup))
        .await
    else {
        panic!("no setup")
    };
    let setup = view.setup.expect("a secret to enter");
    assert!(setup.uri.starts_with("otpauth://totp/Tandem:bob?secret="));
    let secret = Secret::from_base32(&setup.secret).expect("base32");
    // Computed together, so a step boundary passing meanwhile changes nothing below.
    let (now, next, later) = (code(&secret, 0), code(&secret, 1), code(&secret, 5));
    let wrong = bob
        .request(&ClientMessage::Manage(ManageRequest::SecondFactorOn {
            code: later,
        }))
        .await;
    assert_eq!(error_kind(&wrong), ErrorKind::BadRequest, "{wrong:?}");
    let on = bob
        .request(&ClientMessage::Manage(ManageRequest::SecondFactorOn {
            code: now.clone(),
        }))
        .await;
    assert!(
        matches!(&on, PortalMessage::SecondFactor(v) if v.enabled && v.setup.is_none()),
        "{on:?}"
    );

    // The other window's setup cannot replace the second factor Bob turned on.
    let replaced = thief
        .request(&ClientMessage::Manage(ManageRequest::SecondFactorOn {
            code: code(&theirs, 0),
        }))
        .await;
    assert!(
        error_message(&replaced).contains("on already"),
        "{replaced:?}"
    );

    // Signing in now needs the code; the password alone is not enough, nor a used code.
    let mut again = Client::connect(server.addr).await;
    let asked = login(&mut again, "bob", &pw, None).await;
    assert_eq!(error_kind(&asked), ErrorKind::SecondFactor);
    let used = login(&mut again, "bob", &pw, Some(now)).await;
    assert_eq!(
        error_kind(&used),
        ErrorKind::Unauthorized,
        "used to turn it on"
    );
    assert!(matches!(
        login(&mut again, "bob", &pw, Some(next.clone())).await,
        PortalMessage::LoggedIn { .. }
    ));
    let mut third = Client::connect(server.addr).await;
    let replay = login(&mut third, "bob", &pw, Some(next)).await;
    assert_eq!(error_kind(&replay), ErrorKind::Unauthorized, "good once");

    // The administrator signs Bob out: both his connections are told and closed.
    manage(&mut admin, ManageRequest::SignOut { user: "bob".into() })
        .await
        .expect("signed out");
    for c in [&mut bob, &mut again, &mut thief] {
        let said = closed(c).await.expect("told why");
        assert!(error_message(&said).contains("signed you out"), "{said:?}");
    }

    // A reset: a new password, shown once, and no second factor.
    let view = manage(
        &mut admin,
        ManageRequest::ResetSignIn { user: "bob".into() },
    )
    .await
    .expect("reset");
    let fresh = view.added.expect("the new password").password;
    assert_ne!(fresh, pw);
    let mut after = Client::connect(server.addr).await;
    assert_eq!(
        error_kind(&login(&mut after, "bob", &pw, None).await),
        ErrorKind::Unauthorized,
        "the old password is gone"
    );
    let mut after = Client::connect(server.addr).await;
    assert!(matches!(
        login(&mut after, "bob", &fresh, None).await,
        PortalMessage::LoggedIn { .. }
    ));
    // Bob cannot sign anyone out.
    let refused = manage(
        &mut after,
        ManageRequest::SignOut {
            user: "admin".into(),
        },
    )
    .await
    .expect_err("not a manager");
    assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);
    server.stop().await;
}

#[tokio::test]
async fn a_sign_in_runs_out() {
    let dir = TempDir::new("sign-in-expiry");
    let mut cfg = config(&dir);
    cfg.sign_in_lifetime = Duration::from_secs(1);
    let server = Server::start(cfg).await;
    let mut admin = Client::admin(server.addr).await;
    let said = closed(&mut admin).await.expect("told why");
    assert!(error_message(&said).contains("expired"), "{said:?}");
    server.stop().await;
}
