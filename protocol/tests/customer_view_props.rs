//! One source of truth: after any sequence of joins, grants, revokes, consent answers,
//! quits, masked joins and leaves, portal reconnects and resumes, what the customer is shown
//! is exactly who the agent sends frames to and takes input from, with the same rights.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tandem_protocol::agent::{AgentEvent, AgentSession};
use tandem_protocol::input::InputEvent;
use tandem_protocol::rights::Consent;
use tandem_protocol::signal::AttendeeInfo;
use tandem_protocol::wire::{self, Message};
use tandem_protocol::{AttendeeId, Rights, Role};

#[derive(Debug, Clone)]
enum Op {
    Join { who: u32, rights: u32, masked: bool },
    Hello { who: u32 },
    Grant { who: u32, rights: u32 },
    SessionConsent { view: bool, control: bool },
    ConsentFor { who: u32, view: bool, control: bool },
    StopControl,
    GiveControlBack,
    Quit { who: u32 },
    Leave { who: u32 },
    PortalReconnect,
    Resume,
    Wait { secs: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 2u32..8;
    prop_oneof![
        3 => (who.clone(), 0u32..32, any::<bool>())
            .prop_map(|(who, rights, masked)| Op::Join { who, rights, masked }),
        3 => who.clone().prop_map(|who| Op::Hello { who }),
        2 => (who.clone(), 0u32..32).prop_map(|(who, rights)| Op::Grant { who, rights }),
        1 => (any::<bool>(), any::<bool>())
            .prop_map(|(view, control)| Op::SessionConsent { view, control }),
        1 => (who.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(who, view, control)| Op::ConsentFor { who, view, control }),
        1 => Just(Op::StopControl),
        1 => Just(Op::GiveControlBack),
        1 => who.clone().prop_map(|who| Op::Quit { who }),
        1 => who.prop_map(|who| Op::Leave { who }),
        1 => Just(Op::PortalReconnect),
        1 => Just(Op::Resume),
        1 => (0u64..30).prop_map(|secs| Op::Wait { secs }),
    ]
}

fn role_of(who: u32) -> Role {
    match who {
        2 => Role::Host,
        3 | 4 => Role::Representative,
        _ => Role::Specialist,
    }
}

struct World {
    agent: AgentSession,
    now: Instant,
    /// Who the portal says is present (for reconnects and resumes).
    present: BTreeMap<u32, AttendeeInfo>,
    grant_seq: u64,
    consent: Consent,
}

impl World {
    fn info(who: u32, rights: u32, masked: bool) -> AttendeeInfo {
        AttendeeInfo {
            id: AttendeeId::from_wire(who),
            name: format!("person {who}"),
            role: role_of(who),
            rights: Rights::from_wire(rights),
            // Only invited representatives can be masked.
            masked: masked && role_of(who) == Role::Representative,
        }
    }

    fn hello(&mut self, who: u32) {
        let id = AttendeeId::from_wire(who);
        let hello = Message::Hello {
            version_min: wire::VERSION_MIN,
            version_max: wire::VERSION_MAX,
            attendee: id,
        };
        self.agent.handle_datagram(id, &hello.encode(), self.now);
        self.drain();
    }

    fn drain(&mut self) -> Vec<AgentEvent> {
        while self.agent.poll_transmit().is_some() {}
        let mut out = Vec::new();
        while let Some(ev) = self.agent.poll_event() {
            if let AgentEvent::NeedsKeyframe { attendee } = ev {
                self.agent.handle_keyframe_sent(attendee);
            }
            out.push(ev);
        }
        out
    }

    fn effective_all(&self) -> BTreeMap<u32, Rights> {
        (2..8)
            .map(|w| (w, self.agent.effective_rights(AttendeeId::from_wire(w))))
            .collect()
    }

