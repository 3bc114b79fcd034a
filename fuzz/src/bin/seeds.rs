//! Writes the seed corpus (`fuzz/corpus/<target>/`): small valid inputs built with the
//! protocol's own encoders, so the fuzzer starts from messages, tiles and operation
//! sequences that get deep instead of from random bytes.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --bin seeds` (any toolchain); rerun after a
//! wire format change and commit the result. Seeds are named for what they hold; the files
//! libFuzzer adds are named by hash.

use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use tandem_fuzz::agent_model::{self, Input, Op, RoleSel, Versions, Who};
use tandem_protocol::files::DirEntry;
use tandem_protocol::ids::{AttendeeId, Rights};
use tandem_protocol::input::{Button, InputEvent};
use tandem_protocol::lossy::JpegEncoder;
use tandem_protocol::tiles::{FrameRef, Rect, TileEncoder, TileEncoding, chunk_update};
use tandem_protocol::wire::{EncodedTile, ErrorCode, FrameUpdate, Message};

/// The screen the `viewer_updates` harness announces before the fuzzer's frames.
const SCREEN: (u16, u16) = (96, 64);

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    wire_decode(&root.join("wire_decode"));
    viewer_updates(&root.join("viewer_updates"));
    tile_decode(&root.join("tile_decode"));
    file_names(&root.join("file_names"));
    signal_json(&root.join("signal_json"));
    agent_rights(&root.join("agent_rights"));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("corpus folder");
    std::fs::write(dir.join(name), bytes).expect("seed written");
    println!("{:>6} bytes  {}/{name}", bytes.len(), dir.display());
}

/// A smooth picture: compresses well (small seeds) but is not a solid colour.
fn picture(w: u16, h: u16, shift: u8) -> Vec<u8> {
    let mut px = Vec::with_capacity(usize::from(w) * usize::from(h) * 4);
    for y in 0..h {
        for x in 0..w {
            let (x, y) = (x as u8, y as u8);
            px.extend_from_slice(&[x.wrapping_add(shift), y / 8, 0x80, 0]);
        }
    }
    px
}

fn solid(x: u16, y: u16, w: u16, h: u16, bgr: [u8; 3]) -> EncodedTile {
    EncodedTile {
        x,
        y,
        w,
        h,
        encoding: TileEncoding::Solid as u8,
        data: bgr.to_vec(),
    }
}

fn copy(rect: Rect, src_y: u16) -> EncodedTile {
    let mut data = rect.x.to_le_bytes().to_vec();
    data.extend_from_slice(&src_y.to_le_bytes());
    EncodedTile {
        x: rect.x,
        y: rect.y,
        w: rect.w,
        h: rect.h,
        encoding: TileEncoding::Copy as u8,
        data,
    }
}

fn jpeg(px: &[u8], screen_w: u16, rect: Rect) -> EncodedTile {
    let mut enc = JpegEncoder::new(50).expect("jpeg codec");
    let data = enc
        .encode(px, usize::from(screen_w) * 4, rect)
        .expect("jpeg encodes");
    EncodedTile {
        x: rect.x,
        y: rect.y,
        w: rect.w,
        h: rect.h,
        encoding: TileEncoding::Jpeg as u8,
        data,
    }
}

/// Every tile of a picture as the agent's encoder sends it (zstd tiles).
fn keyframe(w: u16, h: u16, shift: u8) -> Vec<EncodedTile> {
    let px = picture(w, h, shift);
    TileEncoder::new()
        .encode(FrameRef::packed(w, h, &px), None)
        .expect("encodes")
}

fn update(seq: u32, size: (u16, u16), last: bool, tiles: Vec<EncodedTile>) -> Message {
    Message::FrameUpdate(FrameUpdate {
        seq,
        width: size.0,
        height: size.1,
        last,
        tiles,
    })
}

