//! Regressions for what the customer was told falsely (issue 9), each replayed on the core
//! that now decides both what is enforced and what the customer is shown.

use std::time::Instant;

use tandem_protocol::agent::{AgentEvent, AgentSession};
use tandem_protocol::customer_view::changes;
use tandem_protocol::input::InputEvent;
use tandem_protocol::rights::Consent;
use tandem_protocol::signal::AttendeeInfo;
use tandem_protocol::wire::{self, ErrorCode, Message};
use tandem_protocol::{AttendeeId, Rights, Role};

const BOB: AttendeeId = AttendeeId::HOST;
const CAROL: AttendeeId = AttendeeId::from_wire(3);

fn info(id: AttendeeId, name: &str, role: Role, rights: Rights, masked: bool) -> AttendeeInfo {
    AttendeeInfo {
        id,
        name: name.into(),
        role,
        rights,
        masked,
    }
}

struct Agent {
    core: AgentSession,
    now: Instant,
}

impl Agent {
    fn new(consent: Consent) -> Agent {
        let mut core = AgentSession::new();
        core.set_session_consent(consent);
        Agent {
            core,
            now: Instant::now(),
        }
    }

    fn join(&mut self, who: &AttendeeInfo) {
        self.core.handle_attendee_announced(who, self.now);
        let hello = Message::Hello {
            version_min: wire::VERSION_MIN,
            version_max: wire::VERSION_MAX,
            attendee: who.id,
        };
        self.core.handle_datagram(who.id, &hello.encode(), self.now);
        self.drain();
    }

    fn send(&mut self, from: AttendeeId, msg: Message) -> (Vec<AgentEvent>, Vec<Message>) {
        self.core.handle_datagram(from, &msg.encode(), self.now);
        self.drain()
    }

    fn drain(&mut self) -> (Vec<AgentEvent>, Vec<Message>) {
        let mut sent = Vec::new();
        while let Some(t) = self.core.poll_transmit() {
            if let Ok(m) = Message::decode(&t.payload) {
                sent.push(m);
            }
        }
        let mut events = Vec::new();
        while let Some(e) = self.core.poll_event() {
            if let AgentEvent::NeedsKeyframe { attendee } = e {
                self.core.handle_keyframe_sent(attendee);
            }
            events.push(e);
        }
        (events, sent)
    }

    fn injects(&mut self, from: AttendeeId) -> bool {
        let (events, _) = self.send(from, Message::Input(InputEvent::PointerMove { x: 1, y: 2 }));
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Inject { .. }))
    }
}

/// "A representative types quit: the customer reads 'left the session' while the
/// representative's window keeps streaming." What the customer reads now comes from the
/// same state that picks frame recipients: they change together.
#[test]
fn quitting_stops_the_frames_and_the_customer_is_told_exactly_that() {
    let mut a = Agent::new(Consent::ALL);
    a.join(&info(
        BOB,
        "Bob Smith",
        Role::Host,
        Rights::HOST_DEFAULT,
        false,
    ));
    let before = a.core.customer_view();
    assert_eq!(a.core.frame_recipients(), vec![BOB]);
    a.send(
        BOB,
        Message::End {
            reason: "quit".into(),
        },
    );
    let after = a.core.customer_view();
    assert!(
        a.core.frame_recipients().is_empty(),
        "frames still go to Bob"
    );
    assert_eq!(
        changes(&before, &after),
        vec!["Bob Smith no longer sees your screen."]
    );
    // The portal announces him again (his window reconnects): shown only once he is back.
    a.core.handle_attendee_announced(
        &info(BOB, "Bob Smith", Role::Host, Rights::HOST_DEFAULT, false),
        a.now,
    );
    assert!(a.core.customer_view().attendees.is_empty());
    assert!(a.core.frame_recipients().is_empty());
}

/// "After a portal restart, status says the representative cannot see the screen while
/// their keystrokes arrive." A re-announcement keeps the link's state, and what is shown is
/// what is injected.
#[test]
fn after_a_portal_restart_what_is_shown_is_what_is_injected() {
    let mut a = Agent::new(Consent::ALL);
    let bob = info(BOB, "Bob Smith", Role::Host, Rights::HOST_DEFAULT, false);
    a.join(&bob);
    // The restarted portal announces Bob again, with the grant it restored.
    a.core.handle_attendee_announced(&bob, a.now);
    assert!(a.injects(BOB));
    let view = a.core.customer_view();
    assert!(view.attendees[0].controls(), "{view:?}");
    assert!(view.sentences()[0].contains("can use your mouse and keyboard"));
}

