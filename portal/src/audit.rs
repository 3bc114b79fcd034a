//! The audit trail's rules, without IO: an append-only list of security events in which each
//! record carries the hash of the one before, so that editing, removing or inserting a record
//! anywhere breaks the chain at that record.
//!
//! ```text
//!  record n:  seq n │ at │ actor │ action │ subject │ detail │ prev = hash(n-1) │ hash(n)
//!  hash(n) = SHA-256("tandem audit v1" ‖ prev ‖ seq ‖ each field, length-prefixed)
//! ```
//!
//! Cutting records off the end leaves a shorter chain that verifies: the chain's head (last
//! seq and hash) is therefore written to the log after every append and printed by
//! `tandem-portal audit head`, and `audit verify --head <that>` checks the chain still
//! reaches it.
//!
//! ```
//! use tandem_portal::audit::{Event, Record, verify};
//! let first = Record::after(None, Event::new(1_700_000_000, "admin", "login", "admin", ""));
//! let second = Record::after(Some(&first), Event::new(1_700_000_005, "admin", "code.create", "code 12…", ""));
//! let head = verify([first.clone(), second.clone()], None).unwrap().unwrap();
//! assert_eq!(head.seq, 2);
//! let mut edited = second.clone();
//! edited.event.subject = "code 98…".into();
//! assert!(verify([first, edited], None).is_err());
//! ```

use std::fmt;

use crate::storage::UnixTime;

/// Bytes of a hash.
pub const HASH_BYTES: usize = 32;
/// The `prev` of the first record.
pub const GENESIS: [u8; HASH_BYTES] = [0; HASH_BYTES];
const LABEL: &[u8] = b"tandem audit v1";

/// What happened: who did what to whom, and the details (plain text or JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When (Unix seconds).
    pub at: UnixTime,
    /// Who acted: a representative's user name, "customer", "portal"…
    pub actor: String,
    /// What, as a dotted name: "login", "login.failed", "code.create", "rights.change"…
    pub action: String,
    /// Whom or what it concerned: an account, a session, an attendee.
    pub subject: String,
    /// The rest: from what to what, the reason.
    pub detail: String,
}

impl Event {
    /// An event.
    pub fn new(
        at: UnixTime,
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Event {
        Event {
            at,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        }
    }
}

/// An event in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1, 2, 3… without gaps.
    pub seq: u64,
    /// The event.
    pub event: Event,
    /// The previous record's hash ([`GENESIS`] for the first).
    pub prev: [u8; HASH_BYTES],
    /// This record's hash.
    pub hash: [u8; HASH_BYTES],
}

impl Record {
    /// The record that follows `last` (the first one when `None`).
    pub fn after(last: Option<&Record>, event: Event) -> Record {
        let (seq, prev) = last.map_or((1, GENESIS), |r| (r.seq + 1, r.hash));
        let hash = hash_of(&prev, seq, &event);
        Record {
            seq,
            event,
            prev,
            hash,
        }
    }

    /// The chain's head if this record is the last.
    pub fn head(&self) -> Head {
        Head {
            seq: self.seq,
            hash: self.hash,
        }
    }
}

/// The hash a record with these contents must carry.
pub fn hash_of(prev: &[u8; HASH_BYTES], seq: u64, event: &Event) -> [u8; HASH_BYTES] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(LABEL);
    ctx.update(prev);
    ctx.update(&seq.to_le_bytes());
    ctx.update(&event.at.to_le_bytes());
    for field in [&event.actor, &event.action, &event.subject, &event.detail] {
        // Length-prefixed: moving bytes from one field to the next changes the hash.
        ctx.update(&(field.len() as u64).to_le_bytes());
        ctx.update(field.as_bytes());
    }
    let mut out = [0u8; HASH_BYTES];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The last record's seq and hash: what is kept outside the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last record's number.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; HASH_BYTES],
}

