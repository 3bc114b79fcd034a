//! Golden JSON shapes of signalling messages.

use super::*;
use crate::Role;

#[test]
fn messages_have_a_stable_json_shape() {
    let code: SessionCode = "012345678".parse().expect("valid");
    let m = ClientMessage::Redeem {
        code,
        customer: "alice@pc".into(),
        link_token: None,
    };
    assert_eq!(
        serde_json::to_string(&m).expect("serialises"),
        r#"{"type":"redeem","code":"012345678","customer":"alice@pc"}"#
    );
    let e = PortalMessage::Error {
        kind: ErrorKind::CodeExpired,
        message: "x".into(),
    };
    assert_eq!(
        serde_json::to_string(&e).expect("serialises"),
        r#"{"type":"error","kind":"code_expired","message":"x"}"#
    );
    let relay = ClientMessage::Signal {
        to: AttendeeId::HOST,
        payload: SignalPayload::RelayRequest,
    };
    assert_eq!(
        serde_json::to_string(&relay).expect("serialises"),
        r#"{"type":"signal","to":2,"payload":{"kind":"relay_request"}}"#
    );
    let change = ClientMessage::ChangeRights {
        attendee: AttendeeId::from_wire(3),
        grant: Rights::CONTROL,
        revoke: Rights::FILES,
    };
    assert_eq!(
        serde_json::to_string(&change).expect("serialises"),
        r#"{"type":"change_rights","attendee":3,"grant":2,"revoke":8}"#
    );
    let token = PortalMessage::Signal {
        from: AttendeeId::CUSTOMER,
        payload: SignalPayload::Relay { token: "t".into() },
    };
    assert_eq!(
        serde_json::to_string(&token).expect("serialises"),
        r#"{"type":"signal","from":1,"payload":{"kind":"relay","token":"t"}}"#
    );
}

#[test]
fn malformed_codes_do_not_parse() {
    let bad = r#"{"type":"redeem","code":"12345","customer":"a"}"#;
    assert!(serde_json::from_str::<ClientMessage>(bad).is_err());
    let unknown = r#"{"type":"format_disk"}"#;
    assert!(serde_json::from_str::<ClientMessage>(unknown).is_err());
}

#[test]
fn a_message_kind_is_its_wire_type_and_shows_no_secret() {
    let redeemed = PortalMessage::Redeemed {
        session: 4,
        you: AttendeeId::CUSTOMER,
        host: AttendeeInfo {
            id: AttendeeId::HOST,
            name: "Bob".into(),
            role: Role::Host,
            rights: Rights::VIEW,
            masked: false,
        },
        resume_secret: "s3cr3t".into(),
        recording: Some(RecordingTerms { required: true }),
    };
    let token = PortalMessage::RecordingToken {
        token: "t0k3n".into(),
    };
    let signal = PortalMessage::Signal {
        from: AttendeeId::HOST,
        payload: SignalPayload::Answer { sdp: "v=0".into() },
    };
    for m in [redeemed, token, signal, PortalMessage::CustomerBack] {
        let json = serde_json::to_value(&m).expect("serialises");
        assert_eq!(json["type"], m.kind());
        assert!(!m.kind().contains("s3cr3t") && !m.kind().contains("t0k3n"));
    }
    // Older portals say nothing about recording: not recorded.
    let old = r#"{"type":"redeemed","session":1,"you":1,"host":{"id":2,"name":"B","role":"host","rights":1,"masked":false}}"#;
    if let Ok(PortalMessage::Redeemed { recording, .. }) = serde_json::from_str(old) {
        assert_eq!(recording, None);
    } else {
        panic!("an older portal's redeemed no longer parses");
    }
}

#[test]
fn seat_tokens_are_optional_both_ways() {
    // Older viewers send no seat token and older portals send none: both still parse.
    let join = r#"{"type":"join_as_specialist","key":"012345678","name":"Sam"}"#;
    let parsed: ClientMessage = serde_json::from_str(join).expect("parses");
    assert!(matches!(
        parsed,
        ClientMessage::JoinAsSpecialist {
            seat_token: None,
            ..
        }
    ));
    assert_eq!(serde_json::to_string(&parsed).expect("serialises"), join);
    let joined = r#"{"type":"joined","session":4,"you":3,"customer":"alice","rights":1}"#;
    let parsed: PortalMessage = serde_json::from_str(joined).expect("parses");
    assert!(matches!(
        parsed,
        PortalMessage::Joined {
            seat_token: None,
            ..
        }
    ));
    assert_eq!(serde_json::to_string(&parsed).expect("serialises"), joined);
    let with_seat = PortalMessage::Joined {
        session: 4,
        you: AttendeeId::from_wire(3),
        customer: "alice".into(),
        rights: Rights::VIEW,
        seat_token: Some("ab".into()),
    };
    assert_eq!(
        serde_json::to_string(&with_seat).expect("serialises"),
        r#"{"type":"joined","session":4,"you":3,"customer":"alice","rights":1,"seat_token":"ab"}"#
    );
}
