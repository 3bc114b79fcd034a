//! Samples of what a console's session panel receives (see `web_samples.rs`).

use tandem_protocol::signal::{
    AttendeeInfo, ClientMessage, PortalMessage, RepPresence, SignalPayload, SpecialistInvitation,
};
use tandem_protocol::{AttendeeId, Rights, Role};

use super::{TICKET, code, view_chat, view_control_chat};

fn attendee(id: u32, name: &str, role: Role, rights: Rights, masked: bool) -> AttendeeInfo {
    AttendeeInfo {
        id: AttendeeId::from_wire(id),
        name: name.into(),
        role,
        rights,
        masked,
    }
}

/// What a console panel receives on its own connection.
pub(super) fn panel_samples() -> Vec<PortalMessage> {
    vec![
        PortalMessage::PanelTicket {
            code: code("012345678"),
            ticket: TICKET.into(),
        },
        PortalMessage::PanelWaiting {
            code: code("012345678"),
        },
        PortalMessage::Joined {
            session: 42,
            you: AttendeeId::HOST,
            customer: "alice@laptop".into(),
            rights: Rights::HOST_DEFAULT,
            seat_token: None,
        },
        PortalMessage::Joined {
            session: 43,
            you: AttendeeId::from_wire(5),
            customer: "alice@laptop".into(),
            rights: view_chat(),
            seat_token: Some("c2VhdC10b2tlbg".into()),
        },
        PortalMessage::Roster {
            attendees: vec![
                attendee(2, "Bob Smith", Role::Host, Rights::HOST_DEFAULT, false),
                attendee(3, "Alice Jones", Role::Representative, view_chat(), false),
                attendee(
                    4,
                    "Carl Hidden",
                    Role::Representative,
                    Rights::VIEW.union(Rights::CONTROL),
                    true,
                ),
                attendee(
                    5,
                    "Sam Specialist",
                    Role::Specialist,
                    view_control_chat(),
                    false,
                ),
            ],
        },
        PortalMessage::Roster {
            attendees: Vec::new(),
        },
        PortalMessage::Chat {
            from: AttendeeId::CUSTOMER,
            name: "alice@laptop".into(),
            text: "The printer is <offline> & blinking.".into(),
            reps_only: false,
        },
        PortalMessage::Chat {
            from: AttendeeId::from_wire(3),
            name: "Alice Jones".into(),
            text: "Driver 2.1 is the broken one.".into(),
            reps_only: true,
        },
        PortalMessage::Consent {
            attendee: AttendeeId::from_wire(3),
            allowed: Rights::VIEW.union(Rights::CHAT),
        },
        PortalMessage::CustomerAway {
            reason: "the customer's machine disconnected; waiting for it to come back".into(),
            wait_secs: 120,
        },
        PortalMessage::CustomerBack,
        PortalMessage::InvitationAnswered {
            invitation: 7,
            by: "Alice Jones".into(),
            accepted: true,
        },
        PortalMessage::InvitationAnswered {
            invitation: 8,
            by: "Dave".into(),
            accepted: false,
        },
        PortalMessage::Reps {
            reps: vec![
                RepPresence {
                    user: "alice".into(),
                    name: "Alice Jones".into(),
                    portal: "acme".into(),
                    active_sessions: 1,
                },
                RepPresence {
                    user: "dave".into(),
                    name: "Dave".into(),
                    portal: "default".into(),
                    active_sessions: 0,
                },
            ],
        },
        PortalMessage::Reps { reps: Vec::new() },
        PortalMessage::SpecialistInvited(SpecialistInvitation {
            key: code("555123999"),
            join_url: "https://help.example.com/join/555123999?t=c3BlYw".into(),
            email: "Hello,\n\nBob Smith invites you to a support session with alice@laptop.\n\
                    Open https://help.example.com/join/555123999?t=c3BlYw\n\
                    Support key: 555 123 999\nYou may: view and control keyboard and mouse"
                .into(),
            rights: view_control_chat(),
        }),
        PortalMessage::SpecialistInvitationCancelled {
            key: code("555123999"),
        },
        PortalMessage::SessionEnded {
            reason: "The customer ended the session.".into(),
        },
        PortalMessage::Signal {
            from: AttendeeId::CUSTOMER,
            payload: SignalPayload::Offer {
                sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n".into(),
            },
        },
        PortalMessage::Signal {
            from: AttendeeId::CUSTOMER,
            payload: SignalPayload::Relay {
                token: "cmVsYXktdG9rZW4".into(),
            },
        },
    ]
}

/// What the browser viewer sends besides the panel's messages.
pub(super) fn viewer_client_samples() -> Vec<ClientMessage> {
    vec![
        ClientMessage::JoinAsSpecialist {
            key: code("555123999"),
            name: "Sam Specialist".into(),
            link_token: Some("c3BlYw".into()),
            seat_token: None,
        },
        ClientMessage::JoinAsSpecialist {
            key: code("555123999"),
            name: "Sam Specialist".into(),
            link_token: None,
            seat_token: Some("c2VhdC10b2tlbg".into()),
        },
        ClientMessage::WatchSession,
        ClientMessage::Signal {
            to: AttendeeId::CUSTOMER,
            payload: SignalPayload::Answer {
                sdp: "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n".into(),
            },
        },
    ]
}
