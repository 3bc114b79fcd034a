//! The portal's settings.

use std::path::PathBuf;
use std::time::Duration;

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
}
