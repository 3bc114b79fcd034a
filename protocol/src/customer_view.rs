//! What the customer is told about who is in their session, and in which words.
//!
//! A [`CustomerView`] is computed by the agent's core ([`crate::agent::AgentSession::customer_view`])
//! from the same state that decides who receives frames and whose input is injected, so what
//! the customer reads is what is enforced. The window and the terminal front-end both show
//! these sentences, word for word.

use crate::ids::{AttendeeId, Rights, Role};
use crate::rights;

/// Someone the customer is shown: they see the screen now (and maybe control it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownAttendee {
    /// Their attendee number (the customer types it in the terminal front-end).
    pub id: AttendeeId,
    /// Their name as the portal knows it.
    pub name: String,
    /// What they are in the session.
    pub role: Role,
    /// Rights in force on this machine.
    pub rights: Rights,
}

impl ShownAttendee {
    /// They can use the customer's mouse and keyboard now.
    pub fn controls(&self) -> bool {
        rights::may_inject_as(self.role, self.rights)
    }

    /// They can read and write the customer's clipboard now.
    pub fn shares_clipboard(&self) -> bool {
        rights::may_use_clipboard(self.role, self.rights)
    }

    /// "Bob Smith (your representative) sees your screen and can use your mouse and keyboard."
    pub fn sentence(&self) -> String {
        format!(
            "{} ({}) {}.",
            self.name,
            role_name(self.role),
            self.can_do()
        )
    }

    fn can_do(&self) -> String {
        let mut words = can_do(self.controls()).to_owned();
        if self.shares_clipboard() {
            // what else they can reach, said as plainly as the rest
            words.push_str(", and your clipboard");
        }
        words
    }
}

/// Masked colleagues of the representative: never named, but never hidden either — the
/// customer is told how many unnamed people from the support team see or control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unnamed {
    /// How many of them see the screen.
    pub seeing: usize,
    /// How many of those also control it.
    pub controlling: usize,
}

/// The customer's picture of the session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerView {
    /// Everyone the customer may see who sees the screen, by attendee number.
    pub attendees: Vec<ShownAttendee>,
    /// Masked colleagues who see the screen.
    pub unnamed: Unnamed,
    /// The customer currently lets the support team control (false after "Stop control").
    pub control_allowed: bool,
}

impl CustomerView {
    /// Anyone at all sees the screen (the session bar and the coloured frame are up).
    pub fn anyone_sees(&self) -> bool {
        !self.attendees.is_empty() || self.unnamed.seeing > 0
    }

    /// Anyone at all can use the mouse and keyboard now.
    pub fn anyone_controls(&self) -> bool {
        self.attendees.iter().any(ShownAttendee::controls) || self.unnamed.controlling > 0
    }

    /// One sentence per attendee, then one for unnamed colleagues; or that nobody sees.
    pub fn sentences(&self) -> Vec<String> {
        let mut out: Vec<String> = self.attendees.iter().map(ShownAttendee::sentence).collect();
        if let Some(s) = unnamed_sentence(self.unnamed) {
            out.push(s);
        }
        if out.is_empty() {
            out.push("Nobody sees your screen now.".to_owned());
        }
        out
    }

    /// The session bar's headline: who sees and who controls, in one line.
    pub fn headline(&self) -> String {
        if !self.anyone_sees() {
            return "Nobody sees your screen now.".to_owned();
        }
        let mut names: Vec<&str> = self.attendees.iter().map(|a| a.name.as_str()).collect();
        let extra = self.unnamed.seeing;
        let more = match extra {
            0 => String::new(),
            1 => "1 more person from the support team".to_owned(),
            n => format!("{n} more people from the support team"),
        };
        if !more.is_empty() {
            names.push(&more);
        }
        let controllers: Vec<&str> = self
            .attendees
            .iter()
            .filter(|a| a.controls())
            .map(|a| a.name.as_str())
            .collect();
        let unnamed = match self.unnamed.controlling {
            0 => String::new(),
            1 => "1 more person from the support team".to_owned(),
            n => format!("{n} more people from the support team"),
        };
        let mut who = controllers;
        if !unnamed.is_empty() {
            who.push(&unnamed);
        }
        let control = if who.is_empty() {
            "Nobody can use your mouse and keyboard.".to_owned()
        } else {
            format!("{} can use your mouse and keyboard.", who.join(", "))
        };
        format!("Your screen is shared with {}. {control}", names.join(", "))
    }
}