fn one_of_each() -> Vec<(&'static str, Message)> {
    vec![
        (
            "hello",
            Message::Hello {
                version_min: 1,
                version_max: 1,
                attendee: AttendeeId::HOST,
            },
        ),
        (
            "welcome",
            Message::Welcome {
                version: 1,
                rights: Rights::HOST_DEFAULT,
            },
        ),
        (
            "rights_changed",
            Message::RightsChanged {
                rights: Rights::VIEW,
            },
        ),
        ("ping", Message::Ping { nonce: 7 }),
        ("pong", Message::Pong { nonce: 7 }),
        (
            "error",
            Message::Error {
                code: ErrorCode::NotAllowed,
                text: "no".into(),
            },
        ),
        (
            "end",
            Message::End {
                reason: "bye".into(),
            },
        ),
        ("refresh_request", Message::RefreshRequest),
        ("reboot_request", Message::RebootRequest),
        ("rebooting", Message::Rebooting),
        (
            "frame_update",
            update(
                1,
                (64, 32),
                true,
                vec![
                    solid(0, 0, 32, 32, [1, 2, 3]),
                    solid(32, 0, 32, 32, [4, 5, 6]),
                ],
            ),
        ),
        (
            "cursor_shape",
            Message::CursorShape {
                serial: 1,
                width: 2,
                height: 2,
                hot_x: 1,
                hot_y: 0,
                bgra: vec![255; 16],
            },
        ),
        ("cursor_position", Message::CursorPosition { x: 10, y: 20 }),
        (
            "pointer_move",
            Message::Input(InputEvent::PointerMove { x: 5, y: 6 }),
        ),
        (
            "pointer_button",
            Message::Input(InputEvent::PointerButton {
                button: Button::LEFT,
                down: true,
            }),
        ),
        ("wheel", Message::Input(InputEvent::Wheel { dx: 0, dy: -1 })),
        (
            "key",
            Message::Input(InputEvent::Key {
                keysym: 0xff0d,
                down: true,
            }),
        ),
        ("text", Message::Input(InputEvent::Text("héllo".into()))),
        (
            "file_offer",
            Message::FileOffer {
                id: 1,
                name: "report.pdf".into(),
                size: 1234,
                sha256: [0xab; 32],
            },
        ),
        ("file_accept", Message::FileAccept { id: 1, offset: 0 }),
        (
            "file_chunk",
            Message::FileChunk {
                id: 1,
                offset: 0,
                data: b"abc".to_vec(),
            },
        ),
        ("file_complete", Message::FileComplete { id: 1 }),
        (
            "file_failed",
            Message::FileFailed {
                id: 1,
                reason: "disk full".into(),
            },
        ),
        (
            "file_fetch",
            Message::FileFetch {
                id: 2,
                path: "docs/a.txt".into(),
            },
        ),
        (
            "list_dir",
            Message::ListDir {
                id: 3,
                path: "docs".into(),
            },
        ),
        (
            "clipboard",
            Message::Clipboard(tandem_protocol::clipboard::ClipChunk {
                serial: 1,
                format: tandem_protocol::clipboard::ClipFormat::Png,
                total: 9,
                offset: 0,
                data: vec![0x89, b'P', b'N', b'G'],
            }),
        ),
        (
            "dir_listing",
            Message::DirListing {
                id: 3,
                entries: vec![
                    DirEntry {
                        name: "a.txt".into(),
                        is_dir: false,
                        size: 3,
                    },
                    DirEntry {
                        name: "sub".into(),
                        is_dir: true,
                        size: 0,
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

fn wire_decode(dir: &Path) {
    let all = one_of_each();
    for (name, msg) in &all {
        write(dir, &format!("{:03}-{name}", msg.id()), &msg.encode());
    }
    // Several frames back to back, as on a byte stream.
    let stream: Vec<u8> = all.iter().take(8).flat_map(|(_, m)| m.encode()).collect();
    write(dir, "stream", &stream);
}

fn frames(messages: &[Message]) -> Vec<u8> {
    messages.iter().flat_map(Message::encode).collect()
}

fn viewer_updates(dir: &Path) {
    let (w, h) = SCREEN;
    // A whole screen of zstd tiles, chunked as the agent does.
    let key: Vec<Message> = chunk_update(2, SCREEN, keyframe(w, h, 0))
        .into_iter()
        .map(Message::FrameUpdate)
        .collect();
    write(dir, "keyframe", &frames(&key));

    // Scrolling: a copy first, then the new rows as a solid tile.
    let band = Rect {
        x: 0,
        y: 0,
        w,
        h: 48,
    };
    let scroll = update(
        3,
        SCREEN,
        true,
        vec![copy(band, 16), solid(0, 48, w, 16, [9, 9, 9])],
    );
    write(dir, "scroll", &frames(&[scroll]));

    // Moving content as JPEG.
    let px = picture(w, h, 3);
    let rect = Rect {
        x: 16,
        y: 8,
        w: 48,
        h: 40,
    };
    write(
        dir,
        "jpeg",
        &frames(&[update(4, SCREEN, true, vec![jpeg(&px, w, rect)])]),
    );

    // One update in two chunks, then an abandoned one replaced by a newer update.
    let chunked = [
        update(5, SCREEN, false, vec![solid(0, 0, 64, 64, [1, 1, 1])]),
        update(5, SCREEN, true, vec![solid(64, 0, 32, 64, [2, 2, 2])]),
        update(6, SCREEN, false, vec![solid(0, 0, 8, 8, [3, 3, 3])]),
        update(7, SCREEN, true, vec![solid(8, 8, 8, 8, [4, 4, 4])]),
    ];
    write(dir, "chunks", &frames(&chunked));

    // The screen changes size.
    let resized = update(8, (128, 80), true, vec![solid(0, 0, 128, 80, [5, 6, 7])]);
    write(dir, "resize", &frames(&[resized]));

    // A 65535×65535 screen: once made the viewer allocate 17 GB; now refused unallocated.
    let huge = update(
        9,
        (u16::MAX, u16::MAX),
        true,
        vec![solid(0, 0, 1, 1, [1, 2, 3])],
    );
    write(dir, "huge_screen", &frames(&[huge]));

    // Everything else an agent may say, ending the session.
    let control: Vec<Message> = one_of_each()
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "frame_update" | "end"))
        .map(|(_, m)| m)
        .chain([Message::End {
            reason: "customer ended".into(),
        }])
        .collect();
    write(dir, "control", &frames(&control));
}

/// `tile_decode`'s layout: screen size, rectangle, encoding, then the data.
fn tile_input(screen: (u16, u16), t: &EncodedTile) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [screen.0, screen.1, t.x, t.y, t.w, t.h] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(t.encoding);
    out.extend_from_slice(&t.data);
    out
}

fn tile_decode(dir: &Path) {
    let screen = (100, 70); // not multiples of the tile size
    write(
        dir,
        "solid",
        &tile_input(screen, &solid(10, 5, 40, 30, [1, 2, 3])),
    );
    let zstd = keyframe(screen.0, screen.1, 1);
    let edge = zstd.last().expect("tiles"); // the odd-sized corner tile
    write(dir, "zstd", &tile_input(screen, &zstd[0]));
    write(dir, "zstd_edge", &tile_input(screen, edge));
    let band = Rect {
        x: 4,
        y: 20,
        w: 64,
        h: 30,
    };
    write(dir, "copy_down", &tile_input(screen, &copy(band, 2)));
    write(
        dir,
        "copy_up",
        &tile_input(screen, &copy(Rect { y: 0, ..band }, 30)),
    );
    let px = picture(screen.0, screen.1, 5);
    let rect = Rect {
        x: 20,
        y: 10,
        w: 33,
        h: 17,
    };
    write(dir, "jpeg", &tile_input(screen, &jpeg(&px, screen.0, rect)));
}

fn file_names(dir: &Path) {
    let names = [
        ("name", "report.pdf"),
        ("unicode", "Grüße €.txt"),
        ("dotfile", ".bashrc"),
        ("path", "docs/2024/report.pdf"),
        ("path_dots", "docs//2024/./report.pdf"),
        ("traversal", "a/../../b"),
        ("absolute", "/etc/passwd"),
        ("drive", "C:evil"),
        ("backslash", "a\\b"),
        ("control", "line\nbreak"),
    ];
    for (file, name) in names {
        write(dir, file, name.as_bytes());
    }
}

/// Written out rather than serialised from the types, so the seeds (and this program) do
/// not break when a message gains a field; the golden tests in `signal.rs` pin the shapes.
fn signal_json(dir: &Path) {
    let seeds = [
        (
            "client-hello",
            r#"{"type":"hello","version":1,"client":"tandem-agent 0.1.0"}"#,
        ),
        (
            "client-login",
            r#"{"type":"login","user":"bob","password":"pw","portal":null}"#,
        ),
        (
            "client-invite_reps",
            r#"{"type":"invite_reps","target":{"kind":"rep","user":"carol"},"rights":1,"masked":true,"comment":"look"}"#,
        ),
        (
            "client-redeem",
            r#"{"type":"redeem","code":"012345678","customer":"alice@pc"}"#,
        ),
        (
            "client-signal",
            r#"{"type":"signal","to":2,"payload":{"kind":"offer","sdp":"v=0"}}"#,
        ),
        (
            "client-consent",
            r#"{"type":"consent","attendee":2,"allowed":3}"#,
        ),
        (
            "client-chat",
            r#"{"type":"chat","text":"hi","reps_only":false}"#,
        ),
        (
            "portal-redeemed",
            r#"{"type":"redeemed","session":4,"you":1,"host":{"id":2,"name":"Bob Smith","role":"host","rights":31,"masked":false},"resume_secret":"s"}"#,
        ),
        (
            "portal-attendee_joined",
            r#"{"type":"attendee_joined","id":3,"name":"Sam","role":"specialist","rights":1}"#,
        ),
        (
            "portal-grant",
            r#"{"type":"grant","attendee":2,"rights":1,"seq":2}"#,
        ),
        (
            "portal-codes",
            r#"{"type":"codes","codes":[{"code":"012345678","customer":"Alice","portal":"default","expires_in_secs":600,"join_url":"https://help.example.com/join/012345678","invitation":"Dear Alice"}]}"#,
        ),
        (
            "portal-signal_relay",
            r#"{"type":"signal","from":1,"payload":{"kind":"relay","token":"t"}}"#,
        ),
        (
            "portal-error",
            r#"{"type":"error","kind":"code_expired","message":"expired"}"#,
        ),
    ];
    for (name, text) in seeds {
        write(dir, name, text.as_bytes());
    }
}

/// Bytes that `arbitrary` turns back into `ops` (its format: a "keep going" byte before each
/// element, enum variants as a u32 scaled to the variant count, integers little-endian,
/// bools as the low bit). Checked below by decoding them again.
#[derive(Default)]
struct ArbitraryBytes(Vec<u8>);

impl ArbitraryBytes {
    fn variant(&mut self, index: u64, count: u64) -> &mut Self {
        // The smallest u32 that `(x * count) >> 32` maps to `index`.
        let x = ((index << 32).div_ceil(count)) as u32;
        self.0.extend_from_slice(&x.to_le_bytes());
        self
    }
    fn byte(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn op(&mut self, op: &Op) {
        self.byte(1); // keep going
        match op {
            Op::Join { who, role, granted } => {
                self.variant(0, 10)
                    .who(*who)
                    .variant(*role as u64, 4)
                    .byte(*granted);
            }
            Op::Leave { who } => {
                self.variant(1, 10).who(*who);
            }
            Op::Grant { who, granted, seq } => {
                self.variant(2, 10).who(*who).byte(*granted).byte(*seq);
            }
            Op::Consent { who, view, control } => {
                self.variant(3, 10)
                    .who(*who)
                    .byte(u8::from(*view))
                    .byte(u8::from(*control));
            }
            Op::RevokeAllControl => {
                self.variant(4, 10);
            }
            Op::Hello {
                who,
                claimed,
                versions,
            } => {
                self.variant(5, 10).who(*who).who(*claimed);
                match versions {
                    Versions::Ours => self.variant(0, 2),
                    Versions::Range(a, b) => self.variant(1, 2).u16(*a).u16(*b),
                };
            }
            Op::Input { who, input } => {
                self.variant(6, 10).who(*who);
                match input {
                    Input::Move { x, y } => self.variant(0, 5).u16(*x).u16(*y),
                    Input::Button { button, down } => {
                        self.variant(1, 5).byte(*button).byte(u8::from(*down))
                    }
                    // The seed writer encodes only what its seeds use.
                    _ => panic!("the seed writer encodes only fixed-size inputs"),
                };
            }
            Op::End { who } => {
                self.variant(7, 10).who(*who);
            }
            Op::Wait { secs } => {
                self.variant(9, 10).byte(*secs);
            }
            Op::Datagram { .. } => panic!("the seed writer encodes only fixed-size operations"),
        }
    }
    fn who(&mut self, who: Who) -> &mut Self {
        self.byte(who.0)
    }
}

fn agent_rights(dir: &Path) {
    let (customer, host, rep, specialist) = (Who(0), Who(1), Who(2), Who(3));
    let all = Rights::HOST_DEFAULT.to_wire() as u8;
    let view = Rights::VIEW.to_wire() as u8;
    let view_control = Rights::VIEW.union(Rights::CONTROL).to_wire() as u8;
    let join = |who, role, granted| Op::Join { who, role, granted };
    let consent = |who, view, control| Op::Consent { who, view, control };
    let hello = |who| Op::Hello {
        who,
        claimed: who,
        versions: Versions::Ours,
    };
    let mv = |who, x| Op::Input {
        who,
        input: Input::Move { x, y: 7 },
    };
    let click = |who| Op::Input {
        who,
        input: Input::Button {
            button: 1,
            down: true,
        },
    };

    let scenarios: Vec<(&str, Vec<Op>)> = vec![
        (
            "host_controls",
            vec![
                join(host, RoleSel::Host, all),
                consent(host, true, true),
                hello(host),
                mv(host, 1),
                click(host),
            ],
        ),
        (
            "revoke_and_consent_again",
            vec![
                join(host, RoleSel::Host, all),
                hello(host),
                consent(host, true, true),
                mv(host, 1),
                Op::RevokeAllControl,
                mv(host, 2),
                consent(host, true, true),
                mv(host, 3),
            ],
        ),
        (
            "customer_seat_never_injects",
            vec![
                join(customer, RoleSel::Customer, all),
                consent(customer, true, true),
                hello(customer),
                mv(customer, 1),
            ],
        ),
        (
            "grants_and_replay",
            vec![
                join(rep, RoleSel::Representative, view),
                consent(rep, true, true),
                hello(rep),
                mv(rep, 1),
                Op::Grant {
                    who: rep,
                    granted: view_control,
                    seq: 1,
                },
                mv(rep, 2),
                Op::Grant {
                    who: rep,
                    granted: view,
                    seq: 1,
                },
                mv(rep, 3),
                Op::Grant {
                    who: rep,
                    granted: view,
                    seq: 2,
                },
                mv(rep, 4),
            ],
        ),
        (
            "timeouts",
            vec![
                join(specialist, RoleSel::Specialist, view_control),
                Op::Wait { secs: 16 },
                join(specialist, RoleSel::Specialist, view_control),
                hello(specialist),
                consent(specialist, true, true),
                Op::Wait { secs: 10 },
                mv(specialist, 1),
                Op::Wait { secs: 25 },
                mv(specialist, 2),
            ],
        ),
        (
            "wrong_hello",
            vec![
                join(host, RoleSel::Host, all),
                consent(host, true, true),
                Op::Hello {
                    who: host,
                    claimed: rep,
                    versions: Versions::Ours,
                },
                mv(host, 1),
                Op::Hello {
                    who: host,
                    claimed: host,
                    versions: Versions::Range(2, 5),
                },
                mv(host, 2),
                join(host, RoleSel::Host, all),
                hello(host),
                consent(host, true, false),
                click(host),
                Op::End { who: host },
                click(host),
            ],
        ),
    ];
    for (name, ops) in scenarios {
        let mut bytes = ArbitraryBytes::default();
        ops.iter().for_each(|op| bytes.op(op));
        let decoded =
            Vec::<Op>::arbitrary_take_rest(Unstructured::new(&bytes.0)).expect("seed decodes");
        assert_eq!(
            format!("{decoded:?}"),
            format!("{ops:?}"),
            "arbitrary's format changed: update ArbitraryBytes"
        );
        let stats = agent_model::run(&ops);
        println!("        {name}: {stats:?}");
        write(dir, name, &bytes.0);
    }
}