impl fmt::Display for Head {
    /// "42:sha256:9f86…": what `audit verify --head` takes back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:sha256:", self.seq)?;
        self.hash.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    fn from_str(s: &str) -> Result<Head, String> {
        let bad = || format!("'{s}' is not a chain head like 42:sha256:<64 hex digits>");
        let (seq, hex) = s.trim().split_once(":sha256:").ok_or_else(bad)?;
        let seq = seq.parse().map_err(|_| bad())?;
        if hex.len() != HASH_BYTES * 2 {
            return Err(bad());
        }
        let mut hash = [0u8; HASH_BYTES];
        for (i, byte) in hash.iter_mut().enumerate() {
            let pair = hex.get(i * 2..i * 2 + 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Head { seq, hash })
    }
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// The record's contents do not match its hash: edited after it was written.
    #[error("record {seq} was changed after it was written (its hash does not match)")]
    Edited {
        /// The record.
        seq: u64,
    },
    /// Numbers are missing before this record.
    #[error("records {first} to {last} were removed (the chain jumps from {before} to {next})", before = first.saturating_sub(1), next = last.saturating_add(1))]
    Removed {
        /// The first missing number.
        first: u64,
        /// The last missing number.
        last: u64,
    },
    /// A record with a number already passed.
    #[error("record {seq} was inserted (its number comes out of order, after {after})")]
    Inserted {
        /// Its number.
        seq: u64,
        /// The number of the record before it.
        after: u64,
    },
    /// The record is whole and numbered right but does not follow the record before it: that
    /// one was rewritten, hash and all, or this one was put in its place.
    #[error(
        "record {seq} does not follow record {before}: one of them was replaced, or {seq} was inserted"
    )]
    Unchained {
        /// The record.
        seq: u64,
        /// The one before it.
        before: u64,
    },
    /// The chain is intact but does not reach the head kept outside the database.
    #[error(
        "the chain ends at record {last} but the kept head is {expected}: records were cut off the end or rewritten"
    )]
    HeadMissing {
        /// The last record there is.
        last: u64,
        /// The head that was kept.
        expected: Head,
    },
}

