use super::*;

fn about() -> Invitation<'static> {
    Invitation {
        customer: "Alice",
        rep_name: "Bob",
        url: "https://help.example.com/join/012345678?t=abc",
        code: "012345678".parse().expect("valid"),
        left: Duration::from_secs(600),
    }
}

#[test]
fn english_matches_the_console_text() {
    let text = invitation(&about(), None, "en");
    assert_eq!(text.language, "en");
    assert_eq!(text.subject, "Your support session with Bob");
    let a = about();
    let console = codes::invitation(a.customer, a.rep_name, a.url, a.code, a.left);
    assert_eq!(text.body, format!("{console}\n"));
    assert!(text.body.starts_with(
        "Dear Alice,\n\nplease click this link to begin your support session with Bob: \
         https://help.example.com/join/012345678?t=abc"
    ));
}

#[test]
fn german_and_fallbacks() {
    let de = invitation(&about(), Some("de"), "en");
    assert_eq!(de.language, "de");
    assert_eq!(de.subject, "Ihre Support-Sitzung mit Bob");
    assert!(de.body.starts_with("Guten Tag Alice,"), "{}", de.body);
    assert!(
        de.body
            .contains("mit Bob zu beginnen: https://help.example.com/join/")
    );
    assert!(de.body.contains("geben Sie 012345678 ein"));
    assert!(de.body.contains("läuft in 10 Minuten ab"));
    assert_eq!(language(Some("DE_at"), "en"), "de");
    assert_eq!(language(Some("en-GB"), "de"), "en");
    // Unknown: the portal's default; an unknown default: English.
    assert_eq!(language(Some("fr"), "de"), "de");
    assert_eq!(language(None, "de"), "de");
    assert_eq!(language(Some("fr"), "xx"), "en");
    assert_eq!(language(Some(""), "en"), "en");
    assert_eq!(duration_text_de(Duration::from_secs(61)), "2 Minuten");
    assert_eq!(duration_text_de(Duration::from_secs(60)), "1 Minute");
    assert_eq!(duration_text_de(Duration::ZERO), "1 Sekunde");
    assert_eq!(duration_text_de(Duration::from_secs(30)), "30 Sekunden");
}

#[test]
fn addresses_are_checked() {
    let plain = recipient("  alice@example.com ").expect("valid");
    assert_eq!(plain.email.to_string(), "alice@example.com");
    assert_eq!(plain.name, None);
    let named = recipient("Alice Example <alice@example.com>").expect("valid");
    assert_eq!(named.name.as_deref(), Some("Alice Example"));
    assert_eq!(domain_of(&named), "example.com");
    let quoted = recipient("\"Example, Alice\" <alice@example.com>").expect("valid");
    assert_eq!(quoted.name.as_deref(), Some("Example, Alice"));
    for (bad, why) in [
        ("", "enter"),
        ("alice", "name@example.com"),
        ("alice@", "name@example.com"),
        ("@example.com", "name@example.com"),
        ("alice@example.com\r\nBcc: eve@example.com", "line breaks"),
        ("alice@example.com\nBcc: eve@example.com", "line breaks"),
        ("alice@exa\u{7}mple.com", "control"),
        ("alice@example.com, eve@example.com", "name@example.com"),
        ("a <b> <alice@example.com>", "name@example.com"),
        ("alice@example.com> , <eve@example.com>", "name@example.com"),
    ] {
        let err = recipient(bad).expect_err(bad);
        assert!(err.contains(why), "{bad:?}: {err}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert!(recipient(&long).expect_err("too long").contains("254"));
}

fn config() -> SmtpConfig {
    SmtpConfig {
        host: "mail.example.com".into(),
        port: 587,
        security: SmtpSecurity::StartTls,
        username: Some("tandem".into()),
        password: Some("hunter2-secret".into()),
        from: "Tandem Support <support@example.com>".into(),
        timeout: DEFAULT_TIMEOUT,
    }
}

#[test]
fn settings_are_checked_and_the_password_is_never_shown() {
    let c = config();
    assert_eq!(c.check(), Ok(()));
    assert_eq!(c.server(), "mail.example.com:587");
    let shown = format!("{c:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let bad_from = SmtpConfig {
        from: "support".into(),
        ..config()
    };
    assert!(bad_from.check().expect_err("no @").contains("sender"));
    let no_user = SmtpConfig {
        username: None,
        ..config()
    };
    assert!(no_user.check().is_err());
    assert_eq!(SmtpSecurity::Tls.default_port(), 465);
}

#[test]
fn errors_are_sentences_without_secrets() {
    let c = config();
    let all = [
        MailError::Unreachable { server: c.server() },
        MailError::Timeout {
            server: c.server(),
            secs: 30,
        },
        MailError::Insecure { server: c.server() },
        MailError::LoginRefused {
            reply: "535 5.7.8".into(),
        },
        MailError::Refused {
            reply: "554 5.7.1".into(),
        },
        MailError::Failed { server: c.server() },
    ];
    for e in all {
        let text = e.to_string();
        assert!(text.starts_with("the mail server") || text.starts_with("no trusted"));
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert_eq!(
        MailError::Unreachable { server: c.server() }.to_string(),
        "the mail server at mail.example.com:587 could not be reached"
    );
}

#[test]
fn the_message_is_plain_text_to_one_address() {
    let c = config();
    let to = recipient("Alice <alice@example.com>").expect("valid");
    let text = invitation(&about(), Some("de"), "en");
    let m = message(&c, &to, &text).expect("builds");
    let envelope = m.envelope();
    assert_eq!(envelope.to().len(), 1);
    assert_eq!(envelope.to()[0].to_string(), "alice@example.com");
    assert_eq!(
        envelope.from().map(ToString::to_string).as_deref(),
        Some("support@example.com")
    );
    let raw = String::from_utf8(m.formatted()).expect("ascii");
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
    assert!(raw.contains("@example.com>\r\n"), "{raw}");
    assert!(raw.is_ascii());
}
