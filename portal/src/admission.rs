//! Which connections the portal keeps, without IO or a clock: the rule that stops a few
//! addresses from filling the portal with idle sockets while customers and representatives
//! still get in.
//!
//! Every accepted TCP connection is *anonymous* until it proves who it is (a representative
//! logs in, an agent redeems a code or resumes with its secret, a specialist joins with a
//! key, a relay end shows its token): then it is *identified*.
//! - At most [`AdmissionLimits::max_per_address`] connections per client address (a trusted
//!   proxy's own connections are not counted per address). At the cap, the address's oldest
//!   anonymous connection is closed for the newcomer; only an address whose connections are
//!   all identified is refused.
//! - At most [`AdmissionLimits::max_connections`] in all, of which anonymous ones may use all
//!   but [`AdmissionLimits::reserved_for_identified`]: that headroom is what representatives
//!   and customers in a session keep when anonymous sockets pile up.
//! - When the anonymous share is full, a newcomer is still let in: the oldest anonymous
//!   connection of the address holding the most anonymous connections is closed for it. So a
//!   flood evicts itself first, and a customer or representative connecting meanwhile gets in
//!   and has the time to identify (anonymous connections have short deadlines anyway).
//!
//! ```
//! use std::net::IpAddr;
//! use tandem_portal::admission::{Admission, AdmissionLimits, Admit};
//! let limits = AdmissionLimits { max_connections: 4, reserved_for_identified: 1, max_per_address: 3 };
//! let mut gate = Admission::new(limits);
//! let attacker: IpAddr = "192.0.2.66".parse().unwrap();
//! for _ in 0..3 { assert!(matches!(gate.admit(Some(attacker)), Admit::Yes { evict: None, .. })); }
//! // At its cap, the attacker's newest socket replaces its oldest.
//! assert!(matches!(gate.admit(Some(attacker)), Admit::Yes { evict: Some(1), .. }));
//! // The anonymous share (3) is full: a customer still gets in, one attacker socket goes.
//! let customer: IpAddr = "198.51.100.7".parse().unwrap();
//! assert!(matches!(gate.admit(Some(customer)), Admit::Yes { evict: Some(_), .. }));
//! ```

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// The numbers [`Admission`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Connections in all.
    pub max_connections: usize,
    /// Of those, how many only identified connections may use.
    pub reserved_for_identified: usize,
    /// Connections per client address (IPv6 per /64).
    pub max_per_address: usize,
}

impl AdmissionLimits {
    /// Limits for a process allowed `open_files` descriptors: some are kept for the
    /// database, certificates, logs and the files a portal serves; an eighth of the rest
    /// (at least 4) is kept for identified connections.
    pub fn for_open_files(open_files: u64, max_per_address: usize) -> AdmissionLimits {
        let usable = usize::try_from(open_files.saturating_sub(64))
            .unwrap_or(usize::MAX)
            .max(16);
        AdmissionLimits {
            max_connections: usable,
            reserved_for_identified: (usable / 8).max(4),
            max_per_address: max_per_address.max(1),
        }
    }

    fn max_anonymous(&self) -> usize {
        self.max_connections
            .saturating_sub(self.reserved_for_identified)
            .max(1)
    }
}

/// A connection's number within one [`Admission`].
pub type Ticket = u64;

/// The answer for a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Keep it; close `evict` first if given.
    Yes {
        /// The new connection's ticket.
        ticket: Ticket,
        /// An anonymous connection to close to make room.
        evict: Option<Ticket>,
    },
    /// Close it at once.
    No(Refusal),
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The address has [`AdmissionLimits::max_per_address`] identified connections already.
    #[error("too many connections from your address")]
    TooManyFromAddress,
    /// Every slot is taken by identified connections.
    #[error("the portal is at its connection limit")]
    Full,
}

#[derive(Debug)]
struct Entry {
    address: Option<IpAddr>,
    identified: bool,
}

/// The admission state (see the module docs).
#[derive(Debug)]
pub struct Admission {
    limits: AdmissionLimits,
    next: Ticket,
    entries: HashMap<Ticket, Entry>,
    per_address: HashMap<IpAddr, usize>,
    /// Anonymous connections per address, oldest (smallest ticket) first.
    anonymous: HashMap<Option<IpAddr>, BTreeSet<Ticket>>,
    anonymous_count: usize,
}

