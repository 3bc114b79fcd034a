//! The agent's rights rule against an independent model, for the `agent_rights` target (and
//! the seed generator, which looks for operation sequences that reach an injection).
//!
//! The model is written from the documented rule, not from `rights.rs`'s code:
//! - rights in force are the portal's grant narrowed by the customer's consent; consent can
//!   only narrow, and nothing is shown or injected before the customer agrees;
//! - input needs control, and control without view is never allowed;
//! - remote input never comes from the customer's own seat (role `Customer`);
//! - the agent acts on an attendee's messages only after its hello was accepted (the right
//!   attendee id, a common protocol version);
//! - grants carry a strictly increasing sequence number; a replay is refused;
//! - `revoke_all_control` takes control from everyone, an attendee that leaves, ends or times
//!   out is forgotten.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use tandem_protocol::agent::{AgentEvent, AgentSession, GrantError, HELLO_TIMEOUT, IDLE_TIMEOUT};
use tandem_protocol::ids::{AttendeeId, Rights, Role};
use tandem_protocol::input::{Button, InputEvent};
use tandem_protocol::rights::Consent;
use tandem_protocol::wire::{self, Message};

/// One of four attendee ids (1 is the customer's own seat, 2 the host, by convention only:
/// any id may join with any role).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Who(pub u8);

impl Who {
    fn id(self) -> AttendeeId {
        AttendeeId::from_wire(u32::from(self.0 % 4) + 1)
    }
}

/// [`Role`] is non-exhaustive, so the fuzzer picks from the roles this version knows.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum RoleSel {
    Customer,
    Host,
    Representative,
    Specialist,
}

impl RoleSel {
    fn role(self) -> Role {
        match self {
            RoleSel::Customer => Role::Customer,
            RoleSel::Host => Role::Host,
            RoleSel::Representative => Role::Representative,
            RoleSel::Specialist => Role::Specialist,
        }
    }
}

/// The version range of a hello: mostly ours, sometimes anything.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Versions {
    Ours,
    Range(u16, u16),
}

/// One input event (mirrors [`InputEvent`], which has no `Arbitrary`).
#[derive(Arbitrary, Debug, Clone)]
pub enum Input {
    Move { x: u16, y: u16 },
    Button { button: u8, down: bool },
    Wheel { dx: i16, dy: i16 },
    Key { keysym: u32, down: bool },
    Text(String),
}

impl Input {
    fn event(&self) -> InputEvent {
        match self.clone() {
            Input::Move { x, y } => InputEvent::PointerMove { x, y },
            Input::Button { button, down } => InputEvent::PointerButton {
                button: Button(button),
                down,
            },
            Input::Wheel { dx, dy } => InputEvent::Wheel { dx, dy },
            Input::Key { keysym, down } => InputEvent::Key { keysym, down },
            Input::Text(s) => InputEvent::Text(s),
        }
    }
}

/// What happens to the agent: portal signalling, the customer's answers, time, and the
/// attendees' datagrams.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// The portal announces (or announces again) an attendee with a grant (wire bits).
    Join {
        who: Who,
        role: RoleSel,
        granted: u8,
    },
    /// The portal says the attendee left.
    Leave { who: Who },
    /// The host changes a grant; small sequence numbers so replays happen.
    Grant { who: Who, granted: u8, seq: u8 },
    /// The customer answers the consent questions for one attendee.
    Consent { who: Who, view: bool, control: bool },
    /// The customer types `revoke`.
    RevokeAllControl,
    /// The attendee's hello, possibly claiming another id or versions we do not speak.
    Hello {
        who: Who,
        claimed: Who,
        versions: Versions,
    },
    /// An input event from the attendee.
    Input { who: Who, input: Input },
    /// The attendee leaves.
    End { who: Who },
    /// Any bytes on the attendee's connection.
    Datagram { who: Who, bytes: Vec<u8> },
    /// Time passes and the agent's timers run.
    Wait { secs: u8 },
}

/// What a run reached (the seed generator keeps runs that inject and refuse).
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub injected: usize,
    pub refused: usize,
    pub revoked_then_refused: bool,
}

#[derive(Debug)]
struct Attendee {
    role: Role,
    granted: Rights,
    consent_view: bool,
    consent_control: bool,
    hello_accepted: bool,
    hello_deadline: Instant,
    last_heard: Instant,
}

impl Attendee {
    /// A right other than control, after the hello: granted, and the customer agreed to
    /// being seen at all (consent starts empty).
    fn consented(&self, right: Rights) -> bool {
        self.hello_accepted && self.consent_view && self.granted.contains(right)
    }

    fn may_view(&self) -> bool {
        self.hello_accepted && self.consent_view && self.granted.contains(Rights::VIEW)
    }

