//! Drives an agent-side and a viewer-side state machine against each other through byte
//! queues with a virtual clock — no sockets, no threads. Proves the rights rule end to end.

use std::time::{Duration, Instant};

use tandem_protocol::agent::{AgentEvent, AgentSession};
use tandem_protocol::input::{Button, InputEvent};
use tandem_protocol::rights::Consent;
use tandem_protocol::tiles::TileEncoding;
use tandem_protocol::tiles::{FrameRef, TileEncoder, chunk_update};
use tandem_protocol::viewer::{SendInputError, ViewerEvent, ViewerSession};
use tandem_protocol::wire::{EncodedTile, FrameUpdate, Message};
use tandem_protocol::{AttendeeId, Rights, Role};

struct Pair {
    now: Instant,
    agent: AgentSession,
    viewer: ViewerSession,
    me: AttendeeId,
    injected: Vec<InputEvent>,
    refused: u64,
    keyframes: usize,
    viewer_events: Vec<ViewerEvent>,
    lost: Vec<AttendeeId>,
}

impl Pair {
    fn new(granted: Rights, consent: Consent) -> Pair {
        let now = Instant::now();
        let me = AttendeeId::HOST;
        let mut agent = AgentSession::new();
        agent.handle_attendee_joined(me, Role::Host, granted, now);
        agent.handle_consent(me, consent);
        let viewer = ViewerSession::new(me, now);
        let mut p = Pair {
            now,
            agent,
            viewer,
            me,
            injected: vec![],
            refused: 0,
            keyframes: 0,
            viewer_events: vec![],
            lost: vec![],
        };
        p.drive();
        p
    }

    /// Moves bytes both ways until both sides are quiet.
    fn drive(&mut self) {
        loop {
            let mut moved = false;
            while let Some((_, bytes)) = self.viewer.poll_transmit() {
                self.agent.handle_datagram(self.me, &bytes, self.now);
                moved = true;
            }
            while let Some(t) = self.agent.poll_transmit() {
                assert_eq!(t.to, self.me);
                self.viewer.handle_datagram(&t.payload, self.now);
                moved = true;
            }
            while let Some(ev) = self.agent.poll_event() {
                match ev {
                    AgentEvent::Inject { event, .. } => self.injected.push(event),
                    AgentEvent::InputRefused { count, .. } => self.refused = count,
                    AgentEvent::NeedsKeyframe { .. } => self.keyframes += 1,
                    AgentEvent::AttendeeLost { attendee, .. } => self.lost.push(attendee),
                    _ => {}
                }
                moved = true;
            }
            while let Some(ev) = self.viewer.poll_event() {
                self.viewer_events.push(ev);
                moved = true;
            }
            if !moved {
                return;
            }
        }
    }

    /// Input as a hostile viewer would send it: straight onto the wire, bypassing the
    /// viewer's own check.
    fn raw_input(&mut self, ev: InputEvent) {
        let bytes = Message::Input(ev).encode();
        self.agent.handle_datagram(self.me, &bytes, self.now);
        self.drive();
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.agent.handle_timeout(self.now);
        self.viewer.handle_timeout(self.now);
        self.drive();
    }
}

fn click() -> InputEvent {
    InputEvent::PointerButton {
        button: Button::LEFT,
        down: true,
    }
}

#[test]
fn controller_input_is_injected() {
    let mut p = Pair::new(Rights::HOST_DEFAULT, Consent::ALL);
    assert!(matches!(
        p.viewer_events[0],
        ViewerEvent::Ready { version: 1, .. }
    ));
    assert_eq!(p.keyframes, 1, "a new viewer needs the whole screen");
    p.viewer
        .send_input(InputEvent::PointerMove { x: 10, y: 20 })
        .expect("may send");
    p.viewer.send_input(click()).expect("may send");
    p.drive();
    assert_eq!(
        p.injected,
        vec![InputEvent::PointerMove { x: 10, y: 20 }, click()]
    );
}

#[test]
fn view_only_input_never_becomes_an_injection() {
    // granted view only by the portal
    let mut p = Pair::new(Rights::VIEW, Consent::ALL);
    assert_eq!(p.viewer.send_input(click()), Err(SendInputError::ViewOnly));
    p.raw_input(click());
    p.raw_input(InputEvent::Text("rm -rf ~\n".into()));
    assert!(p.injected.is_empty());
    assert_eq!(p.refused, 2);
    assert!(
        p.viewer_events
            .iter()
            .any(|e| matches!(e, ViewerEvent::Refused(_)))
    );
}

