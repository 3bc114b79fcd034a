//! Per-connection message budgets, without IO or a clock: a token bucket per kind of
//! message, so a client that loops (chat, consent, signalling) is refused quickly and costs
//! the portal, the database and the other members next to nothing.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tandem_portal::budget::Bucket;
//! let t = Instant::now();
//! let mut chat = Bucket::new(2, 1);
//! assert!(chat.try_take(t) && chat.try_take(t));
//! assert!(!chat.try_take(t));
//! assert!(chat.try_take(t + Duration::from_secs(1)));
//! ```

use std::time::Instant;

use tandem_protocol::signal::ClientMessage;

const NANO: u128 = 1_000_000_000;

/// A token bucket: `burst` messages at once, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct Bucket {
    burst: u128,
    per_second: u128,
    /// Tokens in billionths (a token per second is one per nanosecond), so refills of any
    /// fraction of a token add up.
    nano: u128,
    last: Option<Instant>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(burst: u32, per_second: u32) -> Bucket {
        let burst = u128::from(burst.max(1));
        Bucket {
            burst,
            per_second: u128::from(per_second),
            nano: burst * NANO,
            last: None,
        }
    }

    /// Takes one token; `false` if there is none (nothing is taken then).
    pub fn try_take(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let gained = now
                .saturating_duration_since(last)
                .as_nanos()
                .saturating_mul(self.per_second);
            self.nano = self.nano.saturating_add(gained).min(self.burst * NANO);
        }
        self.last = Some(now);
        if self.nano >= NANO {
            self.nano -= NANO;
            true
        } else {
            false
        }
    }
}

/// Which budget a message draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Chat: people type slowly.
    Chat,
    /// The agent's consent reports: one per question the customer answers.
    Consent,
    /// The agent's activity reports (files, folder listings, reboots): many small files end
    /// close together. Over budget they are dropped, never held against the agent.
    Activity,
    /// WebRTC offers, answers, candidates and relay requests: bursts while links open.
    Signal,
    /// Everything else (login, codes, invitations, rights…).
    Request,
}

impl Kind {
    /// The budget `msg` draws from.
    pub fn of(msg: &ClientMessage) -> Kind {
        match msg {
            ClientMessage::Chat { .. } | ClientMessage::WebChat { .. } => Kind::Chat,
            ClientMessage::Consent { .. } => Kind::Consent,
            ClientMessage::Activity(_) => Kind::Activity,
            ClientMessage::Signal { .. } => Kind::Signal,
            _ => Kind::Request,
        }
    }
}

/// A connection's budgets.
#[derive(Debug, Clone)]
pub struct Budgets {
    chat: Bucket,
    consent: Bucket,
    activity: Bucket,
    signal: Bucket,
    request: Bucket,
    /// Messages refused so far; a client that keeps going after many is closed.
    pub refused: u32,
}

/// Refusals after which the portal stops answering and closes the connection.
pub const REFUSALS_BEFORE_CLOSING: u32 = 200;

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            chat: Bucket::new(10, 2),
            consent: Bucket::new(20, 5),
            activity: Bucket::new(200, 50),
            // Candidates for several attendees' links at once, and their renegotiations.
            signal: Bucket::new(200, 50),
            request: Bucket::new(30, 5),
            refused: 0,
        }
    }
}

impl Budgets {
    /// Charges `kind`; `false` if its budget is spent (the message is to be refused).
    pub fn try_take(&mut self, kind: Kind, now: Instant) -> bool {
        let bucket = match kind {
            Kind::Chat => &mut self.chat,
            Kind::Consent => &mut self.consent,
            Kind::Activity => &mut self.activity,
            Kind::Signal => &mut self.signal,
            Kind::Request => &mut self.request,
        };
        let ok = bucket.try_take(now);
        if !ok && kind != Kind::Activity {
            self.refused = self.refused.saturating_add(1);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_flood_gets_the_burst_and_then_the_rate() {
        let mut b = Budgets::default();
        let t = Instant::now();
        let taken = (0..50_000)
            .filter(|i| b.try_take(Kind::Consent, t + Duration::from_micros(*i)))
            .count();
        // 20 at once, plus 5 per second over the 50 ms the loop "took".
        assert_eq!(taken, 20);
        assert_eq!(b.refused, 50_000 - 20);
        let later = t + Duration::from_millis(50) + Duration::from_secs(2);
        let more = (0..100)
            .filter(|_| b.try_take(Kind::Consent, later))
            .count();
        assert_eq!(
            more, 10,
            "2 s at 5 per second (plus the 50 ms: a quarter token)"
        );
        // Kinds are independent.
        assert!(b.try_take(Kind::Chat, t));
        assert!(b.try_take(Kind::Signal, t));
    }

    #[test]
    fn fractions_of_a_token_add_up() {
        let mut chat = Bucket::new(1, 2);
        let t = Instant::now();
        assert!(chat.try_take(t));
        assert!(!chat.try_take(t + Duration::from_millis(250)));
        assert!(chat.try_take(t + Duration::from_millis(500)));
        // Long idle refills only up to the burst.
        let later = t + Duration::from_secs(3600);
        assert!(chat.try_take(later));
        assert!(!chat.try_take(later));
    }
}