    fn may_control(&self) -> bool {
        self.may_view()
            && self.consent_control
            && self.granted.contains(Rights::CONTROL)
            && self.role != Role::Customer
    }
}

#[derive(Debug)]
struct Model {
    attendees: BTreeMap<AttendeeId, Attendee>,
    last_grant: u64,
    now: Instant,
}

const ALL: [Who; 4] = [Who(0), Who(1), Who(2), Who(3)];

/// Runs `ops` against a fresh `AgentSession` and the model, asserting after every step.
pub fn run(ops: &[Op]) -> Stats {
    let start = Instant::now();
    let mut agent = AgentSession::new();
    let mut model = Model {
        attendees: BTreeMap::new(),
        last_grant: 0,
        now: start,
    };
    let mut stats = Stats::default();
    let mut revoked = false;
    for op in ops {
        // The one input this step sends, if any, and whether the model lets it through.
        let mut input: Option<(AttendeeId, InputEvent, bool)> = None;
        match op {
            Op::Join { who, role, granted } => {
                let (id, role, granted) = (who.id(), role.role(), rights(*granted));
                agent.handle_attendee_joined(id, role, granted, model.now);
                let now = model.now;
                let a = model.attendees.entry(id).or_insert_with(|| Attendee {
                    role,
                    granted,
                    consent_view: false,
                    consent_control: false,
                    hello_accepted: false,
                    hello_deadline: now + HELLO_TIMEOUT,
                    last_heard: now,
                });
                (a.role, a.granted) = (role, granted);
            }
            Op::Leave { who } => {
                agent.handle_attendee_left(who.id());
                model.attendees.remove(&who.id());
            }
            Op::Grant { who, granted, seq } => {
                let (id, seq) = (who.id(), u64::from(*seq));
                let result = agent.handle_grant(id, rights(*granted), seq);
                let expected = if seq <= model.last_grant {
                    Err("replayed")
                } else if let Some(a) = model.attendees.get_mut(&id) {
                    model.last_grant = seq;
                    a.granted = rights(*granted);
                    Ok(())
                } else {
                    Err("unknown")
                };
                let got = result.map_err(|e| match e {
                    GrantError::Replayed { .. } => "replayed",
                    GrantError::UnknownAttendee(_) => "unknown",
                    _ => "other",
                });
                assert_eq!(got, expected, "grant #{seq} for {id}");
            }
            Op::Consent { who, view, control } => {
                agent.handle_consent(
                    who.id(),
                    Consent {
                        view: *view,
                        control: *control,
                    },
                );
                if let Some(a) = model.attendees.get_mut(&who.id()) {
                    (a.consent_view, a.consent_control) = (*view, *control);
                }
            }
            Op::RevokeAllControl => {
                agent.revoke_all_control();
                model
                    .attendees
                    .values_mut()
                    .for_each(|a| a.consent_control = false);
                revoked = true;
            }
            Op::Hello {
                who,
                claimed,
                versions,
            } => {
                let (version_min, version_max) = match versions {
                    Versions::Ours => (wire::VERSION_MIN, wire::VERSION_MAX),
                    Versions::Range(a, b) => (*a, *b),
                };
                let hello = Message::Hello {
                    version_min,
                    version_max,
                    attendee: claimed.id(),
                };
                input = datagram(&mut agent, &mut model, who.id(), &hello.encode());
            }
            Op::Input { who, input: i } => {
                let bytes = Message::Input(i.event()).encode();
                input = datagram(&mut agent, &mut model, who.id(), &bytes);
            }
            Op::End { who } => {
                let end = Message::End {
                    reason: "bye".into(),
                };
                input = datagram(&mut agent, &mut model, who.id(), &end.encode());
            }
            Op::Datagram { who, bytes } => {
                input = datagram(&mut agent, &mut model, who.id(), bytes);
            }
            Op::Wait { secs } => {
                model.now += Duration::from_secs(u64::from(*secs));
                agent.handle_timeout(model.now);
                let now = model.now;
                model.attendees.retain(|_, a| {
                    let no_hello = !a.hello_accepted && now >= a.hello_deadline;
                    let idle = now.saturating_duration_since(a.last_heard) >= IDLE_TIMEOUT;
                    !no_hello && !idle
                });
            }
        }
        check_step(&mut agent, &model, input, &mut stats, revoked);
    }
    stats
}

/// Unknown bits are dropped on parse, as on the wire.
fn rights(bits: u8) -> Rights {
    Rights::from_wire(u32::from(bits))
}

