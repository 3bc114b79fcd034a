//! One-use tickets that open a console panel on a session (see `hub::panels`): the
//! representative's logged-in console asks for one per session pane, and the pane's own
//! connection presents it. So a pane needs no password of its own, and a ticket that leaks
//! (a log, a screenshot) is worthless after a minute or one use.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::RngExt;
use tandem_protocol::SessionCode;

use crate::storage::Representative;

/// How long a ticket may wait to be used.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(60);
/// Unused tickets kept at most (older ones are dropped first): a console asks for one per
/// pane it opens, so a few hundred is plenty for a whole team.
pub const MAX_TICKETS: usize = 512;

/// What a ticket opens.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Whose console asked.
    pub rep: Representative,
    /// The session's code.
    pub code: SessionCode,
    /// The code's row.
    pub code_id: i64,
    /// When the code expires (Unix seconds), for a panel that waits for its customer.
    pub expires_at: crate::storage::UnixTime,
    issued: Instant,
}

/// Tickets not yet used.
#[derive(Default)]
pub struct Tickets {
    open: HashMap<String, Ticket>,
}

impl std::fmt::Debug for Tickets {
    /// The tickets themselves are secrets: only how many there are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tickets({} open)", self.open.len())
    }
}

impl Tickets {
    /// A fresh ticket for `rep`'s code.
    pub fn issue(
        &mut self,
        rep: Representative,
        code: SessionCode,
        (code_id, expires_at): (i64, crate::storage::UnixTime),
        now: Instant,
    ) -> String {
        self.open
            .retain(|_, t| now.duration_since(t.issued) < TICKET_LIFETIME);
        if self.open.len() >= MAX_TICKETS
            && let Some(oldest) = self
                .open
                .iter()
                .min_by_key(|(_, t)| t.issued)
                .map(|(k, _)| k.clone())
        {
            self.open.remove(&oldest);
        }
        let bytes: [u8; 24] = rand::rng().random();
        let ticket: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.open.insert(
            ticket.clone(),
            Ticket {
                rep,
                code,
                code_id,
                expires_at,
                issued: now,
            },
        );
        ticket
    }

    /// Uses up `ticket`; `None` when it is unknown, used or too old.
    pub fn redeem(&mut self, ticket: &str, now: Instant) -> Option<Ticket> {
        let t = self.open.remove(ticket)?;
        (now.duration_since(t.issued) < TICKET_LIFETIME).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep() -> Representative {
        Representative {
            id: 1,
            user: "bob".into(),
            name: "Bob".into(),
            is_admin: false,
        }
    }

    #[test]
    fn a_ticket_works_once_and_not_after_its_lifetime() {
        let mut t = Tickets::default();
        let now = Instant::now();
        let code: SessionCode = "123456789".parse().expect("code");
        let a = t.issue(rep(), code, (7, 0), now);
        assert_eq!(a.len(), 48);
        assert!(t.redeem("nope", now).is_none());
        assert_eq!(t.redeem(&a, now).map(|x| x.code_id), Some(7));
        assert!(t.redeem(&a, now).is_none(), "used");
        let b = t.issue(rep(), code, (7, 0), now);
        assert!(t.redeem(&b, now + TICKET_LIFETIME).is_none(), "too old");
    }

    #[test]
    fn tickets_are_bounded() {
        let mut t = Tickets::default();
        let now = Instant::now();
        let code: SessionCode = "123456789".parse().expect("code");
        let first = t.issue(rep(), code, (1, 0), now);
        for i in 0..MAX_TICKETS {
            t.issue(
                rep(),
                code,
                (2, 0),
                now + Duration::from_millis(i as u64 + 1),
            );
        }
        assert!(t.open.len() <= MAX_TICKETS);
        assert!(t.redeem(&first, now).is_none(), "the oldest went first");
    }
}
