//! Headless front end for automation: commands as JSON lines on stdin, events as JSON lines
//! on stdout.
//!
//! Commands: `{"cmd":"move","x":10,"y":20}`, `{"cmd":"click","x":10,"y":20,"button":1}`,
//! `{"cmd":"button","button":1,"down":true}`, `{"cmd":"wheel","dy":1}`,
//! `{"cmd":"key","key":"Return"}` (a keysym name or one character; press and release),
//! `{"cmd":"keys","keys":["Control_L","Alt_L","Delete"]}` (a chord: pressed in order, released
//! in reverse),
//! `{"cmd":"type","text":"ls"}`, `{"cmd":"screenshot","path":"/tmp/s.png"}`,
//! `{"cmd":"refresh"}`, `{"cmd":"request_control"}` (ask the customer for control back), `{"cmd":"quit"}`,
//! `{"cmd":"clipboard","text":"…"}` or `{"cmd":"clipboard","png":"/path/a.png"}` (onto the
//! customer's clipboard).
//! Session management (host): `{"cmd":"invite_specialist","rights":"view"}`,
//! `{"cmd":"cancel_specialist","key":"123456789"}`, `{"cmd":"invite_rep","user":"bob","rights":"control","masked":true,"comment":"…"}`,
//! `{"cmd":"invite_portal","portal":"default","rights":"view"}`,
//! `{"cmd":"grant","attendee":3,"rights":"control"}`, `{"cmd":"revoke","attendee":3,"rights":"control"}`
//! (only the named rights change), `{"cmd":"remove","attendee":3}`, `{"cmd":"list_reps"}`; everyone: `{"cmd":"chat","text":"hi","reps_only":false}`;
//! invited representatives: `{"cmd":"accept","invitation":1}`, `{"cmd":"decline","invitation":1}`.
//!
//! Events: `{"event":"waiting"}`, `joined`, `consent`, `connected`, `rights`, `frame`,
//! `screenshot`, `refused`, `error`, `ended`, `clipboard` (what the customer copied: `kind`,
//! `bytes`, `sha256`, and `text` for text), and `{"event":"portal","type":…}` carrying the
//! portal's own message (roster, chat, invitation, specialist_invited, error…). Rights are
//! always a list of names, in every event: `"rights":["view","chat"]`, `"allowed":[]`.
//!
//! Input is always sent: the agent on the customer's machine decides, and a refusal comes
//! back as a `refused` event.

use serde::Deserialize;
use serde_json::json;
use tandem_protocol::clipboard::Clip;
use tandem_protocol::input::{Button, InputEvent, chord_by_names, keysym_by_name};
use tandem_protocol::signal::{ClientMessage, InviteTarget};
use tandem_protocol::{AttendeeId, Rights, SessionCode};
use tokio::sync::mpsc;

use crate::console;
use crate::session::{UiCommand, UiEvent};
use crate::stdin::{self, OnClose};
use tandem_transport::files::TransferEvent;

#[derive(Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
enum Command {
    Move {
        x: u16,
        y: u16,
    },
    Click {
        x: u16,
        y: u16,
        #[serde(default = "left")]
        button: u8,
    },
    Button {
        button: u8,
        down: bool,
    },
    Wheel {
        #[serde(default)]
        dx: i16,
        #[serde(default)]
        dy: i16,
    },
    Key {
        key: String,
    },
    Keys {
        keys: Vec<String>,
    },
    Type {
        text: String,
    },
    Screenshot {
        path: std::path::PathBuf,
    },
    Refresh,
    Quit,
    Chat {
        text: String,
        #[serde(default)]
        reps_only: bool,
    },
    InviteSpecialist {
        rights: String,
    },
    CancelSpecialist {
        key: SessionCode,
    },
    InviteRep {
        user: String,
        rights: String,
        #[serde(default)]
        masked: bool,
        #[serde(default)]
        comment: String,
    },
    InvitePortal {
        portal: String,
        rights: String,
        #[serde(default)]
        masked: bool,
        #[serde(default)]
        comment: String,
    },
    Grant {
        attendee: u32,
        rights: String,
    },
    Revoke {
        attendee: u32,
        rights: String,
    },
    Remove {
        attendee: u32,
    },
    ListReps,
    Accept {
        invitation: u64,
    },
    Decline {
        invitation: u64,
    },
    SendFile {
        path: std::path::PathBuf,
    },
    FetchFile {
        path: String,
    },
    ListDir {
        #[serde(default)]
        path: String,
    },
    CancelTransfer {
        id: u32,
    },
    Reboot,
    RequestControl,
    Clipboard {
        text: Option<String>,
        png: Option<std::path::PathBuf>,
    },
}