#[test]
fn customer_consent_narrows_the_grant() {
    let mut p = Pair::new(
        Rights::HOST_DEFAULT,
        Consent {
            view: true,
            control: false,
        },
    );
    p.raw_input(click());
    assert!(p.injected.is_empty());
    // the clipboard goes with control
    assert_eq!(
        p.agent.effective_rights(p.me),
        Rights::HOST_DEFAULT
            .without(Rights::CONTROL)
            .without(Rights::CLIPBOARD)
    );
}

#[test]
fn input_before_hello_is_refused_and_strangers_are_ignored() {
    let now = Instant::now();
    let mut agent = AgentSession::new();
    agent.handle_attendee_joined(AttendeeId::HOST, Role::Host, Rights::HOST_DEFAULT, now);
    agent.handle_consent(AttendeeId::HOST, Consent::ALL);
    agent.handle_datagram(AttendeeId::HOST, &Message::Input(click()).encode(), now);
    assert!(matches!(
        agent.poll_event(),
        Some(AgentEvent::InputRefused { .. })
    ));
    // an attendee the portal never announced is ignored entirely
    agent.handle_datagram(
        AttendeeId::from_wire(9),
        &Message::Input(click()).encode(),
        now,
    );
    assert_eq!(agent.poll_event(), None);
}

#[test]
fn revoking_control_applies_before_the_next_input() {
    let mut p = Pair::new(Rights::HOST_DEFAULT, Consent::ALL);
    p.raw_input(click());
    assert_eq!(p.injected.len(), 1);
    p.agent.revoke_all_control();
    // the very next event, with no time passing and before the viewer heard about it
    let bytes = Message::Input(click()).encode();
    p.agent.handle_datagram(p.me, &bytes, p.now);
    p.drive();
    // Only the release of the button held down, injected for the viewer as control went.
    assert_eq!(p.injected.len(), 2);
    assert!(matches!(
        p.injected[1],
        InputEvent::PointerButton { down: false, .. }
    ));
    assert!(
        p.viewer_events
            .iter()
            .any(|e| matches!(e, ViewerEvent::RightsChanged(r) if !r.contains(Rights::CONTROL)))
    );
    assert_eq!(p.viewer.send_input(click()), Err(SendInputError::ViewOnly));
}

#[test]
fn a_hello_claiming_another_attendee_is_refused() {
    let now = Instant::now();
    let mut agent = AgentSession::new();
    let five = AttendeeId::from_wire(5);
    agent.handle_attendee_joined(five, Role::Specialist, Rights::VIEW, now);
    agent.handle_consent(five, Consent::ALL);
    let forged = Message::Hello {
        version_min: 1,
        version_max: 1,
        attendee: AttendeeId::HOST,
    };
    agent.handle_datagram(five, &forged.encode(), now);
    let t = agent.poll_transmit().expect("an error goes back");
    assert!(matches!(
        Message::decode(&t.payload),
        Ok(Message::Error { .. })
    ));
    assert!(agent.frame_recipients().is_empty());
}

#[test]
fn frames_flow_and_the_viewer_shows_whole_updates_only() {
    let mut p = Pair::new(Rights::VIEW, Consent::ALL);
    assert_eq!(p.agent.frame_recipients(), vec![p.me]);
    let (w, h) = (300u16, 200u16);
    let pic: Vec<u8> = (0..w as usize * h as usize)
        .flat_map(|i| [(i % 251) as u8, (i / 7 % 253) as u8, 9, 0])
        .collect();
    let mut enc = TileEncoder::new();
    let frame = FrameRef::packed(w, h, &pic);
    let tiles = enc.encode(frame, None).expect("encodes");
    let chunks = chunk_update(1, (w, h), tiles);
    assert!(chunks.len() > 1);
    let n = chunks.len();
    for (i, c) in chunks.into_iter().enumerate() {
        p.viewer
            .handle_datagram(&Message::FrameUpdate(c).encode(), p.now);
        p.drive();
        let shown = p
            .viewer_events
            .iter()
            .any(|e| matches!(e, ViewerEvent::FrameReady { seq: 1, .. }));
        assert_eq!(shown, i + 1 == n, "frame shown only after the last chunk");
    }
    assert_eq!(p.viewer.frame().pixels(), &pic[..]);
}

#[test]
fn a_screen_beyond_the_limit_ends_the_session_without_allocating() {
    let mut p = Pair::new(Rights::VIEW, Consent::ALL);
    // 35 bytes announcing a 65535x65535 screen (17 GB of picture).
    let hostile = Message::FrameUpdate(FrameUpdate {
        seq: 1,
        width: 65535,
        height: 65535,
        last: true,
        tiles: vec![EncodedTile {
            x: 0,
            y: 0,
            w: 1,
            h: 1,
            encoding: TileEncoding::Solid as u8,
            data: vec![1, 2, 3],
        }],
    })
    .encode();
    assert_eq!(hostile.len(), 35);
    p.viewer.handle_datagram(&hostile, p.now);
    p.drive();
    assert_eq!(p.viewer.frame().pixels().len(), 0, "nothing allocated");
    assert!(!p.viewer.is_open());
    let reason = "the customer's screen is larger than this viewer accepts (65535x65535)";
    assert!(
        p.viewer_events
            .iter()
            .any(|e| matches!(e, ViewerEvent::Ended { reason: r } if r == reason)),
        "{:?}",
        p.viewer_events
    );
    assert!(
        p.agent.frame_recipients().is_empty(),
        "the agent was told and dropped the viewer"
    );
}