/// How the customer is told that someone changed, comparing two views. Only what the
/// enforced state says: a person disappears from the view when they stop receiving frames,
/// whatever the reason, so the words say exactly that.
pub fn changes(before: &CustomerView, after: &CustomerView) -> Vec<String> {
    let mut out = Vec::new();
    for b in &before.attendees {
        match after.attendees.iter().find(|a| a.id == b.id) {
            None => out.push(format!("{} no longer sees your screen.", b.name)),
            Some(a) if a.controls() && !b.controls() => {
                out.push(format!("{} can now use your mouse and keyboard.", a.name));
            }
            Some(a) if !a.controls() && b.controls() => {
                out.push(format!(
                    "{} can no longer use your mouse and keyboard.",
                    a.name
                ));
            }
            Some(_) => {}
        }
    }
    for a in &after.attendees {
        if !before.attendees.iter().any(|b| b.id == a.id) {
            out.push(format!("{} now {}.", a.name, a.can_do()));
        }
    }
    if before.unnamed != after.unnamed {
        out.push(match unnamed_sentence(after.unnamed) {
            Some(s) => s,
            None => "Nobody unnamed from the support team sees your screen now.".to_owned(),
        });
    }
    out
}

fn unnamed_sentence(u: Unnamed) -> Option<String> {
    let who = match u.seeing {
        0 => return None,
        1 => "1 more person from the support team (not named)".to_owned(),
        n => format!("{n} more people from the support team (not named)"),
    };
    let control = match u.controlling {
        0 => String::new(),
        n if n == u.seeing => " and can use your mouse and keyboard".to_owned(),
        n => format!("; {n} of them can use your mouse and keyboard"),
    };
    let verb = if u.seeing == 1 { "sees" } else { "see" };
    Some(format!("{who} {verb} your screen{control}."))
}

/// A role in the customer's words.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Host => "your representative",
        Role::Representative => "representative",
        Role::Specialist => "specialist",
        Role::Customer => "you",
    }
}

fn can_do(controls: bool) -> &'static str {
    if controls {
        "sees your screen and can use your mouse and keyboard"
    } else {
        "sees your screen"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bob(rights: Rights) -> ShownAttendee {
        ShownAttendee {
            id: AttendeeId::HOST,
            name: "Bob Smith".into(),
            role: Role::Host,
            rights,
        }
    }

    #[test]
    fn sentences_say_what_is_enforced() {
        let both = Rights::VIEW.union(Rights::CONTROL);
        assert_eq!(
            bob(both).sentence(),
            "Bob Smith (your representative) sees your screen and can use your mouse and keyboard."
        );
        assert_eq!(
            bob(Rights::VIEW).sentence(),
            "Bob Smith (your representative) sees your screen."
        );
        assert_eq!(
            bob(both.union(Rights::CLIPBOARD)).sentence(),
            "Bob Smith (your representative) sees your screen and can use your mouse and keyboard, \
             and your clipboard."
        );
        // the clipboard right without control in force reaches nothing, so it is not said
        assert_eq!(
            bob(Rights::VIEW.union(Rights::CLIPBOARD)).sentence(),
            "Bob Smith (your representative) sees your screen."
        );
        let view = |r| CustomerView {
            attendees: vec![bob(r)],
            ..Default::default()
        };
        assert_eq!(
            changes(&view(both), &view(Rights::VIEW)),
            vec!["Bob Smith can no longer use your mouse and keyboard."]
        );
        assert_eq!(
            changes(&view(Rights::VIEW), &CustomerView::default()),
            vec!["Bob Smith no longer sees your screen."]
        );
        let hidden = CustomerView {
            unnamed: Unnamed {
                seeing: 1,
                controlling: 0,
            },
            ..Default::default()
        };
        assert_eq!(
            hidden.sentences(),
            vec!["1 more person from the support team (not named) sees your screen."]
        );
        assert!(hidden.anyone_sees() && !hidden.anyone_controls());
        assert_eq!(
            CustomerView::default().sentences(),
            vec!["Nobody sees your screen now."]
        );
    }
}