    /// Whose input the agent injects right now, found by sending each one a pointer move.
    fn injects(&mut self) -> Vec<u32> {
        let mut out = Vec::new();
        for who in 2..8 {
            let id = AttendeeId::from_wire(who);
            let probe = Message::Input(InputEvent::PointerMove { x: 1, y: 1 });
            self.agent.handle_datagram(id, &probe.encode(), self.now);
            let injected = self
                .drain()
                .iter()
                .any(|e| matches!(e, AgentEvent::Inject { from, .. } if *from == id));
            if injected {
                out.push(who);
            }
        }
        out
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Join {
                who,
                rights,
                masked,
            } => {
                let info = Self::info(who, rights, masked);
                self.agent.handle_attendee_announced(&info, self.now);
                self.present.insert(who, info);
            }
            Op::Hello { who } => self.hello(who),
            Op::Grant { who, rights } => {
                self.grant_seq += 1;
                let id = AttendeeId::from_wire(who);
                let before = self.effective_all();
                let granted = Rights::from_wire(rights);
                if self.agent.handle_grant(id, granted, self.grant_seq).is_ok()
                    && let Some(p) = self.present.get_mut(&who)
                {
                    p.rights = granted;
                }
                let after = self.effective_all();
                for w in (2..8).filter(|w| *w != who) {
                    assert_eq!(before[&w], after[&w], "a grant for {who} changed {w}");
                }
                assert!(
                    granted.contains(after[&who]),
                    "consent never widens a grant"
                );
            }
            Op::SessionConsent { view, control } => {
                self.consent = Consent { view, control };
                self.agent.set_session_consent(self.consent);
            }
            Op::ConsentFor { who, view, control } => {
                let id = AttendeeId::from_wire(who);
                self.agent.handle_consent(id, Consent { view, control });
            }
            Op::StopControl | Op::GiveControlBack => {
                let before = self.effective_all();
                if matches!(op, Op::StopControl) {
                    self.consent.control = false;
                    self.agent.revoke_all_control();
                } else {
                    self.consent.control = true;
                    self.agent.give_control_back();
                }
                let after = self.effective_all();
                for w in 2..8 {
                    let (b, a) = (before[&w], after[&w]);
                    assert_eq!(
                        b.without(Rights::CONTROL),
                        a.without(Rights::CONTROL),
                        "changing control touched another right of {w}"
                    );
                    if matches!(op, Op::StopControl) {
                        assert!(!a.contains(Rights::CONTROL));
                    }
                }
            }
            Op::Quit { who } => {
                let id = AttendeeId::from_wire(who);
                let end = Message::End {
                    reason: "bye".into(),
                };
                self.agent.handle_datagram(id, &end.encode(), self.now);
                self.drain();
            }
            Op::Leave { who } => {
                self.agent.handle_attendee_left(AttendeeId::from_wire(who));
                self.present.remove(&who);
            }
            Op::PortalReconnect => {
                let infos: Vec<AttendeeInfo> = self.present.values().cloned().collect();
                for info in &infos {
                    self.agent.handle_attendee_announced(info, self.now);
                }
            }
            Op::Resume => {
                // The machine restarted: a new agent with the consent kept in the resume
                // record; the portal announces everyone again and their viewers say hello.
                self.agent = AgentSession::new();
                self.agent.set_session_consent(self.consent);
                self.grant_seq = 0;
                let infos: Vec<AttendeeInfo> = self.present.values().cloned().collect();
                for info in &infos {
                    self.agent.handle_attendee_announced(info, self.now);
                    self.hello(info.id.to_wire());
                }
            }
            Op::Wait { secs } => {
                self.now += Duration::from_secs(secs);
                self.agent.handle_timeout(self.now);
                self.drain();
            }
        }
        self.drain();
    }

    fn check(&mut self) {
        let view = self.agent.customer_view();
        let frames: Vec<u32> = self
            .agent
            .frame_recipients()
            .iter()
            .map(|id| id.to_wire())
            .collect();
        let injects = self.injects();
        let masked = |w: &u32| self.present.get(w).is_some_and(|p| p.masked);
        // Named: exactly the unmasked frame recipients, with the rights in force.
        let shown: Vec<(u32, Rights)> = view
            .attendees
            .iter()
            .map(|a| (a.id.to_wire(), a.rights))
            .collect();
        let expected: Vec<(u32, Rights)> = frames
            .iter()
            .filter(|w| !masked(w))
            .map(|w| (*w, self.agent.effective_rights(AttendeeId::from_wire(*w))))
            .collect();
        assert_eq!(shown, expected, "named attendees are the frame recipients");
        for a in &view.attendees {
            assert!(!masked(&a.id.to_wire()), "a masked attendee was named");
            assert_eq!(
                a.controls(),
                injects.contains(&a.id.to_wire()),
                "shown control of {} differs from injection",
                a.id
            );
        }
        // Whoever's input is injected also sees (nobody steers blind), so is counted above.
        for w in &injects {
            assert!(frames.contains(w), "{w} controls without receiving frames");
        }
        assert_eq!(
            view.unnamed.seeing,
            frames.iter().filter(|w| masked(w)).count()
        );
        assert_eq!(
            view.unnamed.controlling,
            injects.iter().filter(|w| masked(w)).count()
        );
        for w in 2..8 {
            let id = AttendeeId::from_wire(w);
            if self.agent.chat_reaches_customer(id) {
                assert!(!masked(&w) && self.agent.effective_rights(id).contains(Rights::CHAT));
            }
            if masked(&w) {
                assert!(self.agent.name_for_customer(id).is_none());
            }
        }
        let text = view.sentences().join(" ") + &view.headline();
        // The headline names or counts everyone who controls.
        assert_eq!(
            view.headline()
                .contains("more people from the support team can use")
                || view
                    .headline()
                    .contains("more person from the support team can use"),
            view.unnamed.controlling > 0,
            "{}",
            view.headline()
        );
        for (w, p) in &self.present {
            if p.masked {
                assert!(!text.contains(&p.name), "masked {w} named in {text:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn what_the_customer_is_shown_is_what_is_enforced(ops in proptest::collection::vec(op(), 1..60)) {
        let mut world = World {
            agent: AgentSession::new(),
            now: Instant::now(),
            present: BTreeMap::new(),
            grant_seq: 0,
            consent: Consent::default(),
        };
        for op in &ops {
            world.apply(op);
            world.check();
        }
    }
}
