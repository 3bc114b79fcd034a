//! Runs a session with a front end attached: the window (pictures, keyboard, mouse, and a
//! text console on the terminal) or headless (JSON lines on stdin and stdout).

use std::io::Write;

use anyhow::Result;
use tandem_protocol::Rights;
use tandem_protocol::signal::{ClientMessage, PortalMessage};
use tandem_transport::signalling::PortalConnection;
use tandem_transport::{LinkPath, TransportConfig};
use tokio::sync::mpsc;

use crate::session::{self, SessionOptions, UiCommand, UiEvent};
use crate::window::{self, WindowUpdate};
use crate::{console, headless};

/// Headless: commands from stdin, events to stdout, until the session ends. With
/// `bench_log`, every complete update is also appended there as peerbench's client log
/// line: `{"t": CLOCK_MONOTONIC seconds, "b": bytes, "r": [[x, y, w, h], …]}`.
pub async fn run_headless(
    conn: PortalConnection,
    join: ClientMessage,
    transport: TransportConfig,
    bench_log: Option<std::path::PathBuf>,
    base: SessionOptions,
) -> Result<()> {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ui_tx, ui_rx) = mpsc::unbounded_channel();
    headless::spawn_stdin(cmd_tx, ui_tx.downgrade());
    let log = match bench_log {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?,
        ),
        None => None,
    };
    let printer = tokio::spawn(print_events_and_log(ui_rx, log));
    let options = SessionOptions {
        want_pictures: false,
        unchecked_input: true,
        ..base.clone()
    };
    let result = session::run(conn, join, transport, cmd_rx, ui_tx, options).await;
    let _ = printer.await;
    result.map(|_| ()).map_err(Into::into)
}

/// Prints each event as one JSON line.
pub async fn print_events(ui_rx: mpsc::UnboundedReceiver<UiEvent>) {
    print_events_and_log(ui_rx, None).await;
}

async fn print_events_and_log(
    mut ui_rx: mpsc::UnboundedReceiver<UiEvent>,
    mut log: Option<std::fs::File>,
) {
    let mut out = std::io::stdout();
    while let Some(ev) = ui_rx.recv().await {
        if let (Some(file), UiEvent::Frame { bytes, rects, .. }) = (log.as_mut(), &ev) {
            let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
            let t = now.tv_sec as f64 + now.tv_nsec as f64 / 1e9;
            let r: Vec<[u16; 4]> = rects.iter().map(|r| [r.x, r.y, r.w, r.h]).collect();
            let _ = writeln!(file, "{}", serde_json::json!({"t": t, "b": bytes, "r": r}));
        }
        let _ = writeln!(out, "{}", headless::event_json(&ev));
        let _ = out.flush();
    }
}

/// Invited representative, headless: prints invitation alerts as events until an
/// `{"cmd":"accept",…}` arrives on stdin, then runs that session.
pub async fn wait_for_invitation_headless(
    mut conn: PortalConnection,
    transport: TransportConfig,
    base: SessionOptions,
) -> Result<()> {
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
    let (ui_tx, ui_rx) = mpsc::unbounded_channel();
    headless::spawn_stdin(cmd_tx, ui_tx.downgrade());
    let printer = tokio::spawn(print_events(ui_rx));
    let join = loop {
        tokio::select! {
            msg = conn.recv() => { let _ = ui_tx.send(UiEvent::Portal(msg?)); }
            cmd = cmd_rx.recv() => match cmd {
                Some(UiCommand::Portal(accept @ ClientMessage::AcceptInvitation { .. })) => break accept,
                Some(UiCommand::Portal(other)) => conn.send(other)?,
                Some(UiCommand::Leave) | None => return Ok(()),
                Some(_) => { let _ = ui_tx.send(UiEvent::Error("not in a session yet".into())); }
            },
        }
    };
    let options = SessionOptions {
        want_pictures: false,
        unchecked_input: true,
        ..base.clone()
    };
    let result = session::run(conn, join, transport, cmd_rx, ui_tx, options).await;
    let _ = printer.await;
    result.map(|_| ()).map_err(Into::into)
}

/// A status line for the window title and the terminal.
fn status_text(ev: &UiEvent, path: Option<LinkPath>) -> Option<String> {
    let rights = |r: &Rights| {
        if r.contains(Rights::CONTROL) {
            "you have control"
        } else {
            "view only"
        }
    };
    Some(match ev {
        UiEvent::Waiting => "waiting for the session".into(),
        UiEvent::Joined { customer, .. } => {
            format!("joined {customer}'s session; waiting for the screen")
        }
        UiEvent::Consent(r) => format!("customer allowed: {}", r.describe()),
        UiEvent::Path(p) => format!("path: {}", p.describe()),
        UiEvent::Connected(r) | UiEvent::Rights(r) => {
            let via = match path {
                Some(LinkPath::Direct) => " directly",
                Some(LinkPath::Relay) => " through the portal's relay",
                None => "",
            };
            format!("connected{via} — {}", rights(r))
        }
        UiEvent::Refused(m) | UiEvent::Error(m) => m.clone(),
        UiEvent::Rebooting => "the customer's machine is rebooting…".into(),
        UiEvent::Clipboard(clip) => format!("the customer copied {}", clip.describe()),
        UiEvent::Reconnecting(why) => format!("{why}; waiting for it to come back…"),
        UiEvent::Reconnected => "reconnected".into(),
        _ => return None,
    })
}

