//! The customer's view of the session, computed from the enforced state. Part of
//! [`AgentSession`]; see the module docs there.

use super::*;
use crate::customer_view::{CustomerView, ShownAttendee, Unnamed};

impl AgentSession {
    /// Who the customer is told sees (and controls) the screen: exactly the attendees that
    /// receive frames, with the rights in force; masked ones only counted, never named.
    pub fn customer_view(&self) -> CustomerView {
        let mut view = CustomerView {
            control_allowed: self.session_consent.control,
            ..CustomerView::default()
        };
        let mut unnamed = Unnamed::default();
        for (id, a) in &self.attendees {
            if !a.sees() {
                continue;
            }
            if a.masked {
                unnamed.seeing += 1;
                unnamed.controlling += usize::from(a.controls());
                continue;
            }
            view.attendees.push(ShownAttendee {
                id: *id,
                name: a.name.clone(),
                role: a.role,
                rights: a.effective(),
            });
        }
        view.unnamed = unnamed;
        view
    }
}