#[test]
fn an_update_without_its_last_chunk_is_dropped_at_the_limit_and_a_keyframe_asked() {
    let mut p = Pair::new(Rights::VIEW, Consent::ALL);
    p.agent.handle_keyframe_sent(p.me);
    let keyframes = p.keyframes;
    let (w, h) = (1920u16, 1080u16);
    let big = Message::FrameUpdate(FrameUpdate {
        seq: 7,
        width: w,
        height: h,
        last: false,
        tiles: vec![EncodedTile {
            x: 0,
            y: 0,
            w: 64,
            h: 64,
            encoding: TileEncoding::Zstd as u8,
            data: vec![0; 1_000_000],
        }],
    })
    .encode();
    let limit = tandem_protocol::updates::pending_limit(w, h);
    let mut sent = 0;
    while p.keyframes == keyframes {
        assert!(sent <= limit, "still held after {sent} bytes");
        p.viewer.handle_datagram(&big, p.now);
        sent += big.len();
        p.drive();
    }
    assert!(
        sent > limit - big.len(),
        "dropped only at the limit ({sent} bytes)"
    );
    assert!(
        p.viewer.is_open(),
        "a dropped update does not end the session"
    );
}

#[test]
fn pings_keep_a_quiet_session_alive_and_silence_ends_it() {
    let mut p = Pair::new(Rights::HOST_DEFAULT, Consent::ALL);
    for _ in 0..20 {
        p.advance(Duration::from_secs(3));
    }
    assert!(
        p.lost.is_empty() && p.viewer.is_open(),
        "a minute of pings keeps it alive"
    );
    // now the viewer vanishes: only the agent's clock moves
    let later = p.now + Duration::from_secs(25);
    p.agent.handle_timeout(later);
    assert!(matches!(
        p.agent.poll_event(),
        Some(AgentEvent::AttendeeLost { .. })
    ));
}

#[test]
fn a_viewer_that_never_says_hello_is_dropped() {
    let now = Instant::now();
    let mut agent = AgentSession::new();
    agent.handle_attendee_joined(AttendeeId::HOST, Role::Host, Rights::VIEW, now);
    let deadline = agent.poll_timeout().expect("a timer is armed");
    assert!(deadline <= now + Duration::from_secs(15));
    agent.handle_timeout(deadline);
    assert!(matches!(
        agent.poll_event(),
        Some(AgentEvent::AttendeeLost { .. })
    ));
}

#[test]
fn tampered_bytes_are_answered_with_errors_not_panics() {
    let mut p = Pair::new(Rights::HOST_DEFAULT, Consent::ALL);
    let good = Message::Input(InputEvent::Key {
        keysym: 0x61,
        down: true,
    })
    .encode();
    for i in 0..good.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[i] ^= flip;
            p.agent.handle_datagram(p.me, &bad, p.now);
            p.agent.handle_datagram(p.me, &bad[..i], p.now);
        }
    }
    p.drive();
    // the session is still alive and usable afterwards
    p.viewer.send_input(click()).expect("still connected");
    p.drive();
    assert_eq!(p.injected.last(), Some(&click()));
}

#[test]
fn leaving_ends_the_viewer_side_too() {
    // Issue 9: `quit` told the agent "left" but the viewer's side never ended, so its shell
    // kept the link and the portal membership, and the agent offered a new link.
    let mut p = Pair::new(Rights::HOST_DEFAULT, Consent::ALL);
    assert!(!p.agent.frame_recipients().is_empty());
    p.viewer.leave("the representative left");
    p.drive();
    assert!(!p.viewer.is_open());
    let ended: Vec<&ViewerEvent> = p
        .viewer_events
        .iter()
        .filter(|e| matches!(e, ViewerEvent::Ended { .. }))
        .collect();
    assert_eq!(
        ended,
        [&ViewerEvent::Ended {
            reason: "the representative left".into()
        }],
        "exactly one end, for the shell to act on"
    );
    assert!(
        p.agent.frame_recipients().is_empty(),
        "the agent was told and stopped sending the screen"
    );
    // Leaving twice says nothing more.
    p.viewer.leave("again");
    p.drive();
    assert_eq!(p.viewer.poll_event(), None);
}
