//! The shared clipboard in the agent core: who may write the customer's clipboard and who is
//! sent what the customer copies. Part of the agent core; see the module docs there.

use super::*;
use crate::clipboard::Clip;

impl AgentSession {
    /// The customer's clipboard changed: send the clip to everyone whose rights in force
    /// include the clipboard ([`rights::may_use_clipboard`]) and returns who, so the customer
    /// can be told whose side now has it.
    pub fn share_clipboard(&mut self, clip: &Clip) -> Vec<AttendeeId> {
        let to: Vec<AttendeeId> = self
            .attendees
            .iter()
            .filter(|(_, a)| a.is_ready() && rights::may_use_clipboard(a.role, a.effective()))
            .map(|(id, _)| *id)
            .collect();
        if to.is_empty() {
            return to;
        }
        self.clip_serial = self.clip_serial.wrapping_add(1);
        let messages = clip.messages(self.clip_serial);
        for id in &to {
            for m in &messages {
                // bulk, behind the picture's priority but never ahead of input
                self.send(*id, Channel::Files, m);
            }
        }
        to
    }

    /// Who would be sent the customer's clipboard now: nobody means the shell need not
    /// even read it.
    pub fn clipboard_recipients(&self) -> usize {
        self.attendees
            .values()
            .filter(|a| a.is_ready() && rights::may_use_clipboard(a.role, a.effective()))
            .count()
    }

    pub(super) fn handle_clip_chunk(
        &mut self,
        from: AttendeeId,
        chunk: crate::clipboard::ClipChunk,
    ) {
        let Some(a) = self.attendees.get_mut(&from) else {
            return;
        };
        if !(a.is_ready() && rights::may_use_clipboard(a.role, a.effective())) {
            a.clip = Default::default();
            // once per clip, not per chunk
            if chunk.offset == 0 {
                let text = "clipboard refused: you do not have the clipboard right".to_owned();
                self.send(from, Channel::Control, &error(ErrorCode::NotAllowed, text));
            }
            return;
        }
        match a.clip.handle(chunk) {
            Ok(None) => {}
            Ok(Some(clip)) => self
                .events
                .push_back(AgentEvent::ClipboardReceived { from, clip }),
            Err(e) => {
                self.send(
                    from,
                    Channel::Control,
                    &error(ErrorCode::Malformed, e.to_string()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_with(role: Role, granted: Rights, consent: Consent) -> (AgentSession, Instant) {
        let now = Instant::now();
        let mut s = AgentSession::new();
        s.set_session_consent(consent);
        s.handle_attendee_joined(AttendeeId::HOST, role, granted, now);
        let hello = Message::Hello {
            version_min: 1,
            version_max: 1,
            attendee: AttendeeId::HOST,
        };
        s.handle_datagram(AttendeeId::HOST, &hello.encode(), now);
        while s.poll_transmit().is_some() {}
        while s.poll_event().is_some() {}
        (s, now)
    }

    fn send_clip(s: &mut AgentSession, clip: &Clip, now: Instant) {
        for m in clip.messages(1) {
            s.handle_datagram(AttendeeId::HOST, &m.encode(), now);
        }
    }

    fn errors(s: &mut AgentSession) -> Vec<ErrorCode> {
        std::iter::from_fn(|| s.poll_transmit())
            .filter_map(|t| match Message::decode(&t.payload) {
                Ok(Message::Error { code, .. }) => Some(code),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_clip_reaches_the_customer_only_with_the_right_and_consent_to_control() {
        let clip = Clip::Text("y".repeat(crate::clipboard::CHUNK * 2 + 1));
        let (mut s, now) = session_with(Role::Host, Rights::HOST_DEFAULT, Consent::ALL);
        send_clip(&mut s, &clip, now);
        assert_eq!(
            s.poll_event(),
            Some(AgentEvent::ClipboardReceived {
                from: AttendeeId::HOST,
                clip: clip.clone()
            })
        );
        assert!(errors(&mut s).is_empty());

        let view_only = Consent {
            view: true,
            control: false,
        };
        let without = Rights::HOST_DEFAULT.without(Rights::CLIPBOARD);
        for (role, granted, consent) in [
            (Role::Host, without, Consent::ALL),
            (Role::Host, Rights::HOST_DEFAULT, view_only),
            (Role::Customer, Rights::HOST_DEFAULT, Consent::ALL),
        ] {
            let (mut s, now) = session_with(role, granted, consent);
            send_clip(&mut s, &clip, now);
            assert_eq!(s.poll_event(), None, "{role:?} {granted:?} {consent:?}");
            // one refusal for the clip, not one per chunk
            assert_eq!(errors(&mut s), [ErrorCode::NotAllowed]);
        }
    }

    #[test]
    fn the_customers_clip_goes_only_to_who_may_use_the_clipboard() {
        let now = Instant::now();
        let mut s = AgentSession::new();
        s.set_session_consent(Consent::ALL);
        let viewer = AttendeeId::from_wire(5);
        s.handle_attendee_joined(AttendeeId::HOST, Role::Host, Rights::HOST_DEFAULT, now);
        s.handle_attendee_joined(viewer, Role::Specialist, Rights::VIEW, now);
        for id in [AttendeeId::HOST, viewer] {
            let hello = Message::Hello {
                version_min: 1,
                version_max: 1,
                attendee: id,
            };
            s.handle_datagram(id, &hello.encode(), now);
        }
        while s.poll_transmit().is_some() {}
        assert_eq!(s.clipboard_recipients(), 1);
        let clip = Clip::Text("secret-ish".into());
        assert_eq!(s.share_clipboard(&clip), [AttendeeId::HOST]);
        let sent: Vec<Transmit> = std::iter::from_fn(|| s.poll_transmit()).collect();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to, AttendeeId::HOST);
        let Ok(Message::Clipboard(chunk)) = Message::decode(&sent[0].payload) else {
            panic!("not a clip");
        };
        assert_eq!(chunk.data, b"secret-ish");
        // the customer takes control away: the clipboard goes with it
        s.revoke_all_control();
        while s.poll_transmit().is_some() {}
        assert!(s.share_clipboard(&clip).is_empty());
        assert_eq!(s.poll_transmit(), None);
    }
}
