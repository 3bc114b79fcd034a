//! Several attendees on one agent, without IO: roles × rights decide injection, grants apply
//! before the next input, forged and replayed rights are refused.

use std::time::Instant;

use tandem_protocol::agent::{AgentEvent, AgentSession, GrantError};
use tandem_protocol::input::{Button, InputEvent};
use tandem_protocol::rights::Consent;
use tandem_protocol::viewer::{ViewerEvent, ViewerSession};
use tandem_protocol::wire::{ErrorCode, Message};
use tandem_protocol::{AttendeeId, Rights, Role};

const HOST: AttendeeId = AttendeeId::HOST;
const SPECIALIST: AttendeeId = AttendeeId::from_wire(3);

struct Room {
    now: Instant,
    agent: AgentSession,
    viewers: Vec<(AttendeeId, ViewerSession)>,
    injected: Vec<(AttendeeId, InputEvent)>,
    refused: Vec<AttendeeId>,
    viewer_events: Vec<(AttendeeId, ViewerEvent)>,
}

impl Room {
    fn new(members: &[(AttendeeId, Role, Rights)], consent: Consent) -> Room {
        let now = Instant::now();
        let mut agent = AgentSession::new();
        let mut viewers = Vec::new();
        for (id, role, rights) in members {
            agent.handle_attendee_joined(*id, *role, *rights, now);
            agent.handle_consent(*id, consent);
            viewers.push((*id, ViewerSession::new(*id, now)));
        }
        let mut room = Room {
            now,
            agent,
            viewers,
            injected: vec![],
            refused: vec![],
            viewer_events: vec![],
        };
        room.drive();
        room
    }

