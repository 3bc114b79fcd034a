//! What attendees ask of the agent that costs the customer something: keyframes (CPU), the
//! customer's files (privacy) and control given back (their mouse and keyboard). Part of
//! [`AgentSession`]; see the module docs there.

use super::*;
use crate::files::RelativePath;

/// Listings and fetches an attendee may have waiting for the customer's browse consent;
/// more are refused at once, so waiting costs the agent a bounded amount of memory.
pub const MAX_HELD_BROWSE: usize = 16;

/// What an attendee who asked for control is told when the customer says no (a viewer offers
/// to ask again on it).
pub const CONTROL_DECLINED: &str = "the customer did not give control back";

/// The transfer or request id a file message carries, if any.
fn request_id(message: &Message) -> Option<u32> {
    match message {
        Message::FileOffer { id, .. }
        | Message::FileAccept { id, .. }
        | Message::FileChunk { id, .. }
        | Message::FileFetch { id, .. }
        | Message::ListDir { id, .. } => Some(*id),
        _ => None,
    }
}

/// A path the customer will be shown: parsed like any path from the other side, and free of
/// direction characters, which would reorder the question's words on the customer's terminal.
fn path_to_show(path: &str) -> Result<RelativePath, String> {
    let parsed = RelativePath::parse(path).map_err(|e| format!("refused: {e}"))?;
    if path.chars().any(crate::chat::is_direction_control) {
        return Err(
            "refused: the path contains a character that changes the direction of text".into(),
        );
    }
    Ok(parsed)
}

impl AgentSession {
    /// A keyframe the shell captured for `attendee` (after an [`AgentEvent::NeedsKeyframe`])
    /// is ready: refresh requests count again. Returns whether it may be delivered: rights
    /// can change between the request and the capture, and only someone who sees the screen
    /// now gets it.
    pub fn handle_keyframe_sent(&mut self, attendee: AttendeeId) -> bool {
        self.attendees.get_mut(&attendee).is_some_and(|a| {
            a.keyframe_pending = false;
            a.sees()
        })
    }

    /// The customer allows `id` to list and fetch from the shared folder for the rest of the
    /// session; its waiting requests go ahead (each still needs the FILES right). False
    /// when there is no such attendee.
    pub fn allow_browse(&mut self, id: AttendeeId) -> bool {
        let Some(a) = self.attendees.get_mut(&id) else {
            return false;
        };
        let held = std::mem::take(&mut a.held);
        self.browse_allowed.insert(id);
        for message in held {
            self.handle_file(id, message);
        }
        true
    }