/// `text` with its first letter in upper case, to start a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Window: runs on the calling (main) thread until the window closes; the terminal is a
/// console for chat, attendees and invitations.
pub fn open_window(
    rt: tokio::runtime::Runtime,
    conn: PortalConnection,
    join: ClientMessage,
    title: String,
    transport: TransportConfig,
    base: SessionOptions,
) -> Result<()> {
    let (input_tx, input_rx) = mpsc::unbounded_channel();
    let (actions_tx, mut actions_rx) = mpsc::unbounded_channel();
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ui_tx, mut ui_rx) = mpsc::unbounded_channel();
    console::spawn_stdin(cmd_tx.clone());
    let handle = rt.handle().clone();
    window::run(&title, input_tx, actions_tx, move |sender| {
        let (clips_tx, clips_rx) = mpsc::unbounded_channel();
        let asks = cmd_tx.clone();
        handle.spawn(async move {
            while let Some(window::WindowAction::AskForControl) = actions_rx.recv().await {
                eprintln!("asking the customer for control…");
                let _ = asks.send(UiCommand::RequestControl);
            }
        });
        handle.spawn(crate::local_clipboard::forward_input(
            input_rx, cmd_tx, clips_rx,
        ));
        handle.spawn(async move {
            let mut path = None;
            let mut rights = None;
            while let Some(ev) = ui_rx.recv().await {
                if let UiEvent::Path(p) = ev {
                    path = Some(p);
                }
                if let Some(s) = status_text(&ev, path) {
                    eprintln!("{s}");
                    sender.send(WindowUpdate::Status(s));
                }
                match ev {
                    UiEvent::Frame {
                        picture: Some(p), ..
                    } => {
                        sender.send(WindowUpdate::Picture(p));
                    }
                    UiEvent::Cursor { x, y } => {
                        sender.send(WindowUpdate::CursorAt(x, y));
                    }
                    UiEvent::CursorShape(c) => {
                        sender.send(WindowUpdate::CursorShape(c));
                    }
                    UiEvent::Portal(msg) => console::show(&msg),
                    UiEvent::Transfer(t) => console::show_transfer(&t),
                    UiEvent::Clipboard(clip) => {
                        let _ = clips_tx.send(clip);
                    }
                    UiEvent::Reconnecting(why) => {
                        sender.send(WindowUpdate::Banner(Some(format!(
                            "{}. Waiting for it to come back…",
                            capitalised(&why)
                        ))));
                    }
                    UiEvent::Rebooting => {
                        sender.send(WindowUpdate::Banner(Some(
                            "The customer's computer is restarting. The session comes back by itself."
                                .into(),
                        )));
                    }
                    UiEvent::Reconnected => {
                        sender.send(WindowUpdate::Banner(None));
                    }
                    UiEvent::Connected(r) | UiEvent::Rights(r) => {
                        sender.send(WindowUpdate::Banner(None));
                        rights = Some(r);
                        sender.send(WindowUpdate::Rights(r));
                    }
                    // The answer to "Ask for control" was no: the button is there again.
                    UiEvent::Refused(m)
                        if m == tandem_protocol::agent::CONTROL_DECLINED
                            || m.starts_with("control refused") =>
                    {
                        if let Some(r) = rights {
                            sender.send(WindowUpdate::Rights(r));
                        }
                    }
                    UiEvent::Ended(reason) => {
                        eprintln!("Session ended: {reason}");
                        sender.send(WindowUpdate::Close(reason));
                    }
                    _ => {}
                }
            }
        });
        handle.spawn(async move {
            let options = SessionOptions {
                want_pictures: true,
                unchecked_input: false,
                ..base.clone()
            };
            if let Err(e) =
                session::run(conn, join, transport, cmd_rx, ui_tx.clone(), options).await
            {
                let _ = ui_tx.send(UiEvent::Ended(e.to_string()));
            }
        });
    })?;
    // The window closed: leave the session properly before exiting.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    Ok(())
}

/// Invited representative, interactive: shows each alert and asks on the terminal.
pub async fn wait_for_invitation_interactive(
    conn: &mut PortalConnection,
) -> Result<Option<ClientMessage>> {
    eprintln!("Waiting for invitations… (Ctrl-C to stop)");
    loop {
        match conn.recv().await? {
            PortalMessage::Invitation(inv) => {
                eprintln!(
                    "\n{} invites you to {}'s session ({}{}).\n  \"{}\"\nAccept? [y/N]",
                    inv.host,
                    inv.customer,
                    inv.rights.describe(),
                    if inv.masked {
                        ", hidden from the customer"
                    } else {
                        ""
                    },
                    inv.comment
                );
                let answer = tokio::task::spawn_blocking(|| {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map(|_| line)
                })
                .await??;
                if matches!(answer.trim(), "y" | "yes") {
                    return Ok(Some(ClientMessage::AcceptInvitation { invitation: inv.id }));
                }
                conn.send(ClientMessage::DeclineInvitation { invitation: inv.id })?;
            }
            PortalMessage::InvitationWithdrawn { .. } => eprintln!("An invitation was withdrawn."),
            // Its type only: fields hold codes, support keys, links and SDP.
            other => tracing::debug!("ignoring portal message '{}'", other.kind()),
        }
    }
}