    fn drive(&mut self) {
        loop {
            let mut moved = false;
            for (id, v) in &mut self.viewers {
                while let Some((_, bytes)) = v.poll_transmit() {
                    self.agent.handle_datagram(*id, &bytes, self.now);
                    moved = true;
                }
            }
            while let Some(t) = self.agent.poll_transmit() {
                if let Some((_, v)) = self.viewers.iter_mut().find(|(id, _)| *id == t.to) {
                    v.handle_datagram(&t.payload, self.now);
                }
                moved = true;
            }
            while let Some(ev) = self.agent.poll_event() {
                match ev {
                    AgentEvent::Inject { from, event } => self.injected.push((from, event)),
                    AgentEvent::InputRefused { from, .. } => self.refused.push(from),
                    _ => {}
                }
                moved = true;
            }
            for (id, v) in &mut self.viewers {
                while let Some(ev) = v.poll_event() {
                    self.viewer_events.push((*id, ev));
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Input straight onto the wire from `from`, bypassing its viewer's own check.
    fn raw_input(&mut self, from: AttendeeId) {
        let bytes = Message::Input(click()).encode();
        self.agent.handle_datagram(from, &bytes, self.now);
        self.drive();
    }

    /// Presses injected for `id` (releases the agent injects for them when they lose
    /// control are not their input).
    fn injected_from(&self, id: AttendeeId) -> usize {
        self.injected
            .iter()
            .filter(|(from, e)| *from == id && *e != release())
            .count()
    }
}

fn release() -> InputEvent {
    InputEvent::PointerButton {
        button: Button::LEFT,
        down: false,
    }
}

fn click() -> InputEvent {
    InputEvent::PointerButton {
        button: Button::LEFT,
        down: true,
    }
}

#[test]
fn every_role_and_rights_combination_decides_injection() {
    let grants = [
        Rights::NONE,
        Rights::VIEW,
        Rights::CONTROL,
        Rights::VIEW.union(Rights::CONTROL),
        Rights::HOST_DEFAULT,
    ];
    for role in [
        Role::Customer,
        Role::Host,
        Role::Representative,
        Role::Specialist,
    ] {
        for granted in grants {
            for consent in [
                Consent::default(),
                Consent {
                    view: true,
                    control: false,
                },
                Consent::ALL,
            ] {
                let id = AttendeeId::from_wire(7);
                let mut room = Room::new(&[(id, role, granted)], consent);
                room.raw_input(id);
                let expect = role != Role::Customer
                    && granted.contains(Rights::VIEW.union(Rights::CONTROL))
                    && consent.control;
                assert_eq!(
                    room.injected_from(id) == 1,
                    expect,
                    "{role:?} {granted:?} {consent:?}"
                );
                assert_eq!(room.refused.len() == 1, !expect);
            }
        }
    }
}

#[test]
fn host_controls_while_a_view_only_specialist_cannot_until_granted() {
    let mut room = Room::new(
        &[
            (HOST, Role::Host, Rights::HOST_DEFAULT),
            (SPECIALIST, Role::Specialist, Rights::VIEW),
        ],
        Consent::ALL,
    );
    assert_eq!(room.agent.frame_recipients(), vec![HOST, SPECIALIST]);
    room.raw_input(HOST);
    room.raw_input(SPECIALIST);
    assert_eq!(
        (room.injected_from(HOST), room.injected_from(SPECIALIST)),
        (1, 0)
    );

    room.agent
        .handle_grant(SPECIALIST, Rights::VIEW.union(Rights::CONTROL), 1)
        .expect("fresh grant");
    // no time passes and no message is delivered first: the very next input counts
    room.raw_input(SPECIALIST);
    assert_eq!(room.injected_from(SPECIALIST), 1);
    assert!(room.viewer_events.iter().any(|(id, e)| *id == SPECIALIST
        && matches!(e, ViewerEvent::RightsChanged(r) if r.contains(Rights::CONTROL))));

    room.agent
        .handle_grant(SPECIALIST, Rights::VIEW, 2)
        .expect("fresh grant");
    room.raw_input(SPECIALIST);
    assert_eq!(
        room.injected_from(SPECIALIST),
        1,
        "control taken away before the next input"
    );
    // The button it held down was released for it, so nothing stays pressed.
    assert_eq!(room.injected.last(), Some(&(SPECIALIST, release())));
}

#[test]
fn replayed_or_reordered_grants_are_refused() {
    let mut room = Room::new(
        &[(SPECIALIST, Role::Specialist, Rights::VIEW)],
        Consent::ALL,
    );
    let control = Rights::VIEW.union(Rights::CONTROL);
    room.agent
        .handle_grant(SPECIALIST, control, 4)
        .expect("grant 4");
    room.agent
        .handle_grant(SPECIALIST, Rights::VIEW, 5)
        .expect("grant 5 takes control away");
    // replaying grant 4 must not give control back
    assert_eq!(
        room.agent.handle_grant(SPECIALIST, control, 4),
        Err(GrantError::Replayed { seq: 4, last: 5 })
    );
    assert_eq!(
        room.agent.handle_grant(SPECIALIST, control, 0),
        Err(GrantError::Replayed { seq: 0, last: 5 })
    );
    room.raw_input(SPECIALIST);
    assert_eq!(room.injected_from(SPECIALIST), 0);
    assert_eq!(room.agent.effective_rights(SPECIALIST), Rights::VIEW);
}

#[test]
fn rights_sent_by_a_viewer_are_refused() {
    let mut room = Room::new(
        &[(SPECIALIST, Role::Specialist, Rights::VIEW)],
        Consent::ALL,
    );
    let forged = [
        Message::RightsChanged {
            rights: Rights::HOST_DEFAULT,
        },
        Message::Welcome {
            version: 1,
            rights: Rights::HOST_DEFAULT,
        },
    ];
    for m in forged {
        room.agent
            .handle_datagram(SPECIALIST, &m.encode(), room.now);
        let t = room
            .agent
            .poll_transmit()
            .expect("an error answers the forgery");
        assert!(matches!(
            Message::decode(&t.payload),
            Ok(Message::Error {
                code: ErrorCode::NotAllowed,
                ..
            })
        ));
    }
    room.raw_input(SPECIALIST);
    assert_eq!(room.injected_from(SPECIALIST), 0);
    assert_eq!(room.agent.effective_rights(SPECIALIST), Rights::VIEW);
}

#[test]
fn customer_revocation_beats_any_grant() {
    let mut room = Room::new(&[(HOST, Role::Host, Rights::HOST_DEFAULT)], Consent::ALL);
    room.agent.revoke_all_control();
    room.agent
        .handle_grant(HOST, Rights::HOST_DEFAULT, 1)
        .expect("grant");
    room.raw_input(HOST);
    assert_eq!(
        room.injected_from(HOST),
        0,
        "the portal cannot widen what the customer narrowed"
    );
}

#[test]
fn grants_for_strangers_are_refused() {
    let mut agent = AgentSession::new();
    assert_eq!(
        agent.handle_grant(SPECIALIST, Rights::VIEW, 1),
        Err(GrantError::UnknownAttendee(SPECIALIST))
    );
}

#[test]
fn only_the_reboot_right_may_ask_for_a_reboot() {
    let mut room = Room::new(
        &[
            (HOST, Role::Host, Rights::HOST_DEFAULT),
            (
                SPECIALIST,
                Role::Specialist,
                Rights::VIEW.union(Rights::CONTROL),
            ),
        ],
        Consent::ALL,
    );
    for id in [HOST, SPECIALIST] {
        room.agent
            .handle_datagram(id, &Message::RebootRequest.encode(), room.now);
    }
    let mut asked = Vec::new();
    while let Some(ev) = room.agent.poll_event() {
        if let AgentEvent::RebootRequested { from } = ev {
            asked.push(from);
        }
    }
    assert_eq!(asked, vec![HOST]);
    room.drive();
    room.agent.announce_reboot();
    room.drive();
    let told = room
        .viewer_events
        .iter()
        .filter(|(_, e)| matches!(e, ViewerEvent::Rebooting))
        .count();
    assert_eq!(told, 2, "every attendee hears the machine reboots");
}

#[test]
fn file_messages_need_the_files_right() {
    let mut room = Room::new(
        &[(
            SPECIALIST,
            Role::Specialist,
            Rights::VIEW.union(Rights::CONTROL),
        )],
        Consent::ALL,
    );
    let fetch = Message::FileFetch {
        id: 4,
        path: "x".into(),
    };
    room.agent
        .handle_datagram(SPECIALIST, &fetch.encode(), room.now);
    assert!(
        !std::iter::from_fn(|| room.agent.poll_event())
            .any(|e| matches!(e, AgentEvent::File { .. }))
    );
    let answers: Vec<Message> = std::iter::from_fn(|| room.agent.poll_transmit())
        .filter_map(|t| Message::decode(&t.payload).ok())
        .collect();
    assert!(
        answers
            .iter()
            .any(|m| matches!(m, Message::FileFailed { id: 4, .. })),
        "{answers:?}"
    );
    room.agent
        .handle_grant(SPECIALIST, Rights::VIEW.union(Rights::FILES), 1)
        .expect("grant");
    room.agent
        .handle_datagram(SPECIALIST, &fetch.encode(), room.now);
    // A fetch reads the customer's files: it also waits for the customer's browse consent.
    assert!(
        std::iter::from_fn(|| room.agent.poll_event())
            .any(|e| matches!(e, AgentEvent::BrowseRequested { fetch: true, .. }))
    );
    assert!(room.agent.allow_browse(SPECIALIST));
    assert!(
        std::iter::from_fn(|| room.agent.poll_event())
            .any(|e| matches!(e, AgentEvent::File { .. }))
    );
}

#[test]
fn an_attendee_announced_again_keeps_its_connection_and_gets_the_new_grant() {
    let mut room = Room::new(
        &[(SPECIALIST, Role::Specialist, Rights::VIEW)],
        Consent::ALL,
    );
    room.agent.handle_attendee_joined(
        SPECIALIST,
        Role::Specialist,
        Rights::VIEW.union(Rights::CONTROL),
        room.now,
    );
    room.raw_input(SPECIALIST);
    assert_eq!(
        room.injected_from(SPECIALIST),
        1,
        "still connected, now with control"
    );
    assert_eq!(room.agent.frame_recipients(), vec![SPECIALIST]);
}

#[test]
fn asking_for_control_reaches_the_customer_only_when_they_stand_between() {
    // The host may control but the customer took it away; a view-only specialist asks too.
    let mut room = Room::new(
        &[
            (HOST, Role::Host, Rights::HOST_DEFAULT),
            (
                SPECIALIST,
                Role::Specialist,
                Rights::VIEW.union(Rights::CHAT),
            ),
        ],
        Consent::ALL,
    );
    room.agent.revoke_all_control();
    room.drive();
    let ask = |room: &mut Room, id| {
        room.agent
            .handle_datagram(id, &Message::ControlRequest.encode(), room.now);
        let mut asked = Vec::new();
        while let Some(ev) = room.agent.poll_event() {
            if let AgentEvent::ControlRequested { from } = ev {
                asked.push(from);
            }
        }
        room.drive();
        asked
    };
    assert_eq!(ask(&mut room, HOST), vec![HOST], "the customer is asked");
    assert!(
        ask(&mut room, SPECIALIST).is_empty(),
        "no grant, no question"
    );
    let refused = |room: &Room, id, words: &str| {
        room.viewer_events
            .iter()
            .any(|(who, e)| *who == id && matches!(e, ViewerEvent::Refused(t) if t.contains(words)))
    };
    assert!(refused(
        &room,
        SPECIALIST,
        "the host has not given you control"
    ));
    // The customer says no: the host is told.
    room.agent.decline_control(HOST);
    room.drive();
    assert!(refused(&room, HOST, "did not give control back"));
    // The customer gives it back: asking again is refused as needless.
    room.agent.give_control_back();
    room.drive();
    assert!(ask(&mut room, HOST).is_empty());
    assert!(refused(&room, HOST, "you already have control"));
}
