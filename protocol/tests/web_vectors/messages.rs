//! The golden messages of `web/test/vectors/messages.bin` (see `web_vectors.rs` for the
//! format): one of every message the web viewer sends or receives besides screen updates.

use tandem_protocol::input::{Button, InputEvent};
use tandem_protocol::wire::{ErrorCode, Message};
use tandem_protocol::{AttendeeId, Rights};

use super::VERSION;

/// One of every message the web viewer sends or receives (besides screen updates).
fn messages() -> Vec<(&'static str, Message)> {
    let input = |ev| Message::Input(ev);
    let bgra: Vec<u8> = (0..3 * 2 * 4).map(|i| (i * 11) as u8).collect();
    vec![
        (
            "hello",
            Message::Hello {
                version_min: 1,
                version_max: 1,
                attendee: AttendeeId::from_wire(7),
            },
        ),
        (
            "welcome",
            Message::Welcome {
                version: 1,
                rights: Rights::VIEW.union(Rights::CONTROL).union(Rights::CHAT),
            },
        ),
        (
            "rights_changed",
            Message::RightsChanged {
                rights: Rights::VIEW,
            },
        ),
        (
            "ping",
            Message::Ping {
                nonce: 0x0123_4567_89ab_cdef,
            },
        ),
        (
            "pong",
            Message::Pong {
                nonce: 0xfedc_ba98_7654_3210,
            },
        ),
        (
            "error",
            Message::Error {
                code: ErrorCode::NotAllowed,
                text: "Nicht erlaubt — ✓".into(),
            },
        ),
        (
            "end",
            Message::End {
                reason: "Sitzung beendet 👋".into(),
            },
        ),
        ("refresh_request", Message::RefreshRequest),
        ("reboot_request", Message::RebootRequest),
        ("rebooting", Message::Rebooting),
        ("control_request", Message::ControlRequest),
        (
            "cursor_shape",
            Message::CursorShape {
                serial: 42,
                width: 3,
                height: 2,
                hot_x: 1,
                hot_y: 1,
                bgra,
            },
        ),
        (
            "cursor_position",
            Message::CursorPosition { x: 199, y: 135 },
        ),
        (
            "pointer_move",
            input(InputEvent::PointerMove { x: 1919, y: 1079 }),
        ),
        (
            "pointer_button",
            input(InputEvent::PointerButton {
                button: Button::RIGHT,
                down: true,
            }),
        ),
        ("wheel", input(InputEvent::Wheel { dx: -2, dy: 1 })),
        (
            "key",
            input(InputEvent::Key {
                keysym: 0xff0d,
                down: false,
            }),
        ),
        (
            "key_unicode",
            input(InputEvent::Key {
                keysym: 0x0100_263a,
                down: true,
            }),
        ),
        ("text", input(InputEvent::Text("Grüße ☺".into()))),
        (
            "file_offer",
            Message::FileOffer {
                id: 5,
                name: "Bericht ü.pdf".into(),
                size: 70_000,
                sha256: std::array::from_fn(|i| i as u8),
            },
        ),
        (
            "file_accept",
            Message::FileAccept {
                id: 5,
                offset: 61_440,
            },
        ),
        (
            "file_chunk",
            Message::FileChunk {
                id: 5,
                offset: 61_440,
                data: vec![9, 8, 7],
            },
        ),
        ("file_complete", Message::FileComplete { id: 5 }),
        (
            "file_failed",
            Message::FileFailed {
                id: 6,
                reason: "disk full".into(),
            },
        ),
        (
            "file_fetch",
            Message::FileFetch {
                id: 7,
                path: "logs/app.log".into(),
            },
        ),
        (
            "list_dir",
            Message::ListDir {
                id: 8,
                path: String::new(),
            },
        ),
        (
            "clipboard",
            Message::Clipboard(tandem_protocol::clipboard::ClipChunk {
                serial: 4,
                format: tandem_protocol::clipboard::ClipFormat::Text,
                total: 5,
                offset: 3,
                data: b"lo".to_vec(),
            }),
        ),
        (
            "dir_listing",
            Message::DirListing {
                id: 8,
                entries: vec![
                    tandem_protocol::files::DirEntry {
                        name: "logs".into(),
                        is_dir: true,
                        size: 0,
                    },
                    tandem_protocol::files::DirEntry {
                        name: "report.txt".into(),
                        is_dir: false,
                        size: 1234,
                    },
                ],
            },
        ),
        (
            "unknown",
            Message::Unknown {
                id: 999,
                payload: vec![1, 2, 3],
            },
        ),
    ]
}

pub(crate) fn messages_file() -> Vec<u8> {
    let list = messages();
    let mut file = b"TMSG".to_vec();
    file.extend_from_slice(&VERSION.to_le_bytes());
    file.extend_from_slice(&(list.len() as u32).to_le_bytes());
    for (name, msg) in list {
        let bytes = msg.encode();
        assert_eq!(Message::decode(&bytes), Ok(msg), "{name} round-trips");
        file.extend_from_slice(&(name.len() as u16).to_le_bytes());
        file.extend_from_slice(name.as_bytes());
        file.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        file.extend_from_slice(&bytes);
    }
    file
}
