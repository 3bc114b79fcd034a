//! The portal's settings.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::admission::AdmissionLimits;
use crate::mail::SmtpConfig;
use crate::tls::TlsSource;

/// Connections one client address may hold at once (default).
pub const DEFAULT_MAX_PER_ADDRESS: usize = 32;
/// Connections in all, by default, however many descriptors the system allows: at about
/// 25 KiB per idle TLS connection, 10,000 hold some 250 MB.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Everything [`crate::run`] needs besides the listening socket.
#[derive(Clone)]
pub struct Config {
    /// SQLite database file (created if missing).
    pub db_path: PathBuf,
    /// Base URL customers reach the portal at ("https://help.example.com"); links in codes
    /// and invitations start with it. `None`: `http://<listen address>`.
    pub public_url: Option<String>,
    /// How long a new code stays valid (default 10 minutes).
    pub code_ttl: Duration,
    /// How many active codes one representative may hold (default 8).
    pub max_active_codes: usize,
    /// Password for the `admin` account created when the database has no representative.
    /// `None`: a random one is generated and printed once.
    pub admin_password: Option<String>,
    /// How long a session waits for the customer's agent after its connection dropped
    /// without `EndSession` (a reboot, a network drop); it may come back with
    /// `Resume` meanwhile. Zero (the default here; the binary defaults to 10 minutes): the
    /// session ends as soon as the agent's connection closes. With a window, sessions also
    /// outlive a portal restart on the same database within it (see [`crate::run`]); without
    /// one, a shutdown ends them.
    pub resume_window: Duration,
    /// Where the TLS certificate comes from (default here: `Off`, plain HTTP, which
    /// [`crate::run`] allows only on loopback or with `behind_proxy`; the binary defaults to
    /// a self-signed certificate).
    pub tls: TlsSource,
    /// A TLS-terminating proxy is in front: plain HTTP is allowed on any address.
    pub behind_proxy: bool,
    /// Proxies whose `X-Forwarded-For` names the client (for attempt limits and logs).
    pub trusted_proxies: Vec<IpAddr>,
    /// Connections in all (`None`: [`DEFAULT_MAX_CONNECTIONS`]); never more than the
    /// process's open-file limit allows.
    pub max_connections: Option<usize>,
    /// Connections per client address.
    pub max_per_address: usize,
    /// Time a client has for the TLS handshake, and for sending a request's headers.
    pub handshake_timeout: Duration,
    /// Time a new WebSocket has to say who it is (log in, redeem, resume, join with a key).
    pub identify_within: Duration,
    /// The mail server representatives' invitations go through (`EmailCode`); `None` (the
    /// default): no mail, representatives copy the invitation text instead.
    pub smtp: Option<SmtpConfig>,
    /// The built web app (`web/dist`: `index.html`, `app.js`, `app.css`); `None`: found
    /// beside the binary (`../share/tandem/web`) or in the source tree it was built from.
    pub web_dir: Option<PathBuf>,
    /// The customer app's builds for download (`tandem-agent-linux-x86_64`…); `None`: the
    /// installed ones (`../lib/tandem/downloads` beside the binary), else the agent built
    /// beside the portal (a development tree).
    pub downloads_dir: Option<PathBuf>,
    /// How long a representative has to accept a Queue-mode request before it goes to the
    /// next (default 30 s).
    pub offer_timeout: Duration,
    /// Customers allowed to wait in one portal's queue (default 50).
    pub queue_cap: usize,
    /// The language of invitation mails when the representative names none the portal has
    /// (see [`crate::mail::LANGUAGES`]; default "en").
    pub mail_language: String,
    /// How long a representative's sign-in lasts on one connection before they must sign
    /// in again (default 12 hours).
    pub sign_in_lifetime: Duration,
    /// Where session recordings are kept; `None`: beside the database, in a folder named
    /// after it (`tandem-portal.recordings`).
    pub recordings_dir: Option<PathBuf>,
    /// The largest one recording may grow (default 1 GiB); it stops there, said in the
    /// audit trail, and the session goes on.
    pub recording_max_bytes: u64,
}

impl Config {
    /// Where session recordings are kept.
    pub fn recordings_dir(&self) -> PathBuf {
        self.recordings_dir
            .clone()
            .unwrap_or_else(|| self.db_path.with_extension("recordings"))
    }

    /// The admission limits in force (see [`crate::admission`]).
    pub fn connection_limits(&self) -> AdmissionLimits {
        let wanted = self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
        let wanted = u64::try_from(wanted).unwrap_or(u64::MAX).saturating_add(64);
        let open_files = wanted.min(open_file_limit());
        AdmissionLimits::for_open_files(open_files, self.max_per_address)
    }
}

/// Raises this process's open-file limit to its hard limit (a portal holds a descriptor
/// per connection) and returns it.
pub fn open_file_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(current), Some(max)) = (limit.current, limit.maximum)
        && current < max
    {
        let raised = Rlimit {
            current: Some(max),
            maximum: Some(max),
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return max;
        }
    }
    limit.current.unwrap_or(1024)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db_path: PathBuf::from("./tandem-portal.sqlite3"),
            public_url: None,
            code_ttl: Duration::from_secs(600),
            max_active_codes: 8,
            admin_password: None,
            resume_window: Duration::ZERO,
            tls: TlsSource::Off,
            behind_proxy: false,
            trusted_proxies: Vec::new(),
            max_connections: None,
            max_per_address: DEFAULT_MAX_PER_ADDRESS,
            handshake_timeout: Duration::from_secs(10),
            identify_within: Duration::from_secs(15),
            smtp: None,
            web_dir: None,
            downloads_dir: None,
            offer_timeout: Duration::from_secs(30),
            queue_cap: 50,
            mail_language: "en".to_owned(),
            sign_in_lifetime: Duration::from_secs(12 * 3600),
            recordings_dir: None,
            recording_max_bytes: 1 << 30,
        }
    }
}

impl std::fmt::Debug for Config {
    /// Like a derived `Debug`, but the admin password is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("db_path", &self.db_path)
            .field("public_url", &self.public_url)
            .field("code_ttl", &self.code_ttl)
            .field("max_active_codes", &self.max_active_codes)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<hidden>"),
            )
            .field("resume_window", &self.resume_window)
            .field("tls", &self.tls)
            .field("behind_proxy", &self.behind_proxy)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_connections", &self.max_connections)
            .field("max_per_address", &self.max_per_address)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("identify_within", &self.identify_within)
            .field("smtp", &self.smtp)
            .field("mail_language", &self.mail_language)
            .field("sign_in_lifetime", &self.sign_in_lifetime)
            .field("recordings_dir", &self.recordings_dir)
            .field("recording_max_bytes", &self.recording_max_bytes)
            .field("web_dir", &self.web_dir)
            .field("downloads_dir", &self.downloads_dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_admin_password() {
        let c = super::Config {
            admin_password: Some("s3cret-pass".into()),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("<hidden>"));
    }

    #[test]
    fn debug_hides_the_mail_password() {
        let c = super::Config {
            smtp: Some(crate::mail::SmtpConfig {
                host: "mail.example.com".into(),
                port: 587,
                security: crate::mail::SmtpSecurity::StartTls,
                username: Some("tandem".into()),
                password: Some("m41l-pass".into()),
                from: "support@example.com".into(),
                timeout: crate::mail::DEFAULT_TIMEOUT,
            }),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("m41l"), "{shown}");
        assert!(shown.contains("mail.example.com"), "{shown}");
    }
}
