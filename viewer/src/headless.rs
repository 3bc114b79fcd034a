//! Headless front end for automation: commands as JSON lines on stdin, events as JSON lines
//! on stdout.
//!
//! Commands: `{"cmd":"move","x":10,"y":20}`, `{"cmd":"click","x":10,"y":20,"button":1}`,
//! `{"cmd":"button","button":1,"down":true}`, `{"cmd":"wheel","dy":1}`,
//! `{"cmd":"key","key":"Return"}` (a keysym name or one character; press and release),
//! `{"cmd":"type","text":"ls"}`, `{"cmd":"screenshot","path":"/tmp/s.png"}`,
//! `{"cmd":"refresh"}`, `{"cmd":"quit"}`.
//! Events: `{"event":"waiting"}`, `joined`, `consent`, `connected`, `rights`, `frame`,
//! `screenshot`, `refused`, `error`, `ended`.

use serde::Deserialize;
use serde_json::json;
use tandem_protocol::input::{Button, InputEvent, keysym_by_name};
use tokio::sync::mpsc;

use crate::session::{UiCommand, UiEvent};

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
    Type {
        text: String,
    },
    Screenshot {
        path: std::path::PathBuf,
    },
    Refresh,
    Quit,
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
        Command::Type { text } => vec![input(InputEvent::Text(text))],
        Command::Screenshot { path } => vec![UiCommand::Screenshot(path)],
        Command::Refresh => vec![UiCommand::Refresh],
        Command::Quit => vec![UiCommand::Leave],
    })
}

/// Reads commands from stdin (on a thread: stdin is blocking) into `commands`.
pub fn spawn_stdin(
    commands: mpsc::UnboundedSender<UiCommand>,
    events: mpsc::UnboundedSender<UiEvent>,
) {
    let spawned = std::thread::Builder::new()
        .name("tandem-headless-stdin".into())
        .spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                match parse(&line) {
                    Ok(cmds) => {
                        for c in cmds {
                            if commands.send(c).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = events.send(UiEvent::Error(e));
                    }
                }
            }
            // stdin closed: leave, as a person closing the window would.
            let _ = commands.send(UiCommand::Leave);
        });
    if let Err(e) = spawned {
        tracing::error!("cannot read stdin: {e}");
    }
}

/// The JSON line for an event.
pub fn event_json(ev: &UiEvent) -> serde_json::Value {
    match ev {
        UiEvent::Waiting => json!({"event": "waiting"}),
        UiEvent::Joined { session, customer } => {
            json!({"event": "joined", "session": session, "customer": customer})
        }
        UiEvent::Consent(r) => json!({"event": "consent", "allowed": r.describe()}),
        UiEvent::Connected(r) => json!({"event": "connected", "rights": r.describe()}),
        UiEvent::Rights(r) => json!({"event": "rights", "rights": r.describe()}),
        UiEvent::Frame {
            seq, width, height, ..
        } => json!({"event": "frame", "seq": seq, "width": width, "height": height}),
        UiEvent::Screenshot { path, seq } => {
            json!({"event": "screenshot", "path": path, "seq": seq})
        }
        UiEvent::Refused(m) => json!({"event": "refused", "message": m}),
        UiEvent::Error(m) => json!({"event": "error", "message": m}),
        UiEvent::Ended(r) => json!({"event": "ended", "reason": r}),
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
        assert!(parse("not json").is_err());
    }
}
