use super::*;
use crate::input::Button;

fn round_trip(m: Message) {
    let bytes = m.encode();
    assert_eq!(Message::decode(&bytes), Ok(m));
}

#[test]
fn golden_hello() {
    let m = Message::Hello {
        version_min: 1,
        version_max: 2,
        attendee: AttendeeId::from_wire(7),
    };
    assert_eq!(m.encode(), [1, 0, 8, 0, 0, 0, 1, 0, 2, 0, 7, 0, 0, 0]);
}

#[test]
fn golden_cursor() {
    let m = Message::CursorPosition { x: 258, y: 3 };
    assert_eq!(m.encode(), [18, 0, 4, 0, 0, 0, 2, 1, 3, 0]);
    let shape = Message::CursorShape {
        serial: 1,
        width: 1,
        height: 1,
        hot_x: 0,
        hot_y: 0,
        bgra: vec![10, 20, 30, 255],
    };
    let bytes = shape.encode();
    assert_eq!(
        bytes,
        [
            17, 0, 20, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 0, 0, 0, 10, 20, 30, 255
        ]
    );
    // A shape whose pixels do not match its size, or whose hot spot lies outside it, is refused.
    let mut bad = bytes.clone();
    bad[10] = 2;
    assert!(Message::decode(&bad).is_err());
    let mut hot = bytes;
    hot[14] = 1;
    assert!(Message::decode(&hot).is_err());
}

#[test]
fn golden_welcome_and_input() {
    let m = Message::Welcome {
        version: 1,
        rights: Rights::VIEW.union(Rights::CONTROL),
    };
    assert_eq!(m.encode(), [2, 0, 6, 0, 0, 0, 1, 0, 3, 0, 0, 0]);
    let m = Message::Input(InputEvent::PointerMove {
        x: 0x0102,
        y: 0x0304,
    });
    assert_eq!(m.encode(), [32, 0, 4, 0, 0, 0, 2, 1, 4, 3]);
    let m = Message::Input(InputEvent::Key {
        keysym: 0xff0d,
        down: true,
    });
    assert_eq!(m.encode(), [35, 0, 5, 0, 0, 0, 0x0d, 0xff, 0, 0, 1]);
    let m = Message::Input(InputEvent::Text("hé".into()));
    assert_eq!(
        m.encode(),
        [36, 0, 7, 0, 0, 0, 3, 0, 0, 0, b'h', 0xc3, 0xa9]
    );
}

#[test]
fn golden_frame_update() {
    let m = Message::FrameUpdate(FrameUpdate {
        seq: 9,
        width: 64,
        height: 32,
        last: true,
        tiles: vec![EncodedTile {
            x: 1,
            y: 2,
            w: 3,
            h: 4,
            encoding: 2,
            data: vec![10, 20, 30],
        }],
    });
    let expected: Vec<u8> = vec![
        16, 0, 29, 0, 0, 0, // id, len
        9, 0, 0, 0, 64, 0, 32, 0, 1, // seq, width, height, last
        1, 0, 0, 0, // tile count
        1, 0, 2, 0, 3, 0, 4, 0, 2, 3, 0, 0, 0, 10, 20, 30,
    ];
    assert_eq!(m.encode(), expected);
    round_trip(m);
}

#[test]
fn every_message_round_trips() {
    for m in [
        Message::RightsChanged {
            rights: Rights::VIEW,
        },
        Message::Ping { nonce: u64::MAX },
        Message::Pong { nonce: 3 },
        Message::Error {
            code: ErrorCode::NotAllowed,
            text: "no".into(),
        },
        Message::Error {
            code: ErrorCode::Other(999),
            text: String::new(),
        },
        Message::End {
            reason: "customer ended".into(),
        },
        Message::RefreshRequest,
        Message::CursorShape {
            serial: 9,
            width: 2,
            height: 1,
            hot_x: 1,
            hot_y: 0,
            bgra: vec![1, 2, 3, 255, 0, 0, 0, 0],
        },
        Message::CursorPosition { x: 1919, y: 0 },
        Message::Input(InputEvent::PointerButton {
            button: Button::RIGHT,
            down: false,
        }),
        Message::Input(InputEvent::Wheel { dx: -1, dy: 3 }),
        Message::FileOffer {
            id: 7,
            name: "a.txt".into(),
            size: 1 << 40,
            sha256: [9; 32],
        },
        Message::FileAccept { id: 7, offset: 123 },
        Message::FileChunk {
            id: 7,
            offset: 5,
            data: vec![1, 2, 3],
        },
        Message::FileComplete { id: 7 },
        Message::FileFailed {
            id: 7,
            reason: "disk full".into(),
        },
        Message::FileFetch {
            id: 8,
            path: "docs/x".into(),
        },
        Message::ListDir {
            id: 9,
            path: String::new(),
        },
        Message::DirListing {
            id: 9,
            entries: vec![crate::files::DirEntry {
                name: "d".into(),
                is_dir: true,
                size: 0,
            }],
        },
    ] {
        round_trip(m);
    }
}

