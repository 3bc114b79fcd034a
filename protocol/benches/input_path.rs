//! What the agent's state machine costs per input event, and how much of it is the rights
//! check: `cargo bench -p tandem-protocol --bench input_path`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tandem_protocol::agent::{AgentEvent, AgentSession};
use tandem_protocol::input::InputEvent;
use tandem_protocol::rights::{self, Consent};
use tandem_protocol::viewer::ViewerSession;
use tandem_protocol::wire::Message;
use tandem_protocol::{AttendeeId, Rights, Role};

const N: u32 = 1_000_000;

fn per_event(total: Duration) -> f64 {
    total.as_nanos() as f64 / f64::from(N)
}

fn main() {
    let now = Instant::now();
    let id = AttendeeId::HOST;
    let mut agent = AgentSession::new();
    agent.handle_attendee_joined(id, Role::Host, Rights::HOST_DEFAULT, now);
    agent.handle_consent(id, Consent::ALL);
    let mut viewer = ViewerSession::new(id, now);
    while let Some((_, hello)) = viewer.poll_transmit() {
        agent.handle_datagram(id, &hello, now);
    }
    while agent.poll_transmit().is_some() || agent.poll_event().is_some() {}
    let bytes = Message::Input(InputEvent::PointerMove { x: 640, y: 400 }).encode();

    let t = Instant::now();
    for _ in 0..N {
        black_box(Message::decode(black_box(&bytes)).ok());
    }
    let decode = per_event(t.elapsed());

    let t = Instant::now();
    for _ in 0..N {
        agent.handle_datagram(id, black_box(&bytes), now);
        match agent.poll_event() {
            Some(AgentEvent::Inject { event, .. }) => {
                black_box(event);
            }
            other => panic!("expected an injection, got {other:?}"),
        }
    }
    let full = per_event(t.elapsed());

    let effective = agent.effective_rights(id);
    let t = Instant::now();
    for _ in 0..N {
        black_box(rights::may_inject_as(
            black_box(Role::Host),
            black_box(effective),
        ));
    }
    let rule = per_event(t.elapsed());

    println!("agent input path, {N} pointer moves");
    println!("  decode only                          {decode:>7.1} ns/event");
    println!("  decode + rights check + Inject event {full:>7.1} ns/event");
    println!("  rights rule alone (may_inject_as)    {rule:>7.1} ns/event");
}