impl Admission {
    /// An empty gate.
    pub fn new(limits: AdmissionLimits) -> Admission {
        Admission {
            limits,
            next: 1,
            entries: HashMap::new(),
            per_address: HashMap::new(),
            anonymous: HashMap::new(),
            anonymous_count: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> AdmissionLimits {
        self.limits
    }

    /// A new connection from `address` (`None`: a trusted proxy, counted later per client).
    pub fn admit(&mut self, address: Option<IpAddr>) -> Admit {
        let key = address.map(crate::ratelimit::client_key);
        let mut evict = None;
        if let Some(a) = key
            && self.per_address.get(&a).copied().unwrap_or(0) >= self.limits.max_per_address
        {
            // The address's own oldest anonymous connection makes room: someone sharing the
            // customer's address (a NAT) cannot keep the customer's link or resume out by
            // holding idle sockets. Only an address full of identified connections is refused.
            match self
                .anonymous
                .get(&key)
                .and_then(|set| set.first().copied())
            {
                Some(victim) => {
                    self.release(victim);
                    evict = Some(victim);
                }
                None => return Admit::No(Refusal::TooManyFromAddress),
            }
        }
        if evict.is_none()
            && (self.entries.len() >= self.limits.max_connections
                || self.anonymous_count >= self.limits.max_anonymous())
        {
            match self.oldest_of_heaviest() {
                Some(victim) => {
                    self.release(victim);
                    evict = Some(victim);
                }
                None => return Admit::No(Refusal::Full),
            }
        }
        let ticket = self.next;
        self.next += 1;
        if let Some(a) = key {
            *self.per_address.entry(a).or_default() += 1;
        }
        self.anonymous.entry(key).or_default().insert(ticket);
        self.anonymous_count += 1;
        self.entries.insert(
            ticket,
            Entry {
                address: key,
                identified: false,
            },
        );
        Admit::Yes { ticket, evict }
    }

    /// The connection proved who it is: it no longer counts as anonymous (nor can it be
    /// evicted).
    pub fn identify(&mut self, ticket: Ticket) {
        let Some(entry) = self.entries.get_mut(&ticket) else {
            return;
        };
        if entry.identified {
            return;
        }
        entry.identified = true;
        let address = entry.address;
        self.forget_anonymous(address, ticket);
    }

    /// The connection closed.
    pub fn release(&mut self, ticket: Ticket) {
        let Some(entry) = self.entries.remove(&ticket) else {
            return;
        };
        if let Some(a) = entry.address
            && let Some(n) = self.per_address.get_mut(&a)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_address.remove(&a);
            }
        }
        if !entry.identified {
            self.forget_anonymous(entry.address, ticket);
        }
    }

    /// Connections held now (anonymous, identified).
    pub fn counts(&self) -> (usize, usize) {
        (
            self.anonymous_count,
            self.entries.len() - self.anonymous_count,
        )
    }

    fn forget_anonymous(&mut self, address: Option<IpAddr>, ticket: Ticket) {
        if let Some(set) = self.anonymous.get_mut(&address)
            && set.remove(&ticket)
        {
            self.anonymous_count -= 1;
            if set.is_empty() {
                self.anonymous.remove(&address);
            }
        }
    }

    /// The oldest anonymous connection of the address with the most of them.
    fn oldest_of_heaviest(&self) -> Option<Ticket> {
        self.anonymous
            .values()
            .max_by_key(|set| set.len())
            .and_then(|set| set.first().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("address"))
    }

    fn limits(max: usize, reserved: usize, per: usize) -> AdmissionLimits {
        AdmissionLimits {
            max_connections: max,
            reserved_for_identified: reserved,
            max_per_address: per,
        }
    }

    fn ticket(a: Admit) -> Ticket {
        match a {
            Admit::Yes { ticket, .. } => ticket,
            Admit::No(r) => panic!("refused: {r}"),
        }
    }

