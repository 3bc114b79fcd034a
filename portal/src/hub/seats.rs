//! External specialists' seats: where a specialist joining with a support key sits, and why
//! a host's grant or revoke outlives the specialist's lost connections.
//!
//! ```text
//!  JoinAsSpecialist{key}              ─► place_specialist ─► New: fresh id, the key's rights
//!                                                            Joined{seat_token} ─► viewer keeps it
//!  connection lost                    ─► the seat stays (id, rights in force, key, token digest)
//!  JoinAsSpecialist{key, seat_token}  ─► place_specialist ─► Back: same id, the seat's rights
//!  EndSession / RemoveAttendee        ─► the seat is gone (removal also cancels the key)
//! ```
//!
//! The rule, [`place_specialist`], is a pure function of the session's seats, its cancelled
//! keys, the specialists present, and what the joining connection presents:
//!
//! - A cancelled key admits nobody, neither new nor returning. Removing a specialist cancels
//!   the key it joined with: a key may be shared by up to five specialists, so nothing else
//!   tells the removed one from the others, and the removed one would otherwise walk back in
//!   with the key's rights.
//! - Without a seat token: a new seat with the key's rights, while fewer than
//!   [`MAX_SPECIALISTS`] specialists are present.
//! - With a seat token: the seat it was issued for, if that seat was taken with this very
//!   key, with the id and the rights it held when its connection dropped. The connection
//!   the portal still counts in that seat, if any, is replaced (it had not been noticed as
//!   gone). A token that names no seat of this key (the seat was given up, or the token is
//!   wrong) is refused, never answered with the key's rights.
//!
//! Why a token and not the key plus the previous attendee id: ids are small numbers counting
//! up from 3, and everyone holding a shared key could claim another seat's id and inherit
//! rights the host granted that seat alone. A seat token is 128 random bits handed only to
//! the connection that took the seat; the hub keeps its digest
//! ([`crate::resume::ResumeSecret::seat_digest`]), so neither memory nor the database holds
//! a usable token. Seats are stored with live sessions and come back after a restart.
//!
//! What a seat cannot do: the key itself still admits anyone holding it with the key's
//! rights, as a new seat (that is what a key is). A host who wants a specialist out for good
//! removes it (which cancels its key) or cancels the key.

use std::collections::{BTreeMap, BTreeSet};

use tandem_protocol::roster::MAX_SPECIALISTS;
use tandem_protocol::signal::{AttendeeInfo, PortalMessage};
use tandem_protocol::{AttendeeId, Rights, Role, SessionCode};

use super::{Attendee, Hub, HubError, Peer};
use crate::resume::{Issued, ResumeDigest};

/// Told to a specialist whose seat token names no seat of its key.
pub const SEAT_GONE: &str =
    "your place in this session is gone; ask the representative for a new invitation";

/// Told to the connection a specialist's newer connection took the seat from.
pub const TAKEN_OVER: &str = "you joined this session again from a newer connection";

/// A specialist's place in a session, present or not.
#[derive(Debug, Clone)]
pub(super) struct SpecialistSeat {
    /// The key it was taken with.
    pub(super) key: SessionCode,
    /// What the hub keeps of its seat token.
    pub(super) token: ResumeDigest,
    /// Its attendee entry, with the rights in force.
    pub(super) info: AttendeeInfo,
}

/// How a joining specialist's connection claims a seat.
#[derive(Debug)]
pub enum SeatPass {
    /// It presents no seat token: a new seat, whose token this is.
    New(Issued),
    /// It presents a seat token: the digest of it (a malformed token: a digest that
    /// matches nothing).
    Back(ResumeDigest),
}

/// A specialist's join as the hub needs it.
#[derive(Debug)]
pub struct KeyJoin {
    /// The support key it presented (found live by the caller).
    pub key: SessionCode,
    /// The key's rights.
    pub rights: Rights,
    /// Its claim to a seat.
    pub pass: SeatPass,
}

