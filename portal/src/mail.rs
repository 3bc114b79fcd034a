//! Invitations by email: the SMTP settings, the message a customer gets (in English or
//! German), checking the address a representative typed, and handing the message to the
//! configured mail server.
//!
//! Only [`send`] does IO. It opens one connection per message (no pool: representatives send
//! a few invitations an hour), through rustls with the system's trusted roots for `StartTls`
//! and `Tls`. Its [`MailError`]s are sentences for the representative; they name the server
//! and, when it refused, its reply code, never the password or the message.
//!
//! ```
//! use std::time::Duration;
//! use tandem_portal::mail;
//! let code = "012345678".parse().expect("nine digits");
//! let text = mail::invitation(
//!     &mail::Invitation {
//!         customer: "Alice",
//!         rep_name: "Bob",
//!         url: "https://help.example.com/join/012345678",
//!         code,
//!         left: Duration::from_secs(600),
//!     },
//!     Some("de-AT"),
//!     "en",
//! );
//! assert!(text.body.starts_with("Guten Tag Alice,"));
//! assert!(mail::recipient("alice@example.com").is_ok());
//! assert!(mail::recipient("alice@example.com\r\nBcc: eve@example.com").is_err());
//! ```

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tandem_protocol::SessionCode;

use crate::codes;

/// The longest address accepted, in bytes (RFC 5321's limit on a path, less its brackets).
pub const MAX_ADDRESS_BYTES: usize = 254;
/// The languages invitations are written in.
pub const LANGUAGES: [&str; 2] = ["en", "de"];
/// The mail server's time to answer, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same machine or network only: a password would travel in
    /// the clear).
    None,
    /// Plain SMTP upgraded with `STARTTLS`, which the server must offer (usually port 587).
    StartTls,
    /// TLS from the first byte ("implicit TLS", usually port 465).
    Tls,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// Where and how invitations are sent.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The mail server's name (also the name its certificate must carry) or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The user name to log in with; `None`: no login.
    pub username: Option<String>,
    /// The password to log in with.
    pub password: Option<String>,
    /// The sender, a mailbox: "Tandem Support <support@example.com>".
    pub from: String,
    /// How long the whole exchange with the mail server may take.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// `host:port`, as sentences name the server.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Checks what can be checked before the first mail: the sender's mailbox, a password
    /// only with a user name.
    pub fn check(&self) -> Result<(), String> {
        sender(&self.from)?;
        if self.host.trim().is_empty() {
            return Err("the mail server's name is empty".into());
        }
        if self.password.is_some() && self.username.is_none() {
            return Err("a mail server password needs a user name too".into());
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpConfig {
    /// Like a derived `Debug`, but the password is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What an invitation is about.
#[derive(Debug, Clone, Copy)]
pub struct Invitation<'a> {
    /// The customer's name as the representative typed it.
    pub customer: &'a str,
    /// The representative's display name.
    pub rep_name: &'a str,
    /// The join link (with its token).
    pub url: &'a str,
    /// The code.
    pub code: SessionCode,
    /// How long the code still works.
    pub left: Duration,
}

/// An invitation in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationText {
    /// The language it is written in ("en", "de").
    pub language: &'static str,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (lines end in `\n`).
    pub body: String,
}

/// The language an invitation is written in: `wanted` ("de", "de-AT", "DE_ch"…) if the
/// portal has it, else `default`, else English.
pub fn language(wanted: Option<&str>, default: &str) -> &'static str {
    let known = |tag: &str| {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        LANGUAGES
            .into_iter()
            .find(|l| l.eq_ignore_ascii_case(primary))
    };
    wanted
        .and_then(known)
        .or_else(|| known(default))
        .unwrap_or("en")
}