fn rights(words: &str) -> Result<Rights, String> {
    words.parse::<Rights>().map_err(|e| e.to_string())
}

fn portal(msg: ClientMessage) -> UiCommand {
    UiCommand::Portal(msg)
}

fn left() -> u8 {
    1
}

/// Turns one command line into session commands, or an error message.
fn parse(line: &str) -> Result<Vec<UiCommand>, String> {
    let cmd: Command = serde_json::from_str(line).map_err(|e| format!("bad command: {e}"))?;
    let input = |e| UiCommand::Input(e);
    Ok(match cmd {
        Command::Move { x, y } => vec![input(InputEvent::PointerMove { x, y })],
        Command::Click { x, y, button } => vec![
            input(InputEvent::PointerMove { x, y }),
            input(InputEvent::PointerButton {
                button: Button(button),
                down: true,
            }),
            input(InputEvent::PointerButton {
                button: Button(button),
                down: false,
            }),
        ],
        Command::Button { button, down } => vec![input(InputEvent::PointerButton {
            button: Button(button),
            down,
        })],
        Command::Wheel { dx, dy } => vec![input(InputEvent::Wheel { dx, dy })],
        Command::Key { key } => {
            let keysym = keysym_by_name(&key).ok_or_else(|| format!("unknown key '{key}'"))?;
            vec![
                input(InputEvent::Key { keysym, down: true }),
                input(InputEvent::Key {
                    keysym,
                    down: false,
                }),
            ]
        }
        Command::Keys { keys } => chord_by_names(&keys)?.into_iter().map(input).collect(),
        Command::Type { text } => vec![input(InputEvent::Text(text))],
        Command::Screenshot { path } => vec![UiCommand::Screenshot(path)],
        Command::Refresh => vec![UiCommand::Refresh],
        Command::Quit => vec![UiCommand::Leave],
        Command::Chat { text, reps_only } => vec![portal(ClientMessage::Chat { text, reps_only })],
        Command::InviteSpecialist { rights: r } => {
            vec![portal(ClientMessage::InviteSpecialist {
                rights: rights(&r)?,
            })]
        }
        Command::CancelSpecialist { key } => {
            vec![portal(ClientMessage::CancelSpecialistInvitation { key })]
        }
        Command::InviteRep {
            user,
            rights: r,
            masked,
            comment,
        } => vec![portal(ClientMessage::InviteReps {
            target: InviteTarget::Rep { user },
            rights: rights(&r)?,
            masked,
            comment,
        })],
        Command::InvitePortal {
            portal: p,
            rights: r,
            masked,
            comment,
        } => vec![portal(ClientMessage::InviteReps {
            target: InviteTarget::Portal { portal: p },
            rights: rights(&r)?,
            masked,
            comment,
        })],
        Command::Grant {
            attendee,
            rights: r,
        } => vec![portal(console::change_rights(
            "grant",
            AttendeeId::from_wire(attendee),
            &r,
        )?)],
        Command::Revoke {
            attendee,
            rights: r,
        } => vec![portal(console::change_rights(
            "revoke",
            AttendeeId::from_wire(attendee),
            &r,
        )?)],
        Command::Remove { attendee } => {
            vec![portal(ClientMessage::RemoveAttendee {
                attendee: AttendeeId::from_wire(attendee),
            })]
        }
        Command::ListReps => vec![portal(ClientMessage::ListReps)],
        Command::Accept { invitation } => {
            vec![portal(ClientMessage::AcceptInvitation { invitation })]
        }
        Command::Decline { invitation } => {
            vec![portal(ClientMessage::DeclineInvitation { invitation })]
        }
        Command::SendFile { path } => vec![UiCommand::SendFile(path)],
        Command::FetchFile { path } => vec![UiCommand::FetchFile(path)],
        Command::ListDir { path } => vec![UiCommand::ListDir(path)],
        Command::CancelTransfer { id } => vec![UiCommand::CancelTransfer(id)],
        Command::Reboot => vec![UiCommand::Reboot],
        Command::RequestControl => vec![UiCommand::RequestControl],
        Command::Clipboard { text, png } => {
            let clip = match (text, png) {
                (Some(text), None) => Clip::text(text),
                (None, Some(path)) => Clip::png(
                    std::fs::read(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                ),
                _ => return Err("clipboard: give either \"text\" or \"png\"".into()),
            };
            vec![UiCommand::Clipboard(clip.map_err(|e| e.to_string())?)]
        }
    })
}

/// Reads commands from stdin into `commands`; bad lines are reported on `events` while the
/// session still listens; closing stdin leaves the session.
pub fn spawn_stdin(
    commands: mpsc::UnboundedSender<UiCommand>,
    events: mpsc::WeakUnboundedSender<UiEvent>,
) {
    let report = move |e: String| {
        // Weak: the reader must not keep the event stream open after the session.
        if let Some(events) = events.upgrade() {
            let _ = events.send(UiEvent::Error(e));
        }
    };
    stdin::spawn_reader(
        "tandem-headless-stdin",
        parse,
        commands,
        report,
        OnClose::Leave,
    );
}

fn transfer_json(t: &TransferEvent) -> serde_json::Value {
    match t {
        TransferEvent::Progress { id, done, total } => {
            json!({"event": "transfer", "kind": "progress", "id": id, "done": done, "total": total})
        }
        TransferEvent::Completed { id, file, .. } => {
            json!({"event": "transfer", "kind": "completed", "id": id, "file": file})
        }
        TransferEvent::Failed { id, reason } => {
            json!({"event": "transfer", "kind": "failed", "id": id, "reason": reason})
        }
        TransferEvent::Listing { id, entries } => {
            let entries: Vec<_> = entries
                .iter()
                .map(|e| json!({"name": e.name, "dir": e.is_dir, "size": e.size}))
                .collect();
            json!({"event": "transfer", "kind": "listing", "id": id, "entries": entries})
        }
        other => json!({"event": "transfer", "kind": "other", "detail": format!("{other:?}")}),
    }
}

/// Rights as the list of their names (`[]` for none): the one shape every event uses.
fn rights_json(r: Rights) -> serde_json::Value {
    let described = r.describe();
    let names: Vec<&str> = if r == Rights::NONE {
        Vec::new()
    } else {
        described.split('+').collect()
    };
    json!(names)
}

/// Fields of portal messages that hold [`Rights`] (serialised as wire bits there).
const RIGHTS_FIELDS: [&str; 2] = ["rights", "allowed"];

/// Rewrites every rights field of a portal message's JSON, at any depth (roster entries,
/// invitations, grants), from wire bits to names.
fn name_rights(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(obj) => {
            for (key, field) in obj.iter_mut() {
                match field.as_u64().and_then(|b| u32::try_from(b).ok()) {
                    Some(bits) if RIGHTS_FIELDS.contains(&key.as_str()) => {
                        *field = rights_json(Rights::from_wire(bits));
                    }
                    _ => name_rights(field),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(name_rights),
        _ => {}
    }
}

/// The JSON line for an event.
pub fn event_json(ev: &UiEvent) -> serde_json::Value {
    match ev {
        UiEvent::Waiting => json!({"event": "waiting"}),
        UiEvent::Joined { session, customer } => {
            json!({"event": "joined", "session": session, "customer": customer})
        }
        UiEvent::Consent(r) => json!({"event": "consent", "allowed": rights_json(*r)}),
        UiEvent::Connected(r) => json!({"event": "connected", "rights": rights_json(*r)}),
        UiEvent::Path(p) => {
            json!({"event": "path", "path": p.as_str(), "description": p.describe()})
        }
        UiEvent::Rights(r) => json!({"event": "rights", "rights": rights_json(*r)}),
        UiEvent::Cursor { x, y } => json!({"event": "cursor", "x": x, "y": y}),
        UiEvent::CursorShape(c) => {
            json!({"event": "cursor_shape", "width": c.width, "height": c.height, "hot_x": c.hot_x, "hot_y": c.hot_y})
        }
        UiEvent::Frame {
            seq,
            width,
            height,
            bytes,
            ..
        } => {
            json!({"event": "frame", "seq": seq, "width": width, "height": height, "bytes": bytes})
        }
        UiEvent::Screenshot { path, seq } => {
            json!({"event": "screenshot", "path": path, "seq": seq})
        }
        UiEvent::Refused(m) => json!({"event": "refused", "message": m}),
        UiEvent::Error(m) => json!({"event": "error", "message": m}),
        UiEvent::Ended(r) => json!({"event": "ended", "reason": r}),
        UiEvent::Transfer(t) => transfer_json(t),
        UiEvent::Rebooting => json!({"event": "rebooting"}),
        UiEvent::Clipboard(clip) => {
            let digest = ring::digest::digest(&ring::digest::SHA256, clip.bytes());
            let sha256: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
            let mut v =
                json!({"event": "clipboard", "bytes": clip.bytes().len(), "sha256": sha256});
            match clip {
                Clip::Text(t) => {
                    v["kind"] = json!("text");
                    v["text"] = json!(t);
                }
                Clip::Png(_) => v["kind"] = json!("png"),
            }
            v
        }
        UiEvent::Reconnecting(why) => json!({"event": "reconnecting", "reason": why}),
        UiEvent::Reconnected => json!({"event": "reconnected"}),
        UiEvent::Portal(msg) => {
            // The portal's own JSON ({"type": "roster", …}) tagged as a portal event.
            let mut v = serde_json::to_value(msg).unwrap_or_else(|_| json!({}));
            name_rights(&mut v);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("event".into(), json!("portal"));
            }
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_into_input() {
        let c = parse(r#"{"cmd":"click","x":3,"y":4}"#).expect("parses");
        assert_eq!(c.len(), 3);
        assert!(matches!(
            c[1],
            UiCommand::Input(InputEvent::PointerButton {
                button: Button(1),
                down: true
            })
        ));
        let k = parse(r#"{"cmd":"key","key":"Return"}"#).expect("parses");
        assert!(matches!(
            k[0],
            UiCommand::Input(InputEvent::Key {
                keysym: 0xff0d,
                down: true
            })
        ));
        assert!(parse(r#"{"cmd":"key","key":"NoSuchKey"}"#).is_err());
        assert!(parse(r#"{"cmd":"format"}"#).is_err());
        assert!(parse(r#"{"cmd":"invite_specialist","rights":"root"}"#).is_err());
        assert!(parse("not json").is_err());
    }

    #[test]
    fn grant_and_revoke_change_only_the_named_rights() {
        let r = parse(r#"{"cmd":"grant","attendee":3,"rights":"control"}"#).expect("parses");
        assert!(
            matches!(&r[..], [UiCommand::Portal(ClientMessage::ChangeRights { attendee, grant, revoke })]
                if attendee.to_wire() == 3 && *grant == Rights::CONTROL && *revoke == Rights::NONE),
            "{r:?}"
        );
        let r = parse(r#"{"cmd":"revoke","attendee":3,"rights":"control+files"}"#).expect("parses");
        assert!(
            matches!(&r[..], [UiCommand::Portal(ClientMessage::ChangeRights { grant, revoke, .. })]
                if *grant == Rights::NONE && *revoke == Rights::CONTROL.union(Rights::FILES)),
            "{r:?}"
        );
        // The old whole-set command is gone: it dropped every right it did not name.
        assert!(parse(r#"{"cmd":"set_rights","attendee":3,"rights":"view"}"#).is_err());
    }

    /// Every rights value anywhere in the JSON: each must be a list of names.
    fn rights_values(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Object(obj) => {
                for (k, f) in obj {
                    if RIGHTS_FIELDS.contains(&k.as_str()) {
                        out.push(f.clone());
                    } else {
                        rights_values(f, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| rights_values(i, out)),
            _ => {}
        }
    }

    #[test]
    fn every_event_shows_rights_as_names() {
        use tandem_protocol::signal::{
            AttendeeInfo, PortalMessage, RepInvitation, SpecialistInvitation,
        };
        use tandem_protocol::{Role, SessionCode};
        let view_chat = Rights::VIEW.union(Rights::CHAT);
        let sam = AttendeeInfo {
            id: AttendeeId::from_wire(3),
            name: "Sam".into(),
            role: Role::Specialist,
            rights: view_chat,
            masked: false,
        };
        let key: SessionCode = "123456789".parse().expect("a key");
        let portal = |m| UiEvent::Portal(m);
        let events = [
            UiEvent::Connected(Rights::HOST_DEFAULT),
            UiEvent::Rights(view_chat),
            UiEvent::Consent(Rights::NONE),
            portal(PortalMessage::Joined {
                session: 1,
                you: sam.id,
                customer: "Alice".into(),
                rights: view_chat,
                seat_token: None,
            }),
            portal(PortalMessage::AttendeeJoined(sam.clone())),
            portal(PortalMessage::Roster {
                attendees: vec![sam.clone()],
            }),
            portal(PortalMessage::Consent {
                attendee: sam.id,
                allowed: Rights::VIEW,
            }),
            portal(PortalMessage::Grant {
                attendee: sam.id,
                rights: view_chat,
                seq: 1,
            }),
            portal(PortalMessage::Invitation(RepInvitation {
                id: 1,
                session: 1,
                host: "Bob".into(),
                customer: "Alice".into(),
                rights: view_chat,
                masked: false,
                comment: String::new(),
            })),
            portal(PortalMessage::SpecialistInvited(SpecialistInvitation {
                key,
                join_url: "https://portal/join/123456789".into(),
                email: "Dear Sam".into(),
                rights: view_chat,
            })),
        ];
        for ev in &events {
            let v = event_json(ev);
            let mut found = Vec::new();
            rights_values(&v, &mut found);
            assert!(!found.is_empty(), "no rights in {v}");
            for r in found {
                let names = r.as_array().unwrap_or_else(|| panic!("not a list: {v}"));
                assert!(
                    names
                        .iter()
                        .all(|n| n.as_str().is_some_and(|n| n.parse::<Rights>().is_ok())),
                    "{v}"
                );
            }
        }
        assert_eq!(
            event_json(&events[4])["rights"],
            json!(["view", "chat"]),
            "the roster entry keeps its other fields"
        );
        assert_eq!(
            event_json(&events[5])["attendees"][0]["rights"],
            json!(["view", "chat"])
        );
        assert_eq!(event_json(&events[5])["attendees"][0]["id"], json!(3));
        assert_eq!(event_json(&events[2])["allowed"], json!([]));
        assert_eq!(
            event_json(&events[0])["rights"],
            json!(["view", "control", "chat", "files", "reboot", "clipboard"])
        );
    }
}