/// What [`Hub::join_specialist`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialistJoined {
    /// Its attendee id.
    pub id: AttendeeId,
    /// The rights it holds now.
    pub rights: Rights,
    /// It came back to its seat (rather than taking a new one).
    pub returned: bool,
}

/// Where [`place_specialist`] puts a specialist.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Place {
    /// A new seat with these rights (the key's).
    New { rights: Rights },
    /// Back in its seat: this id, name and rights.
    Back { info: AttendeeInfo },
}

/// Where a specialist joining with live `key` (granting `key_rights`) sits, given the
/// session's `seats`, its `cancelled` keys, the specialists `present` now and the digest of
/// the seat token it `presented`, if any. See the module documentation for the rule.
pub(super) fn place_specialist(
    seats: &BTreeMap<AttendeeId, SpecialistSeat>,
    cancelled: &BTreeSet<SessionCode>,
    present: &BTreeSet<AttendeeId>,
    key: SessionCode,
    key_rights: Rights,
    presented: Option<&ResumeDigest>,
) -> Result<Place, HubError> {
    if cancelled.contains(&key) {
        return Err(HubError::KeyCancelled);
    }
    let Some(token) = presented else {
        if present.len() >= MAX_SPECIALISTS {
            return Err(HubError::TooManySpecialists);
        }
        return Ok(Place::New { rights: key_rights });
    };
    let seat = seats
        .values()
        .find(|seat| seat.key == key && seat.token.matches(token))
        .ok_or(HubError::InvitationGone(SEAT_GONE))?;
    let others = present.iter().filter(|id| **id != seat.info.id).count();
    if others >= MAX_SPECIALISTS {
        return Err(HubError::TooManySpecialists);
    }
    Ok(Place::Back {
        info: seat.info.clone(),
    })
}