/// The invitation mail for `what`, in `wanted` language (see [`language`]). The English body
/// is exactly the text the console copies ([`codes::invitation`]).
pub fn invitation(what: &Invitation<'_>, wanted: Option<&str>, default: &str) -> InvitationText {
    let Invitation {
        customer,
        rep_name,
        url,
        code,
        left,
    } = *what;
    match language(wanted, default) {
        "de" => InvitationText {
            language: "de",
            subject: format!("Ihre Support-Sitzung mit {rep_name}"),
            body: format!(
                "Guten Tag {customer},\n\nbitte klicken Sie auf diesen Link, um Ihre \
                 Support-Sitzung mit {rep_name} zu beginnen: {url}\n\nWenn Sie nach einem \
                 Support-Code gefragt werden, geben Sie {code} ein. Der Code gilt einmal und \
                 läuft in {} ab.\n",
                duration_text_de(left)
            ),
        },
        _ => InvitationText {
            language: "en",
            subject: format!("Your support session with {rep_name}"),
            body: format!(
                "{}\n",
                codes::invitation(customer, rep_name, url, code, left)
            ),
        },
    }
}

/// "10 Minuten", "1 Minute", "45 Sekunden": [`codes::duration_text`] in German.
fn duration_text_de(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    if secs < 60 {
        return if secs == 1 {
            "1 Sekunde".into()
        } else {
            format!("{secs} Sekunden")
        };
    }
    let minutes = secs.div_ceil(60);
    if minutes == 1 {
        "1 Minute".into()
    } else {
        format!("{minutes} Minuten")
    }
}

/// Checks the address a representative typed: "alice@example.com" or
/// "Alice Example <alice@example.com>", one address, no line breaks, at most
/// [`MAX_ADDRESS_BYTES`]. The error is a sentence for the representative.
pub fn recipient(raw: &str) -> Result<Mailbox, String> {
    let typed = raw.trim();
    if typed.is_empty() {
        return Err("enter the customer's email address".into());
    }
    if typed.len() > MAX_ADDRESS_BYTES {
        return Err(format!(
            "an email address may have at most {MAX_ADDRESS_BYTES} characters"
        ));
    }
    if typed.contains(['\r', '\n']) {
        return Err("an email address cannot contain line breaks".into());
    }
    if typed.chars().any(char::is_control) {
        return Err("an email address cannot contain control characters".into());
    }
    const NOT_AN_ADDRESS: &str = "that is not an email address; it should look like \
                                  name@example.com";
    // "Name <address>": the name is only shown; the address is checked on its own, so that
    // nothing after it ("…>, eve@example.com") is quietly dropped.
    let (name, address) = match typed.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
        Some((name, address)) => {
            let name = name.trim().trim_matches('"').trim();
            if name.contains(['<', '>', '"']) {
                return Err(NOT_AN_ADDRESS.into());
            }
            ((!name.is_empty()).then(|| name.to_owned()), address.trim())
        }
        None => (None, typed),
    };
    if !address.contains('@') {
        return Err(NOT_AN_ADDRESS.into());
    }
    let address: Address = address.parse().map_err(|_| NOT_AN_ADDRESS.to_owned())?;
    Ok(Mailbox::new(name, address))
}

/// The part of `address` after its `@` (for logs, which name no whole address).
pub fn domain_of(address: &Mailbox) -> &str {
    address.email.domain()
}

/// The sender mailbox of the settings.
fn sender(from: &str) -> Result<Mailbox, String> {
    recipient(from).map_err(|why| format!("the sender address is not usable: {why}"))
}

/// Why an invitation was not sent: sentences for the representative.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// No connection (refused, no route, name not found, broken off).
    #[error("the mail server at {server} could not be reached")]
    Unreachable {
        /// `host:port`.
        server: String,
    },
    /// The server did not finish in time.
    #[error("the mail server at {server} did not answer within {secs} seconds")]
    Timeout {
        /// `host:port`.
        server: String,
        /// The configured time.
        secs: u64,
    },
    /// No trusted encrypted connection (certificate, handshake, no `STARTTLS`).
    #[error("no trusted encrypted connection could be made to the mail server at {server}")]
    Insecure {
        /// `host:port`.
        server: String,
    },
    /// The server turned down the portal's user name and password (or wants a login).
    #[error("the mail server refused the portal's login: {reply}")]
    LoginRefused {
        /// Its reply code ("535", "535 5.7.8").
        reply: String,
    },
    /// The server turned down the sender, the recipient or the message.
    #[error("the mail server refused the message: {reply}")]
    Refused {
        /// Its reply code ("554", "554 5.7.1").
        reply: String,
    },
    /// Anything else in the exchange (an answer the portal does not understand, no login
    /// method in common).
    #[error("the mail server at {server} could not take the message")]
    Failed {
        /// `host:port`.
        server: String,
    },
    /// The portal's own settings are not usable (the sender address).
    #[error("the portal's mail settings are not usable: {0}")]
    Settings(String),
}

