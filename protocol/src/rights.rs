//! The one place that decides what an attendee may do on the customer's machine.
//!
//! Rights come from two sources and are combined by intersection, so consent can only
//! narrow what the portal granted, never widen it:
//! - the **grant**: what the portal issued for this attendee in this session, received by the
//!   agent over its own authenticated signalling connection (never from the attendee);
//! - the **consent**: what the customer allowed on their machine.

use crate::ids::{Rights, Role};

/// What the customer allowed for one attendee. Starts empty: nothing is shown or injected
/// before the customer agrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Consent {
    /// The customer lets this attendee see the screen (and chat).
    pub view: bool,
    /// The customer lets this attendee use keyboard and mouse, and the clipboard (pasting
    /// into the customer's clipboard is as good as typing; reading it is part of helping).
    pub control: bool,
}

impl Consent {
    /// Consent to everything (the customer started the agent pre-authorised).
    pub const ALL: Consent = Consent {
        view: true,
        control: true,
    };

    /// The rights this consent leaves standing.
    pub fn allowed(self) -> Rights {
        let mut r = Rights::NONE;
        if self.view {
            r = r
                .union(Rights::VIEW)
                .union(Rights::CHAT)
                .union(Rights::FILES)
                .union(Rights::REBOOT);
        }
        if self.view && self.control {
            r = r.union(Rights::CONTROL).union(Rights::CLIPBOARD);
        }
        r
    }
}

/// The most a masked attendee may have. The customer cannot be asked about someone they
/// are not shown, so nothing that needs the customer's answer (files, reboot) or reaches
/// them (chat, the clipboard) is open to a masked attendee: only seeing and, with consent, controlling —
/// and the customer app still says that someone unnamed from the support team does so.
pub const fn masked_limit() -> Rights {
    Rights::VIEW.union(Rights::CONTROL)
}

/// Rights in force: the grant narrowed by consent.
pub fn effective(granted: Rights, consent: Consent) -> Rights {
    granted.intersect(consent.allowed())
}

/// May input from an attendee with these effective rights be injected? Control without
/// view is never allowed: nobody steers a machine blind.
pub fn may_inject(effective: Rights) -> bool {
    effective.contains(Rights::VIEW.union(Rights::CONTROL))
}

/// The input rule with the attendee's role: remote input never comes from the customer's
/// own seat (the customer uses the machine's keyboard), whatever rights claim otherwise.
pub fn may_inject_as(role: Role, effective: Rights) -> bool {
    role != Role::Customer && may_inject(effective)
}

/// May an attendee with these effective rights read and write the customer's clipboard? Only
/// with control as well (pasting is typing), never from the customer's own seat.
pub fn may_use_clipboard(role: Role, effective: Rights) -> bool {
    may_inject_as(role, effective) && effective.contains(Rights::CLIPBOARD)
}

/// May this attendee receive the screen?
pub fn may_view(effective: Rights) -> bool {
    effective.contains(Rights::VIEW)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grant_and_consent_combination() {
        let grants = [
            Rights::NONE,
            Rights::VIEW,
            Rights::CONTROL,
            Rights::VIEW.union(Rights::CONTROL),
            Rights::HOST_DEFAULT,
        ];
        for g in grants {
            for view in [false, true] {
                for control in [false, true] {
                    let e = effective(g, Consent { view, control });
                    let expect =
                        g.contains(Rights::VIEW) && g.contains(Rights::CONTROL) && view && control;
                    assert_eq!(
                        may_inject(e),
                        expect,
                        "grant {g:?} consent {view}/{control}"
                    );
                    assert_eq!(may_view(e), g.contains(Rights::VIEW) && view);
                    // consent never widens
                    assert!(g.contains(e));
                    for role in [Role::Host, Role::Representative, Role::Specialist] {
                        assert_eq!(may_inject_as(role, e), expect, "{role:?}");
                    }
                    assert!(!may_inject_as(Role::Customer, e));
                    // the clipboard comes with consent to control, never with view alone
                    assert_eq!(
                        may_use_clipboard(Role::Host, e),
                        expect && g.contains(Rights::CLIPBOARD)
                    );
                    assert!(!may_use_clipboard(Role::Customer, e));
                }
            }
        }
    }
}
