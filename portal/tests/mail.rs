//! Invitations by email over real WebSockets and a real (test) SMTP server: what the
//! customer receives, in English and German, and what the representative hears when the
//! mail server refuses, is not there or does not answer. The code stays valid throughout.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::smtp::SmtpSink;
use common::{Client, STEP, Server, TempDir, add_rep, config, error_kind, error_message};
use tandem_portal::Config;
use tandem_portal::mail::{SmtpConfig, SmtpSecurity};
use tandem_protocol::SessionCode;
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};

/// The mail server's time in these tests.
const MAIL_TIMEOUT: Duration = Duration::from_secs(3);

fn mail_config(dir: &TempDir, smtp: SmtpConfig) -> Config {
    Config {
        smtp: Some(smtp),
        ..config(dir)
    }
}

fn email(code: SessionCode, to: &str, language: Option<&str>) -> ClientMessage {
    ClientMessage::EmailCode {
        code,
        to: to.into(),
        language: language.map(str::to_owned),
    }
}

fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + STEP
}

/// Log lines written while it is the thread's default subscriber.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn invitation_is_mailed_in_english_and_german() {
    // Tests run on their own threads and the portal's tasks on this one: this test's logs.
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        // The portal's own filter: the WebSocket libraries would print whole frames.
        .with_env_filter(tandem_portal::log_filter(Some("debug")))
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let dir = TempDir::new("mail-sent");
    let sink = SmtpSink::start().await;
    let server = Server::start(mail_config(&dir, sink.config(MAIL_TIMEOUT))).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice Example").await;
    let digits = info.code.digits();

    let reply = rep
        .request(&email(info.code, " alice@example.com ", None))
        .await;
    assert_eq!(
        reply,
        PortalMessage::CodeEmailed {
            code: info.code,
            to: "alice@example.com".into()
        }
    );
    let mail = sink.wait_for_message(deadline()).await;
    assert_eq!(mail.from, "support@example.com");
    assert_eq!(mail.to, ["alice@example.com"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your support session with Administrator")
    );
    assert_eq!(mail.header("To").as_deref(), Some("alice@example.com"));
    assert!(
        mail.header("From")
            .is_some_and(|f| f.contains("<support@example.com>")),
        "{:?}",
        mail.header("From")
    );
    let text = mail.text();
    assert!(
        text.starts_with(&format!(
            "Dear Alice Example,\n\nplease click this link to begin your support session with \
             Administrator: {}\n",
            info.join_url
        )),
        "{text}"
    );
    assert!(text.contains(&format!("enter {digits}")), "{text}");
    assert!(text.contains("expires in 10 minutes"), "{text}");

    // German, to a named mailbox.
    let reply = rep
        .request(&email(info.code, "Alice <alice@example.com>", Some("de")))
        .await;
    assert!(
        matches!(reply, PortalMessage::CodeEmailed { code, .. } if code == info.code),
        "{reply:?}"
    );
    let mail = sink.wait_for_message(deadline()).await;
    assert_eq!(mail.to, ["alice@example.com"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Ihre Support-Sitzung mit Administrator")
    );
    let text = mail.text();
    assert!(text.starts_with("Guten Tag Alice Example,\n"), "{text}");
    assert!(text.contains(&info.join_url), "{text}");
    assert!(text.contains(&format!("geben Sie {digits} ein")), "{text}");
    assert!(text.contains("läuft in 10 Minuten ab"), "{text}");

    // A language the portal does not have: its default, English.
    let reply = rep
        .request(&email(info.code, "alice@example.com", Some("fr")))
        .await;
    assert!(
        matches!(reply, PortalMessage::CodeEmailed { .. }),
        "{reply:?}"
    );
    let mail = sink.wait_for_message(deadline()).await;
    assert!(mail.text().starts_with("Dear Alice Example,"));
    // One message per request, nothing else.
    assert!(sink.messages().is_empty());

    // The code still works, once.
    assert_eq!(rep.list_codes().await.len(), 1);
    let mut agent = Client::connect(server.addr).await;
    common::session_of(&agent.redeem(info.code, "alice@laptop").await);

    let logged = logs.text();
    assert_eq!(logged.matches("invitation mailed").count(), 3, "{logged}");
    assert!(logged.contains("example.com"), "{logged}");
    for secret in ["alice@", digits.as_str(), "/join/", "Alice Example"] {
        assert!(
            !logged.contains(secret),
            "{secret:?} in the logs:\n{logged}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn refused_mail_is_reported_and_the_code_stays() {
    let dir = TempDir::new("mail-refused");
    let sink = SmtpSink::rejecting().await;
    let server = Server::start(mail_config(&dir, sink.config(MAIL_TIMEOUT))).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let reply = rep
        .request(&email(info.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::MailFailed, "{reply:?}");
    assert_eq!(
        error_message(&reply),
        "the mail server refused the message: 554 5.7.1"
    );
    let listed = rep.list_codes().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].code, info.code);
    assert!(sink.messages().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn unreachable_mail_server_is_reported_quickly() {
    let dir = TempDir::new("mail-unreachable");
    // A port nobody listens on any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds")
        .local_addr()
        .expect("has an address");
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port: closed.port(),
        security: SmtpSecurity::None,
        username: Some("tandem".into()),
        password: Some("smtp-secret-password".into()),
        from: "support@example.com".into(),
        timeout: MAIL_TIMEOUT,
    };
    let server = Server::start(mail_config(&dir, smtp)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let started = Instant::now();
    let reply = rep
        .request(&email(info.code, "alice@example.com", None))
        .await;
    assert!(started.elapsed() < MAIL_TIMEOUT + Duration::from_secs(1));
    assert_eq!(error_kind(&reply), ErrorKind::MailFailed, "{reply:?}");
    let message = error_message(&reply);
    assert_eq!(
        message,
        format!(
            "the mail server at 127.0.0.1:{} could not be reached",
            closed.port()
        )
    );
    assert!(!message.contains("secret"));
    assert_eq!(rep.list_codes().await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn silent_mail_server_times_out() {
    let dir = TempDir::new("mail-silent");
    // Connections complete in the backlog, but nothing ever answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let port = silent.local_addr().expect("has an address").port();
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "support@example.com".into(),
        timeout: MAIL_TIMEOUT,
    };
    let server = Server::start(mail_config(&dir, smtp)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let started = Instant::now();
    rep.send(&email(info.code, "alice@example.com", None)).await;
    // The connection keeps serving meanwhile.
    assert_eq!(rep.list_codes().await.len(), 1);
    let reply = rep.recv().await;
    let took = started.elapsed();
    assert!(
        took >= MAIL_TIMEOUT - Duration::from_millis(100) && took < MAIL_TIMEOUT * 2,
        "{took:?}"
    );
    assert_eq!(error_kind(&reply), ErrorKind::MailFailed, "{reply:?}");
    assert_eq!(
        error_message(&reply),
        format!("the mail server at 127.0.0.1:{port} did not answer within 3 seconds")
    );
    drop(silent);
    server.stop().await;
}

#[tokio::test]
async fn bad_addresses_are_refused() {
    let dir = TempDir::new("mail-bad-address");
    let sink = SmtpSink::start().await;
    let server = Server::start(mail_config(&dir, sink.config(MAIL_TIMEOUT))).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    for (to, why) in [
        ("alice@example.com\r\nBcc: eve@example.com", "line breaks"),
        ("alice@example.com\nBcc: eve@example.com", "line breaks"),
        ("alice.example.com", "not an email address"),
        ("alice@example.com, eve@example.com", "not an email address"),
        ("", "enter the customer's email address"),
    ] {
        let reply = rep.request(&email(info.code, to, None)).await;
        assert_eq!(
            error_kind(&reply),
            ErrorKind::BadRequest,
            "{to:?}: {reply:?}"
        );
        assert!(error_message(&reply).contains(why), "{to:?}: {reply:?}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    let reply = rep.request(&email(info.code, &long, None)).await;
    assert_eq!(error_kind(&reply), ErrorKind::BadRequest);
    assert!(error_message(&reply).contains("254"), "{reply:?}");
    assert!(sink.messages().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn only_the_reps_own_active_codes_are_mailed() {
    let dir = TempDir::new("mail-others-code");
    let sink = SmtpSink::start().await;
    let server = Server::start(mail_config(&dir, sink.config(MAIL_TIMEOUT))).await;
    let password = add_rep(&dir, "bob", "Bob").await;
    let mut admin = Client::admin(server.addr).await;
    let mut bob = Client::rep(server.addr, "bob", &password).await;
    let admins = admin.create_code("Alice").await;

    let reply = bob
        .request(&email(admins.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::CodeUnknown, "{reply:?}");
    assert!(error_message(&reply).contains("no such active code"));

    // Cancelled codes are not mailed either.
    let bobs = bob.create_code("Carol").await;
    let cancel = ClientMessage::CancelCode { code: bobs.code };
    assert_eq!(
        bob.request(&cancel).await,
        PortalMessage::CodeCancelled { code: bobs.code }
    );
    let reply = bob
        .request(&email(bobs.code, "carol@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::CodeUnknown, "{reply:?}");

    // Nor by someone not logged in.
    let mut anonymous = Client::connect(server.addr).await;
    let reply = anonymous
        .request(&email(admins.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::Unauthorized, "{reply:?}");

    assert!(sink.messages().is_empty());
    assert_eq!(admin.list_codes().await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn without_a_mail_server_the_rep_is_told_to_copy() {
    let dir = TempDir::new("mail-off");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let reply = rep
        .request(&email(info.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::MailFailed, "{reply:?}");
    assert_eq!(
        error_message(&reply),
        "this portal has no mail server configured; copy the invitation text instead"
    );
    assert_eq!(rep.list_codes().await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn encryption_that_cannot_be_had_is_reported() {
    let dir = TempDir::new("mail-tls");
    // The sink speaks plain SMTP only, and offers no STARTTLS.
    let sink = SmtpSink::start().await;
    let tls = SmtpConfig {
        security: SmtpSecurity::Tls,
        ..sink.config(MAIL_TIMEOUT)
    };
    let server = Server::start(mail_config(&dir, tls)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let reply = rep
        .request(&email(info.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::MailFailed, "{reply:?}");
    assert_eq!(
        error_message(&reply),
        format!(
            "no trusted encrypted connection could be made to the mail server at {}",
            sink.addr
        )
    );
    server.stop().await;

    let dir = TempDir::new("mail-starttls");
    let starttls = SmtpConfig {
        security: SmtpSecurity::StartTls,
        ..sink.config(MAIL_TIMEOUT)
    };
    let server = Server::start(mail_config(&dir, starttls)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let reply = rep
        .request(&email(info.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::MailFailed, "{reply:?}");
    assert!(
        error_message(&reply).starts_with("no trusted encrypted connection"),
        "{reply:?}"
    );
    // Nothing went out in the clear.
    assert!(sink.messages().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn mails_per_representative_are_limited() {
    let dir = TempDir::new("mail-limit");
    let sink = SmtpSink::start().await;
    let server = Server::start(mail_config(&dir, sink.config(MAIL_TIMEOUT))).await;
    // Limits are kept per account id in the process: an account no other test here mails from.
    let password = add_rep(&dir, "carol", "Carol").await;
    let mut carol = Client::rep(server.addr, "carol", &password).await;
    let info = carol.create_code("Alice").await;
    for _ in 0..20 {
        let reply = carol
            .request(&email(info.code, "alice@example.com", None))
            .await;
        assert!(
            matches!(reply, PortalMessage::CodeEmailed { .. }),
            "{reply:?}"
        );
    }
    let reply = carol
        .request(&email(info.code, "alice@example.com", None))
        .await;
    assert_eq!(error_kind(&reply), ErrorKind::RateLimited, "{reply:?}");
    assert!(
        error_message(&reply).starts_with("you have mailed 20 invitations in the last 10 minutes"),
        "{reply:?}"
    );
    assert_eq!(sink.messages().len(), 20);
    assert_eq!(carol.list_codes().await.len(), 1);
    server.stop().await;
}