impl MailError {
    /// The sentence for what lettre reported. Its own texts are not passed on: only the
    /// server's reply code, and which kind of failure it was.
    fn from_smtp(e: &lettre::transport::smtp::Error, config: &SmtpConfig) -> MailError {
        let server = config.server();
        if let Some(code) = e.status() {
            let code = code.to_string();
            // The server's enhanced status code ("5.7.1") when its reply starts with one.
            let enhanced = std::error::Error::source(e)
                .map(|s| s.to_string())
                .and_then(|text| {
                    let first = text.split_whitespace().next()?.to_owned();
                    let parts: Vec<&str> = first.split('.').collect();
                    let valid = parts.len() == 3
                        && parts.iter().all(|p| {
                            !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())
                        });
                    valid.then_some(first)
                });
            let reply = match enhanced {
                Some(enhanced) => format!("{code} {enhanced}"),
                None => code.clone(),
            };
            // Replies to AUTH (RFC 4954) and "authentication required".
            return if matches!(code.as_str(), "530" | "534" | "535" | "538" | "454") {
                MailError::LoginRefused { reply }
            } else {
                MailError::Refused { reply }
            };
        }
        if e.is_timeout() {
            return MailError::Timeout {
                server,
                secs: config.timeout.as_secs().max(1),
            };
        }
        if e.is_tls() || caused_by_tls(e) {
            return MailError::Insecure { server };
        }
        if e.is_client() {
            let text = e.to_string();
            if text.contains("STARTTLS") {
                return MailError::Insecure { server };
            }
            return MailError::Failed { server };
        }
        if e.is_response() {
            return MailError::Failed { server };
        }
        MailError::Unreachable { server }
    }
}

/// Whether a rustls error (a certificate or handshake failure) is behind `e`.
fn caused_by_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        next = err.source();
    }
    false
}

/// The whole mail: headers and the plain-text body.
fn message(config: &SmtpConfig, to: &Mailbox, text: &InvitationText) -> Result<Message, MailError> {
    let from = sender(&config.from).map_err(MailError::Settings)?;
    // A Message-ID in the sender's domain (lettre's default says "localhost", which spam
    // filters hold against a message).
    let id: u128 = rand::RngExt::random(&mut rand::rng());
    let message_id = format!("<{id:032x}@{}>", from.email.domain());
    Message::builder()
        .from(from)
        .to(to.clone())
        .subject(text.subject.clone())
        .message_id(Some(message_id))
        .header(ContentType::TEXT_PLAIN)
        .body(text.body.clone())
        .map_err(|e| MailError::Settings(e.to_string()))
}

/// Sends `text` to `to` through the configured server, within `config.timeout` in all.
pub async fn send(
    config: &SmtpConfig,
    to: &Mailbox,
    text: &InvitationText,
) -> Result<(), MailError> {
    let message = message(config, to, text)?;
    let server = config.server();
    let tls = match config.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls | SmtpSecurity::Tls => {
            let params =
                TlsParameters::new(config.host.clone()).map_err(|_| MailError::Insecure {
                    server: server.clone(),
                })?;
            if config.security == SmtpSecurity::Tls {
                Tls::Wrapper(params)
            } else {
                // Never opportunistic: without STARTTLS the password and the link would
                // travel in the clear.
                Tls::Required(params)
            }
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
        .port(config.port)
        .tls(tls)
        .timeout(Some(config.timeout));
    if let Some(user) = &config.username {
        let password = config.password.clone().unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    let transport = builder.build();
    match tokio::time::timeout(config.timeout, transport.send(message)).await {
        Ok(Ok(_reply)) => Ok(()),
        Ok(Err(e)) => Err(MailError::from_smtp(&e, config)),
        Err(_) => Err(MailError::Timeout {
            server,
            secs: config.timeout.as_secs().max(1),
        }),
    }
}

#[cfg(test)]
#[path = "mail_tests.rs"]
mod tests;