/// "A masked representative is named to the customer when leaving."
#[test]
fn a_masked_representative_is_never_named_coming_or_going() {
    let mut a = Agent::new(Consent::ALL);
    a.join(&info(
        BOB,
        "Bob Smith",
        Role::Host,
        Rights::HOST_DEFAULT,
        false,
    ));
    let v0 = a.core.customer_view();
    a.join(&info(
        CAROL,
        "Carol Hidden",
        Role::Representative,
        Rights::VIEW,
        true,
    ));
    let v1 = a.core.customer_view();
    a.core.handle_attendee_left(CAROL);
    let v2 = a.core.customer_view();
    let said = [changes(&v0, &v1), changes(&v1, &v2), v1.sentences()].concat();
    assert!(said.iter().all(|s| !s.contains("Carol")), "{said:?}");
    assert_eq!(v1.unnamed.seeing, 1, "but she is counted while she watches");
    assert_eq!(a.core.name_for_customer(CAROL), None);
}

/// "After revoke, status still says the representative can use your mouse and keyboard;
/// and the customer has no way to give control back."
#[test]
fn stop_control_is_shown_and_can_be_undone() {
    let mut a = Agent::new(Consent::ALL);
    a.join(&info(
        BOB,
        "Bob Smith",
        Role::Host,
        Rights::HOST_DEFAULT,
        false,
    ));
    a.core.revoke_all_control();
    let stopped = a.core.customer_view();
    assert!(!a.injects(BOB));
    assert!(!stopped.anyone_controls());
    assert_eq!(
        stopped.sentences(),
        vec!["Bob Smith (your representative) sees your screen."]
    );
    a.core.give_control_back();
    assert!(a.injects(BOB));
    assert!(a.core.customer_view().anyone_controls());
}

/// "Consenting to see your screen also grants file browsing: a masked representative lists
/// ~/.ssh with no prompt and no notice." A masked attendee cannot be asked about, so it gets
/// no file right at all; an unmasked one waits for the customer's browse consent.
#[test]
fn a_masked_representative_cannot_touch_files_and_others_wait_for_the_customer() {
    let mut a = Agent::new(Consent::ALL);
    let everything = Rights::HOST_DEFAULT;
    a.join(&info(
        CAROL,
        "Carol Hidden",
        Role::Representative,
        everything,
        true,
    ));
    assert!(!a.core.effective_rights(CAROL).contains(Rights::FILES));
    let (events, sent) = a.send(
        CAROL,
        Message::ListDir {
            id: 1,
            path: ".ssh".into(),
        },
    );
    assert!(
        events.iter().all(|e| !matches!(e, AgentEvent::File { .. })),
        "{events:?}"
    );
    assert!(
        sent.iter().any(|m| matches!(
            m,
            Message::Error {
                code: ErrorCode::NotAllowed,
                ..
            }
        ) || matches!(m, Message::FileFailed { .. })),
        "{sent:?}"
    );
    a.join(&info(BOB, "Bob Smith", Role::Host, everything, false));
    let (events, _) = a.send(
        BOB,
        Message::ListDir {
            id: 2,
            path: ".ssh".into(),
        },
    );
    assert!(
        matches!(events.as_slice(), [AgentEvent::BrowseRequested { .. }]),
        "the customer is asked first: {events:?}"
    );
}

/// "The chat right is not enforced at all: its messages still reach the customer."
#[test]
fn chat_reaches_the_customer_only_with_the_chat_right_and_never_from_a_masked_attendee() {
    let mut a = Agent::new(Consent::ALL);
    a.join(&info(CAROL, "Sam", Role::Specialist, Rights::VIEW, false));
    assert!(!a.core.chat_reaches_customer(CAROL));
    a.core
        .handle_grant(CAROL, Rights::VIEW.union(Rights::CHAT), 1)
        .expect("grant");
    assert!(a.core.chat_reaches_customer(CAROL));
    a.join(&info(
        BOB,
        "Hidden",
        Role::Representative,
        Rights::HOST_DEFAULT,
        true,
    ));
    assert!(!a.core.chat_reaches_customer(BOB));
}

/// "Only the first refused input is reported": after control is given back and taken again,
/// the representative is told again.
#[test]
fn each_refusal_period_is_reported_to_the_representative() {
    let mut a = Agent::new(Consent::ALL);
    a.join(&info(
        BOB,
        "Bob Smith",
        Role::Host,
        Rights::HOST_DEFAULT,
        false,
    ));
    let refusals = |a: &mut Agent| {
        let mut told = 0;
        for _ in 0..3 {
            let (_, sent) = a.send(BOB, Message::Input(InputEvent::PointerMove { x: 3, y: 4 }));
            told += sent
                .iter()
                .filter(|m| {
                    matches!(
                        m,
                        Message::Error {
                            code: ErrorCode::NotAllowed,
                            ..
                        }
                    )
                })
                .count();
        }
        told
    };
    a.core.revoke_all_control();
    assert_eq!(refusals(&mut a), 1);
    a.core.give_control_back();
    a.core.revoke_all_control();
    assert_eq!(refusals(&mut a), 1, "told again after the rights changed");
}
