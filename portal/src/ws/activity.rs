//! What the customer's agent reports of a session's peer-to-peer activity (files, folder
//! listings, reboots): recorded in the audit trail under the session, where reports read it.
//! Only the session's own agent may report, within its consent budget; names are cleaned
//! and cut, as anything a remote party writes into the record is.

use tandem_protocol::AttendeeId;
use tandem_protocol::signal::{ErrorKind, SessionActivity};

use super::Conn;

/// Longest file or folder name recorded, in characters.
const MAX_NAME_CHARS: usize = 200;

/// Who the audit trail says reported it.
pub(crate) const AGENT_ACTOR: &str = "customer app";

/// `text` without control characters or direction overrides (a name could otherwise make
/// a report line read as something else), at most [`MAX_NAME_CHARS`] characters.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{2028}' | '\u{2029}')
                && !tandem_protocol::chat::is_direction_control(*c)
        })
        .take(MAX_NAME_CHARS)
        .collect()
}

/// The audit action and detail for `activity`; `who` names an attendee.
pub(crate) fn describe(
    activity: &SessionActivity,
    who: impl Fn(AttendeeId) -> String,
) -> Option<(&'static str, String)> {
    Some(match activity {
        SessionActivity::File {
            attendee,
            name,
            size,
            sha256,
            to_customer,
        } => {
            let sha256: String = sha256
                .chars()
                .filter(char::is_ascii_hexdigit)
                .take(64)
                .collect();
            let direction = if *to_customer {
                format!("from {} to the customer", who(*attendee))
            } else {
                format!("from the customer to {}", who(*attendee))
            };
            let detail = format!(
                "'{}' ({size} bytes, sha256 {sha256}) {direction}",
                clean(name)
            );
            ("file.transfer", detail)
        }
        SessionActivity::FolderListing { attendee, folder } => (
            "folder.listing",
            format!("'{}' by {}", clean(folder), who(*attendee)),
        ),
        SessionActivity::Reboot { attendee } => ("reboot", format!("asked by {}", who(*attendee))),
        _ => return None,
    })
}

impl Conn {
    pub(super) fn activity(&self, activity: &SessionActivity) {
        let Some(session) = self.app.hub.agent_session(self.id) else {
            return self.error(
                ErrorKind::BadRequest,
                "only a session's customer app reports its activity",
            );
        };
        let hub = &self.app.hub;
        let who = |id: AttendeeId| {
            hub.attendee_name(session, id)
                .map_or_else(|| format!("attendee {}", id.to_wire()), |n| clean(&n))
        };
        if let Some((action, detail)) = describe(activity, who) {
            let subject = format!("session {session}");
            self.app.audit(AGENT_ACTOR, action, &subject, &detail);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recorded_with_size_hash_and_direction_and_names_are_cleaned() {
        let file = SessionActivity::File {
            attendee: AttendeeId::HOST,
            name: format!("report\n\u{202E}{}.pdf", "x".repeat(300)),
            size: 1234,
            sha256: "ab".repeat(40),
            to_customer: false,
        };
        let (action, detail) = describe(&file, |_| "Bob".into()).expect("described");
        assert_eq!(action, "file.transfer");
        assert!(detail.starts_with("'reportxxx"), "{detail}");
        assert!(!detail.contains('\n') && !detail.contains('\u{202E}'));
        assert!(detail.contains("(1234 bytes, sha256 "));
        assert!(detail.ends_with("from the customer to Bob"), "{detail}");
        assert!(
            !detail.contains(&"ab".repeat(33)),
            "the hash is cut to 64 digits"
        );
        let reboot = SessionActivity::Reboot {
            attendee: AttendeeId::HOST,
        };
        assert_eq!(
            describe(&reboot, |_| "Bob".into()),
            Some(("reboot", "asked by Bob".to_owned()))
        );
    }
}