    #[test]
    fn one_address_cannot_hold_more_than_its_share() {
        let mut gate = Admission::new(limits(100, 10, 5));
        let first: Vec<_> = (0..5)
            .map(|_| ticket(gate.admit(ip("192.0.2.1"))))
            .collect();
        // At the cap, a newcomer from the address (the customer behind the same NAT as an
        // idle-socket hoarder) replaces the address's oldest anonymous connection.
        match gate.admit(ip("192.0.2.1")) {
            Admit::Yes {
                ticket: customer,
                evict: Some(victim),
            } => {
                assert_eq!(victim, first[0]);
                gate.identify(customer);
            }
            other => panic!("{other:?}"),
        }
        // An address whose connections are all identified is refused.
        for t in &first[1..] {
            gate.identify(*t);
        }
        assert_eq!(
            gate.admit(ip("192.0.2.1")),
            Admit::No(Refusal::TooManyFromAddress)
        );
        // IPv6 neighbours in one /64 share it.
        for _ in 0..5 {
            let t = ticket(gate.admit(ip("2001:db8::1")));
            gate.identify(t);
        }
        assert_eq!(
            gate.admit(ip("2001:db8::ffff")),
            Admit::No(Refusal::TooManyFromAddress)
        );
        ticket(gate.admit(ip("192.0.2.2")));
    }

    #[test]
    fn a_flood_from_many_addresses_evicts_itself_not_identified_people() {
        let mut gate = Admission::new(limits(10, 3, 4));
        // Two representatives logged in.
        let reps: Vec<_> = (0..2)
            .map(|i| {
                let t = ticket(gate.admit(ip(&format!("198.51.100.{i}"))));
                gate.identify(t);
                t
            })
            .collect();
        // Attackers take every anonymous slot (7 = 10 - 3 reserved).
        let mut attackers = Vec::new();
        for i in 0..7 {
            attackers.push(ticket(gate.admit(ip(&format!("192.0.2.{}", i % 2)))));
        }
        assert_eq!(gate.counts(), (7, 2));
        // A customer arrives: gets in, one attacker (the heaviest address's oldest) goes.
        match gate.admit(ip("203.0.113.9")) {
            Admit::Yes {
                ticket: customer,
                evict: Some(victim),
            } => {
                assert_eq!(victim, attackers[0], "192.0.2.0 holds 4, its oldest goes");
                gate.identify(customer);
            }
            other => panic!("customer not admitted: {other:?}"),
        }
        assert_eq!(gate.counts(), (6, 3));
        // Identified connections are never evicted.
        for _ in 0..20 {
            if let Admit::Yes {
                evict: Some(victim),
                ..
            } = gate.admit(ip("192.0.2.200"))
            {
                assert!(!reps.contains(&victim));
            }
        }
        assert_eq!(gate.counts().1, 3);
    }

    #[test]
    fn full_of_identified_connections_refuses() {
        let mut gate = Admission::new(limits(3, 1, 10));
        for i in 0..3 {
            let t = ticket(gate.admit(ip(&format!("198.51.100.{i}"))));
            gate.identify(t);
        }
        assert_eq!(gate.admit(ip("192.0.2.1")), Admit::No(Refusal::Full));
    }

    #[test]
    fn releasing_frees_the_address_and_the_slot() {
        let mut gate = Admission::new(limits(2, 0, 1));
        let a = ticket(gate.admit(ip("192.0.2.1")));
        gate.identify(a);
        assert!(matches!(gate.admit(ip("192.0.2.1")), Admit::No(_)));
        gate.release(a);
        gate.release(a);
        let b = ticket(gate.admit(ip("192.0.2.1")));
        gate.identify(b);
        gate.release(b);
        assert_eq!(gate.counts(), (0, 0));
        // Proxied connections are not counted per address.
        for _ in 0..2 {
            ticket(gate.admit(None));
        }
    }

    #[test]
    fn limits_follow_the_descriptor_budget() {
        let l = AdmissionLimits::for_open_files(1024, 32);
        assert_eq!(l.max_connections, 960);
        assert_eq!(l.reserved_for_identified, 120);
        let tiny = AdmissionLimits::for_open_files(20, 0);
        assert_eq!((tiny.max_connections, tiny.max_per_address), (16, 1));
    }
}