/// Hands `bytes` to the agent as from `id` and updates the model; returns the input event
/// carried, if any, with the model's verdict.
fn datagram(
    agent: &mut AgentSession,
    model: &mut Model,
    id: AttendeeId,
    bytes: &[u8],
) -> Option<(AttendeeId, InputEvent, bool)> {
    agent.handle_datagram(id, bytes, model.now);
    // Strangers are ignored entirely.
    let a = model.attendees.get_mut(&id)?;
    a.last_heard = model.now;
    match Message::decode(bytes).ok()? {
        Message::Hello {
            version_min,
            version_max,
            attendee,
        } if attendee == id => {
            let common = version_min.max(wire::VERSION_MIN) <= version_max.min(wire::VERSION_MAX);
            if common {
                a.hello_accepted = true;
            } else {
                model.attendees.remove(&id);
            }
            None
        }
        Message::Input(event) => Some((id, event, a.may_control())),
        Message::End { .. } => {
            model.attendees.remove(&id);
            None
        }
        _ => None,
    }
}

fn check_step(
    agent: &mut AgentSession,
    model: &Model,
    input: Option<(AttendeeId, InputEvent, bool)>,
    stats: &mut Stats,
    revoked: bool,
) {
    let mut injected = Vec::new();
    let mut refused = Vec::new();
    while let Some(event) = agent.poll_event() {
        match event {
            AgentEvent::Inject { from, event } => injected.push((from, event)),
            AgentEvent::InputRefused { from, .. } => refused.push(from),
            AgentEvent::NeedsKeyframe { attendee } => {
                let a = model.attendees.get(&attendee);
                assert!(
                    a.is_some_and(Attendee::may_view),
                    "keyframe for {attendee}: {a:?}"
                );
            }
            AgentEvent::File { from, .. } => {
                let a = model.attendees.get(&from);
                let ok = a.is_some_and(|a| a.consented(Rights::FILES));
                assert!(ok, "file message from {from}: {a:?}");
            }
            AgentEvent::RebootRequested { from } => {
                let a = model.attendees.get(&from);
                let ok = a.is_some_and(|a| a.consented(Rights::REBOOT));
                assert!(ok, "reboot request from {from}: {a:?}");
            }
            _ => {}
        }
    }
    // Releases the agent injects by itself for someone who lost control or left (so nothing
    // stays held down) are not the step's input: set them apart, and check they are releases.
    let own = |from: AttendeeId, e: &InputEvent| {
        input
            .as_ref()
            .is_some_and(|(f, ev, _)| *f == from && ev == e)
    };
    let (injected, released): (Vec<_>, Vec<_>) =
        injected.into_iter().partition(|(from, e)| own(*from, e));
    for (from, e) in &released {
        assert!(
            matches!(
                e,
                InputEvent::Key { down: false, .. } | InputEvent::PointerButton { down: false, .. }
            ),
            "the agent injected {e:?} for {from} by itself"
        );
    }
    // Text longer than the agent takes at once is refused with an error, not injected.
    let input = input.filter(|(_, e, _)| {
        !matches!(e, InputEvent::Text(t) if t.chars().count() > tandem_protocol::agent::MAX_TEXT_CHARS)
    });
    // The rule itself: input is injected exactly when the model says the sender may control.
    match input {
        Some((from, event, true)) => {
            assert_eq!(injected, [(from, event)], "{model:?}");
            assert!(refused.is_empty());
            stats.injected += 1;
        }
        Some((from, _, false)) => {
            assert!(injected.is_empty(), "injected for {from}: {model:?}");
            assert_eq!(refused, [from]);
            stats.refused += 1;
            stats.revoked_then_refused |= revoked;
        }
        None => assert!(
            injected.is_empty() && refused.is_empty(),
            "{injected:?} {refused:?}"
        ),
    }

    for who in ALL {
        let id = who.id();
        let eff = agent.effective_rights(id);
        let Some(a) = model.attendees.get(&id) else {
            assert_eq!(eff, Rights::NONE, "{id} is gone");
            continue;
        };
        assert!(
            a.granted.contains(eff),
            "consent never widens a grant: {eff:?} {a:?}"
        );
        if !a.consent_view {
            assert_eq!(
                eff,
                Rights::NONE,
                "nothing before the customer agrees: {a:?}"
            );
        }
        let granted_control = a.granted.contains(Rights::CONTROL);
        assert_eq!(
            eff.contains(Rights::VIEW),
            a.granted.contains(Rights::VIEW) && a.consent_view
        );
        assert_eq!(
            eff.contains(Rights::CONTROL),
            granted_control && a.consent_view && a.consent_control,
            "{eff:?} {a:?}"
        );
    }
    // The screen goes exactly to attendees that said hello and may view.
    let expected: Vec<AttendeeId> = model
        .attendees
        .iter()
        .filter(|(_, a)| a.may_view())
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(agent.frame_recipients(), expected);

    // The agent only ever sends well-formed messages.
    while let Some(t) = agent.poll_transmit() {
        assert!(Message::decode(&t.payload).is_ok(), "{t:?}");
    }
}
