//! The portal's attempt budgets, without IO or a clock (`now` is a parameter): one per
//! purpose, so that one cannot use up another's (see docs/security.md, "Lock-out").

use std::net::IpAddr;
use std::time::{Duration, Instant};

use tandem_protocol::SessionCode;

use crate::ratelimit::{RateLimiter, client_key};
use crate::{
    CODE_FAILURES_ALLOWED, FAILURE_WINDOW, HELP_REQUESTS_ALLOWED, KEY_JOINS_ALLOWED,
    LOGIN_FAILURES_ALLOWED, LOGIN_SPRAY_ALLOWED, RESUME_FAILURES_ALLOWED,
};

/// Which budget an attempt counts against.
#[derive(Debug, Clone, Copy)]
pub enum Limit<'a> {
    /// A typed code or support key (no valid link token).
    Codes,
    /// A login as this user.
    Login(&'a str),
    /// A resume with a wrong secret (charged after the check).
    Resume,
    /// A join with this support key (charged whatever the outcome; never forgiven).
    KeyJoin(SessionCode),
    /// A customer's help request without a code (each alerts representatives; never
    /// forgiven).
    HelpRequests,
}

/// Every attempt budget.
#[derive(Debug)]
pub struct Limits {
    codes: RateLimiter<IpAddr>,
    logins: RateLimiter<(IpAddr, String)>,
    login_spray: RateLimiter<IpAddr>,
    resumes: RateLimiter<IpAddr>,
    key_joins: RateLimiter<SessionCode>,
    help_requests: RateLimiter<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            codes: RateLimiter::new(CODE_FAILURES_ALLOWED, FAILURE_WINDOW),
            logins: RateLimiter::new(LOGIN_FAILURES_ALLOWED, FAILURE_WINDOW),
            login_spray: RateLimiter::new(LOGIN_SPRAY_ALLOWED, FAILURE_WINDOW),
            resumes: RateLimiter::new(RESUME_FAILURES_ALLOWED, FAILURE_WINDOW),
            key_joins: RateLimiter::new(KEY_JOINS_ALLOWED, FAILURE_WINDOW),
            help_requests: RateLimiter::new(HELP_REQUESTS_ALLOWED, FAILURE_WINDOW),
        }
    }
}

impl Limits {
    /// Charges one attempt from `ip`; `Err(wait)` when it is over the limit.
    pub fn charge(&mut self, which: Limit<'_>, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = client_key(ip);
        match which {
            Limit::Codes => self.codes.try_acquire(key, now),
            Limit::Resume => self.resumes.try_acquire(key, now),
            Limit::KeyJoin(support_key) => self.key_joins.try_acquire(support_key, now),
            Limit::HelpRequests => self.help_requests.try_acquire(key, now),
            Limit::Login(user) => {
                self.login_spray.try_acquire(key, now)?;
                let per_user = self
                    .logins
                    .try_acquire((key, user.to_ascii_lowercase()), now);
                if per_user.is_err() {
                    self.login_spray.forgive(&key);
                }
                per_user
            }
        }
    }

    /// The attempt from `ip` succeeded: it does not count.
    pub fn forgive(&mut self, which: Limit<'_>, ip: IpAddr) {
        let key = client_key(ip);
        match which {
            Limit::Codes => self.codes.forgive(&key),
            Limit::Resume => self.resumes.forgive(&key),
            // Joins count whatever their outcome.
            Limit::KeyJoin(_) | Limit::HelpRequests => {}
            Limit::Login(user) => {
                self.login_spray.forgive(&key);
                self.logins.forgive(&(key, user.to_ascii_lowercase()));
            }
        }
    }
}