impl Hub {
    /// An external specialist joins `session` with a key the caller found live, under
    /// `name` (a returning one keeps its seat's name): placed by [`place_specialist`], it
    /// gets `Joined` (with a seat token when the seat is new), the agent `AttendeeJoined`
    /// with its rights, everyone a roster.
    pub fn join_specialist(
        &self,
        session_id: u64,
        peer: Peer,
        name: &str,
        join: KeyJoin,
    ) -> Result<SpecialistJoined, HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&peer.conn) {
            return Err(HubError::AlreadyInSession);
        }
        let super::State {
            sessions, policy, ..
        } = &mut *state;
        let session = sessions.get_mut(&session_id).ok_or(HubError::SessionGone)?;
        // A key made before the policy withheld specialists admits nobody since.
        if !session
            .host_functions(policy)
            .specialist_cap()
            .contains(Rights::VIEW)
        {
            return Err(HubError::NotAllowed(
                "the policy no longer allows external specialists in this session",
            ));
        }
        let present: BTreeSet<AttendeeId> = session
            .attendees
            .values()
            .filter(|a| a.info.role == Role::Specialist)
            .map(|a| a.info.id)
            .collect();
        let presented = match &join.pass {
            SeatPass::Back(digest) => Some(digest),
            SeatPass::New(_) => None,
        };
        let place = place_specialist(
            &session.specialist_seats,
            &session.cancelled_keys,
            &present,
            join.key,
            join.rights,
            presented,
        )?;
        let mut replaced = None;
        let (info, seat_token) = match (place, join.pass) {
            (Place::Back { info }, _) => {
                // The portal had not noticed the old connection gone yet.
                if let Some(old) = session.attendees.remove(&info.id) {
                    old.peer.send(PortalMessage::SessionEnded {
                        reason: TAKEN_OVER.to_owned(),
                    });
                    session.tell_agent(PortalMessage::AttendeeLeft { attendee: info.id });
                    replaced = Some(old.peer.conn);
                }
                (info, None)
            }
            (Place::New { rights }, SeatPass::New(issued)) => {
                let info = AttendeeInfo {
                    id: session.allocate_id(),
                    name: name.to_owned(),
                    role: Role::Specialist,
                    rights,
                    masked: false,
                };
                let seat = SpecialistSeat {
                    key: join.key,
                    token: issued.digest,
                    info: info.clone(),
                };
                session.specialist_seats.insert(info.id, seat);
                (info, Some(issued.secret.as_str().to_owned()))
            }
            // `place_specialist` seats a presented token in its own seat or nowhere.
            (Place::New { .. }, SeatPass::Back(_)) => {
                return Err(HubError::InvitationGone(SEAT_GONE));
            }
        };
        if let Some(conn) = replaced {
            state.members.remove(&conn);
        }
        let (id, returned) = (info.id, seat_token.is_none());
        state.attach_seated(session_id, Attendee { peer, info }, seat_token);
        state.send_rosters(session_id);
        // The rights it holds now, after the policy's cap on joining (for the record).
        let rights = state
            .sessions
            .get(&session_id)
            .and_then(|s| s.attendees.get(&id))
            .map_or(Rights::NONE, |a| a.info.rights);
        Ok(SpecialistJoined {
            id,
            rights,
            returned,
        })
    }

    /// The host cancelled `key` of `session`: from now on it admits nobody, neither new nor
    /// returning (the database says so too; this closes the gap while a join is between
    /// its database lookup and the hub). Specialists present stay.
    pub fn cancel_key(&self, session_id: u64, key: SessionCode) {
        if let Some(session) = self.lock().sessions.get_mut(&session_id) {
            session.cancelled_keys.insert(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resume::ResumeSecret;

    const SESSION: u64 = 40;

    fn key(digits: &str) -> SessionCode {
        digits.parse().expect("nine digits")
    }

    fn view_chat() -> Rights {
        Rights::VIEW.union(Rights::CHAT)
    }

    /// A session whose specialists 3 (Sam) and 4 (Sue) joined with the same key; the host
    /// then took control from Sam and gave it to Sue. Returns the seats and both tokens.
    fn two_seats() -> (BTreeMap<AttendeeId, SpecialistSeat>, Issued, Issued) {
        let shared = key("123456789");
        let (sam, sue) = (
            Issued::seat(SESSION, &mut rand::rng()),
            Issued::seat(SESSION, &mut rand::rng()),
        );
        let seat = |id: u32, name: &str, rights: Rights, token: &Issued| {
            let info = AttendeeInfo {
                id: AttendeeId::from_wire(id),
                name: name.into(),
                role: Role::Specialist,
                rights,
                masked: false,
            };
            let token = token.digest.clone();
            (
                info.id,
                SpecialistSeat {
                    key: shared,
                    token,
                    info,
                },
            )
        };
        let seats = BTreeMap::from([
            seat(3, "Sam", view_chat(), &sam),
            seat(4, "Sue", view_chat().union(Rights::CONTROL), &sue),
        ]);
        (seats, sam, sue)
    }

    fn back(token: &Issued) -> ResumeDigest {
        ResumeSecret::parse(token.secret.as_str())
            .expect("a token parses")
            .seat_digest(SESSION)
    }

    fn nobody() -> BTreeSet<AttendeeId> {
        BTreeSet::new()
    }

    fn no_keys() -> BTreeSet<SessionCode> {
        BTreeSet::new()
    }

    #[test]
    fn a_returning_specialist_gets_the_rights_it_held_not_the_keys() {
        let (seats, sam, _) = two_seats();
        let key_rights = view_chat().union(Rights::CONTROL);
        let placed = place_specialist(
            &seats,
            &no_keys(),
            &nobody(),
            key("123456789"),
            key_rights,
            Some(&back(&sam)),
        );
        let Ok(Place::Back { info }) = placed else {
            panic!("expected Sam back in his seat, got {placed:?}");
        };
        assert_eq!(info.id, AttendeeId::from_wire(3));
        assert_eq!(info.rights, view_chat(), "the revoke sticks");
        assert_eq!(info.name, "Sam");
    }

    #[test]
    fn without_a_token_a_specialist_gets_a_new_seat_with_the_keys_rights() {
        let (seats, _, _) = two_seats();
        let present = BTreeSet::from([AttendeeId::from_wire(4)]);
        assert_eq!(
            place_specialist(
                &seats,
                &no_keys(),
                &present,
                key("123456789"),
                Rights::VIEW,
                None
            ),
            Ok(Place::New {
                rights: Rights::VIEW
            })
        );
    }

    #[test]
    fn a_token_opens_only_its_own_seat_and_only_with_its_own_key() {
        let (seats, sam, sue) = two_seats();
        let place = |k: &str, token: &ResumeDigest| {
            place_specialist(
                &seats,
                &no_keys(),
                &nobody(),
                key(k),
                Rights::VIEW,
                Some(token),
            )
        };
        // Sue's token gets Sue's seat (with the control the host gave her), never Sam's.
        assert!(matches!(
            place("123456789", &back(&sue)),
            Ok(Place::Back { info }) if info.id == AttendeeId::from_wire(4)
        ));
        let gone = Err(HubError::InvitationGone(SEAT_GONE));
        // Another key of the same session does not open a seat taken with the shared key.
        assert_eq!(place("987654321", &back(&sam)), gone);
        // A guessed token, a token of another session, a resume secret, garbage: nothing.
        let guess = ResumeSecret::generate(&mut rand::rng());
        assert_eq!(place("123456789", &guess.seat_digest(SESSION)), gone);
        let sams = ResumeSecret::parse(sam.secret.as_str()).expect("parses");
        assert_eq!(place("123456789", &sams.seat_digest(SESSION + 1)), gone);
        assert_eq!(place("123456789", &sams.digest(SESSION)), gone);
        assert_eq!(place("123456789", &ResumeDigest::from_bytes(&[])), gone);
        // A seat given up (left, removed) opens for nobody.
        let mut without_sam = seats.clone();
        without_sam.remove(&AttendeeId::from_wire(3));
        assert_eq!(
            place_specialist(
                &without_sam,
                &no_keys(),
                &nobody(),
                key("123456789"),
                Rights::VIEW,
                Some(&back(&sam)),
            ),
            gone
        );
    }

    #[test]
    fn a_cancelled_key_admits_nobody_new_or_returning() {
        let (seats, sam, _) = two_seats();
        let cancelled = BTreeSet::from([key("123456789")]);
        for presented in [None, Some(back(&sam))] {
            assert_eq!(
                place_specialist(
                    &seats,
                    &cancelled,
                    &nobody(),
                    key("123456789"),
                    Rights::VIEW,
                    presented.as_ref(),
                ),
                Err(HubError::KeyCancelled)
            );
        }
    }

    #[test]
    fn five_present_leave_no_new_seat_but_a_seat_holder_may_replace_itself() {
        let (seats, sam, sue) = two_seats();
        // Sam (3) is still counted present (its old connection not noticed gone) with four
        // others.
        let present: BTreeSet<AttendeeId> = [3, 5, 6, 7, 8]
            .into_iter()
            .map(AttendeeId::from_wire)
            .collect();
        let place = |presented: Option<&ResumeDigest>| {
            place_specialist(
                &seats,
                &no_keys(),
                &present,
                key("123456789"),
                Rights::VIEW,
                presented,
            )
        };
        assert_eq!(place(None), Err(HubError::TooManySpecialists));
        assert!(matches!(place(Some(&back(&sam))), Ok(Place::Back { .. })));
        // Sue is away and five others are here.
        assert_eq!(place(Some(&back(&sue))), Err(HubError::TooManySpecialists));
    }
}
