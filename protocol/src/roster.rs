//! Who sees whom, and whose chat reaches whom. The portal applies these rules when it sends
//! rosters and chat; the agent applies them when it shows the customer who is there.
//!
//! A masked representative is invisible to the customer: absent from the customer's roster,
//! and nothing it says reaches the customer. Representative-only comments never reach the
//! customer or external specialists.

use crate::ids::Role;
use crate::signal::AttendeeInfo;

/// Most external specialists one session admits.
pub const MAX_SPECIALISTS: usize = 5;

/// Does a `viewer` in this role see `member` in the attendee list?
pub fn visible_to(viewer: Role, member: &AttendeeInfo) -> bool {
    viewer != Role::Customer || !member.masked
}

/// The attendee list as someone in role `viewer` may see it.
pub fn roster_for(viewer: Role, members: &[AttendeeInfo]) -> Vec<AttendeeInfo> {
    members
        .iter()
        .filter(|m| visible_to(viewer, m))
        .cloned()
        .collect()
}

/// Is a representative (host or invited): may see rep-only comments.
pub fn is_representative(role: Role) -> bool {
    matches!(role, Role::Host | Role::Representative)
}

/// Does a chat message from `sender` (rep-only or not) reach someone in role `recipient`?
pub fn chat_reaches(sender: &AttendeeInfo, reps_only: bool, recipient: Role) -> bool {
    if reps_only {
        return is_representative(recipient);
    }
    recipient != Role::Customer || !sender.masked
}

/// May an attendee in this role change others' rights, invite or remove attendees?
pub fn may_manage(role: Role) -> bool {
    role == Role::Host
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AttendeeId, Rights};

    fn member(id: u32, role: Role, masked: bool) -> AttendeeInfo {
        AttendeeInfo {
            id: AttendeeId::from_wire(id),
            name: format!("m{id}"),
            role,
            rights: Rights::VIEW,
            masked,
        }
    }

    #[test]
    fn masked_representatives_are_invisible_to_the_customer_only() {
        let all = vec![
            member(2, Role::Host, false),
            member(3, Role::Representative, true),
            member(4, Role::Representative, false),
            member(5, Role::Specialist, false),
        ];
        let ids = |v: Vec<AttendeeInfo>| v.iter().map(|m| m.id.to_wire()).collect::<Vec<_>>();
        assert_eq!(ids(roster_for(Role::Customer, &all)), vec![2, 4, 5]);
        for r in [Role::Host, Role::Representative, Role::Specialist] {
            assert_eq!(ids(roster_for(r, &all)), vec![2, 3, 4, 5]);
        }
    }

    #[test]
    fn chat_visibility_for_every_sender_and_recipient() {
        let roles = [
            Role::Customer,
            Role::Host,
            Role::Representative,
            Role::Specialist,
        ];
        for sender_role in roles {
            for masked in [false, true] {
                let sender = member(9, sender_role, masked);
                for reps_only in [false, true] {
                    for recipient in roles {
                        let reaches = chat_reaches(&sender, reps_only, recipient);
                        if recipient == Role::Customer {
                            assert_eq!(
                                reaches,
                                !reps_only && !masked,
                                "{sender_role:?} masked={masked}"
                            );
                        }
                        if reps_only {
                            assert_eq!(reaches, is_representative(recipient));
                        }
                    }
                }
            }
        }
    }
}