#[test]
fn unknown_ids_decode_to_a_value() {
    let bytes = [0xff, 0x7f, 2, 0, 0, 0, 0xaa, 0xbb];
    assert_eq!(
        Message::decode(&bytes),
        Ok(Message::Unknown {
            id: 0x7fff,
            payload: vec![0xaa, 0xbb]
        })
    );
    // and re-encode unchanged, so a relay could pass them on
    assert_eq!(
        Message::Unknown {
            id: 0x7fff,
            payload: vec![0xaa, 0xbb]
        }
        .encode(),
        bytes
    );
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    assert_eq!(Message::decode(&[1, 0]), Err(DecodeError::Truncated));
    assert_eq!(
        Message::decode(&[1, 0, 1, 0, 0, 0, 5]),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        Message::decode(&[8, 0, 1, 0, 0, 0, 5]),
        Err(DecodeError::Trailing)
    );
    assert_eq!(
        Message::decode(&[8, 0, 0, 0, 0, 0, 5]),
        Err(DecodeError::Trailing)
    );
    assert_eq!(
        Message::decode(&[1, 0, 0xff, 0xff, 0xff, 0x7f]),
        Err(DecodeError::TooLarge(0x7fff_ffff))
    );
    assert_eq!(
        Message::decode(&[33, 0, 2, 0, 0, 0, 1, 7]),
        Err(DecodeError::Invalid("boolean"))
    );
    // a tile count far beyond the payload must not allocate or loop
    let mut lie = Message::FrameUpdate(FrameUpdate {
        seq: 0,
        width: 1,
        height: 1,
        last: true,
        tiles: vec![],
    })
    .encode();
    lie[15..19].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(Message::decode(&lie), Err(DecodeError::Truncated));
    // invalid UTF-8 in text
    assert_eq!(
        Message::decode(&[36, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0xff]),
        Err(DecodeError::Invalid("utf-8 text"))
    );
}

#[test]
fn every_truncation_of_valid_messages_fails_cleanly() {
    let m = Message::FrameUpdate(FrameUpdate {
        seq: 1,
        width: 2,
        height: 3,
        last: false,
        tiles: vec![EncodedTile {
            x: 0,
            y: 0,
            w: 1,
            h: 1,
            encoding: 1,
            data: vec![1; 40],
        }],
    });
    let bytes = m.encode();
    for cut in 0..bytes.len() {
        assert!(Message::decode(&bytes[..cut]).is_err());
    }
}

#[test]
fn stream_splitting() {
    let a = Message::Ping { nonce: 1 }.encode();
    let mut buf = a.clone();
    buf.extend_from_slice(&a[..3]);
    assert_eq!(split_frame(&buf), Ok(Some(a.len())));
    assert_eq!(split_frame(&buf[a.len()..]), Ok(None));
}

#[test]
fn version_negotiation_picks_highest_common() {
    assert_eq!(negotiate_version((1, 3), (2, 5)), Some(3));
    assert_eq!(negotiate_version((1, 1), (1, 1)), Some(1));
    assert_eq!(negotiate_version((1, 1), (2, 3)), None);
}

#[test]
fn golden_file_chunk() {
    let m = Message::FileChunk {
        id: 1,
        offset: 2,
        data: vec![0xab],
    };
    assert_eq!(
        m.encode(),
        [
            66, 0, 17, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xab
        ]
    );
}

#[test]
fn golden_control_request() {
    let m = Message::ControlRequest;
    assert_eq!(m.encode(), [11, 0, 0, 0, 0, 0]);
    assert_eq!(Message::decode(&m.encode()), Ok(m));
}