/// Walks `records` in the order they were written and returns the head (`None`: no record),
/// or the first place the chain is broken. With `kept`, the chain must contain that head
/// exactly (it may have grown since).
pub fn verify(
    records: impl IntoIterator<Item = Record>,
    kept: Option<&Head>,
) -> Result<Option<Head>, Break> {
    let mut last: Option<Head> = None;
    // The empty chain's head (what `audit head` prints before any record) is always reached.
    let empty = Head {
        seq: 0,
        hash: GENESIS,
    };
    let mut reached_kept = kept.is_none_or(|k| *k == empty);
    for record in records {
        if hash_of(&record.prev, record.seq, &record.event) != record.hash {
            return Err(Break::Edited { seq: record.seq });
        }
        let (expected_seq, expected_prev) = last.map_or((1, GENESIS), |h| (h.seq + 1, h.hash));
        if record.seq > expected_seq {
            return Err(Break::Removed {
                first: expected_seq,
                last: record.seq - 1,
            });
        }
        if record.seq < expected_seq {
            return Err(Break::Inserted {
                seq: record.seq,
                after: expected_seq - 1,
            });
        }
        if record.prev != expected_prev {
            return Err(Break::Unchained {
                seq: record.seq,
                before: expected_seq.saturating_sub(1),
            });
        }
        let head = record.head();
        if kept == Some(&head) {
            reached_kept = true;
        }
        last = Some(head);
    }
    match kept {
        Some(expected) if !reached_kept => Err(Break::HeadMissing {
            last: last.map_or(0, |h| h.seq),
            expected: *expected,
        }),
        _ => Ok(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<Record> {
        let mut out: Vec<Record> = Vec::new();
        for i in 0..n {
            let event = Event::new(
                1_000 + i as i64,
                "bob",
                "rights.change",
                format!("attendee {i}"),
                "view → view+control",
            );
            out.push(Record::after(out.last(), event));
        }
        out
    }

    #[test]
    fn an_untouched_chain_verifies_to_its_head() {
        let records = chain(5);
        let head = records[4].head();
        assert_eq!(verify(records.clone(), None), Ok(Some(head)));
        assert_eq!(verify(records.clone(), Some(&head)), Ok(Some(head)));
        // A kept head from earlier: the chain grew since, still fine.
        assert_eq!(
            verify(records.clone(), Some(&records[2].head())),
            Ok(Some(head))
        );
        assert_eq!(verify(Vec::new(), None), Ok(None));
    }

    #[test]
    fn an_edited_record_is_named() {
        let mut records = chain(5);
        records[2].event.detail = "view → nothing".into();
        assert_eq!(verify(records, None), Err(Break::Edited { seq: 3 }));
    }

    #[test]
    fn an_edit_with_its_hash_recomputed_breaks_the_next_link() {
        let mut records = chain(5);
        records[2].event.detail = "view → nothing".into();
        records[2].hash = hash_of(&records[2].prev, 3, &records[2].event);
        assert_eq!(
            verify(records, None),
            Err(Break::Unchained { seq: 4, before: 3 })
        );
    }

    #[test]
    fn a_removed_record_is_named() {
        let mut records = chain(5);
        records.remove(1);
        assert_eq!(
            verify(records, None),
            Err(Break::Removed { first: 2, last: 2 })
        );
    }

    #[test]
    fn an_inserted_record_is_named() {
        let records = chain(5);
        // A copy of record 2 put after record 3.
        let mut inserted = records.clone();
        inserted.insert(3, records[1].clone());
        assert_eq!(
            verify(inserted, None),
            Err(Break::Inserted { seq: 2, after: 3 })
        );
        // A well-formed record 6 that does not follow record 5.
        let mut appended = records.clone();
        let forged = Record::after(Some(&records[2]), Event::new(9, "x", "login", "x", ""));
        let forged = Record {
            seq: 6,
            hash: hash_of(&forged.prev, 6, &forged.event),
            ..forged
        };
        appended.push(forged);
        assert_eq!(
            verify(appended, None),
            Err(Break::Unchained { seq: 6, before: 5 })
        );
    }

    #[test]
    fn cutting_off_the_end_is_found_with_the_kept_head() {
        let records = chain(5);
        let kept = records[4].head();
        let cut = records[..3].to_vec();
        assert_eq!(verify(cut.clone(), None), Ok(Some(records[2].head())));
        assert_eq!(
            verify(cut, Some(&kept)),
            Err(Break::HeadMissing {
                last: 3,
                expected: kept
            })
        );
    }

    #[test]
    fn the_empty_head_is_reached_by_any_chain() {
        let empty = Head {
            seq: 0,
            hash: GENESIS,
        };
        assert_eq!(empty.to_string().parse::<Head>(), Ok(empty));
        assert_eq!(verify(Vec::new(), Some(&empty)), Ok(None));
        let records = chain(2);
        assert_eq!(
            verify(records.clone(), Some(&empty)),
            Ok(Some(records[1].head()))
        );
        let removed = Break::Removed {
            first: 0,
            last: u64::MAX,
        };
        assert!(removed.to_string().contains("removed"));
    }

    #[test]
    fn heads_print_and_parse() {
        let head = chain(3)[2].head();
        let shown = head.to_string();
        assert!(shown.starts_with("3:sha256:"), "{shown}");
        assert_eq!(shown.parse::<Head>(), Ok(head));
        for bad in ["", "3", "x:sha256:00", "3:sha256:zz", "3:md5:00"] {
            assert!(bad.parse::<Head>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fields_cannot_trade_bytes() {
        let a = Event::new(1, "ab", "c", "", "");
        let b = Event::new(1, "a", "bc", "", "");
        assert_ne!(hash_of(&GENESIS, 1, &a), hash_of(&GENESIS, 1, &b));
    }
}