    /// Browsing is allowed for every attendee, present and future (the customer chose so
    /// when starting the agent).
    pub fn allow_browse_for_all(&mut self) {
        self.browse_allowed_for_all = true;
        let waiting: Vec<AttendeeId> = self
            .attendees
            .iter()
            .filter(|(_, a)| !a.held.is_empty())
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            self.allow_browse(id);
        }
    }

    /// The customer says no to `id`'s waiting listings and fetches; each is answered with
    /// `reason`. A later request asks again. False when nothing was waiting.
    pub fn refuse_browse(&mut self, id: AttendeeId, reason: &str) -> bool {
        let held = self
            .attendees
            .get_mut(&id)
            .map(|a| std::mem::take(&mut a.held))
            .unwrap_or_default();
        for message in &held {
            if let Some(request) = request_id(message) {
                self.fail_file(id, request, reason);
            }
        }
        !held.is_empty()
    }

    /// Whether `id` may list and fetch from the shared folder (given the FILES right).
    pub fn may_browse(&self, id: AttendeeId) -> bool {
        self.browse_allowed_for_all || self.browse_allowed.contains(&id)
    }

    /// File messages pass only for an attendee whose rights include FILES, checked per
    /// message, so taking the right away stops a running transfer at its next chunk.
    /// Listings and fetches read the customer's files: they also need browse consent.
    pub(super) fn handle_file(&mut self, from: AttendeeId, message: Message) {
        let allowed = self.attendees.get(&from).is_some_and(|a| {
            matches!(a.phase, Phase::Ready) && a.effective().contains(Rights::FILES)
        });
        if !allowed {
            let reason = "file transfer is not allowed for you in this session".to_owned();
            if let Some(id) = request_id(&message) {
                self.fail_file(from, id, &reason);
            }
            self.send(
                from,
                Channel::Control,
                &error(ErrorCode::NotAllowed, reason),
            );
            return;
        }
        let (id, path, fetch) = match &message {
            Message::ListDir { id, path } => (*id, path.as_str(), false),
            Message::FileFetch { id, path } => (*id, path.as_str(), true),
            _ => {
                self.events.push_back(AgentEvent::File { from, message });
                return;
            }
        };
        // Checked before anything else: the path is shown to the customer either way (as a
        // question, or as "… looks at the files in …").
        let path = match path_to_show(path) {
            Ok(p) => p,
            Err(reason) => return self.fail_file(from, id, &reason),
        };
        if self.may_browse(from) {
            self.events.push_back(AgentEvent::File { from, message });
            return;
        }
        // Held, not refused: the representative's listing is answered as soon as the
        // customer agrees (as a file offer waits for 'accept'), instead of failing and having
        // to be asked again. Bounded by MAX_HELD_BROWSE, and dropped with the attendee.
        let Some(a) = self.attendees.get_mut(&from) else {
            return;
        };
        if a.held.len() >= MAX_HELD_BROWSE {
            let reason = "too many requests are waiting for the customer's answer";
            return self.fail_file(from, id, reason);
        }
        a.held.push(message);
        // One question per wait: the answer covers every request waiting.
        if a.held.len() == 1 {
            self.events
                .push_back(AgentEvent::BrowseRequested { from, path, fetch });
        }
    }

    fn fail_file(&mut self, to: AttendeeId, id: u32, reason: &str) {
        let failed = Message::FileFailed {
            id,
            reason: reason.to_owned(),
        };
        self.send(to, Channel::Files, &failed);
    }

    /// A refresh request (or one deferred until now): a keyframe, unless one is on its way
    /// already or the last refresh was less than [`REFRESH_INTERVAL`] ago.
    pub(super) fn handle_refresh(&mut self, from: AttendeeId, now: Instant) {
        let may_view = rights::may_view(self.effective_rights(from));
        let Some(a) = self.attendees.get_mut(&from) else {
            return;
        };
        if !matches!(a.phase, Phase::Ready) || !may_view || a.keyframe_pending {
            // The keyframe on its way shows the whole screen: nothing more to do.
            return;
        }
        match a.last_refresh {
            Some(last) if now < last + REFRESH_INTERVAL => {
                // Deferred rather than dropped: the viewer asked because its picture is
                // broken, and asks only once.
                a.refresh_due = Some(last + REFRESH_INTERVAL);
            }
            _ => {
                a.last_refresh = Some(now);
                a.refresh_due = None;
                self.need_keyframe(from);
            }
        }
    }

    /// The one place a keyframe is asked of the shell.
    pub(super) fn need_keyframe(&mut self, id: AttendeeId) {
        if let Some(a) = self.attendees.get_mut(&id) {
            a.keyframe_pending = true;
            self.events
                .push_back(AgentEvent::NeedsKeyframe { attendee: id });
        }
    }
}

impl AgentSession {
    /// An attendee asks for control: passed on to the customer only when the host granted it
    /// and the customer is what stands between (they see the screen, but may not control).
    pub(super) fn handle_control_request(&mut self, from: AttendeeId) {
        let Some(a) = self.attendees.get(&from) else {
            return;
        };
        let granted = a.granted;
        let effective = self.effective_rights(from);
        let refusal = if !self.is_ready(from) {
            Some("not connected")
        } else if !granted.contains(Rights::CONTROL) {
            Some("control refused: the host has not given you control")
        } else if effective.contains(Rights::CONTROL) {
            Some("you already have control")
        } else if !effective.contains(Rights::VIEW) {
            Some("control refused: the customer does not share the screen with you")
        } else {
            None
        };
        match refusal {
            Some(text) => self.send(
                from,
                Channel::Control,
                &error(ErrorCode::NotAllowed, text.to_owned()),
            ),
            None => self.events.push_back(AgentEvent::ControlRequested { from }),
        }
    }

    /// The customer did not give control back to `to`, who asked: tell them.
    pub fn decline_control(&mut self, to: AttendeeId) {
        let text = CONTROL_DECLINED.to_owned();
        self.send(to, Channel::Control, &error(ErrorCode::NotAllowed, text));
    }
}
