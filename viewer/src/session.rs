//! The viewer's session driver: the tokio shell around [`ViewerSession`]. It joins the
//! session through the portal, answers the agent's WebRTC offer, then moves bytes between
//! the link and the state machine, and pictures and input between it and a front end
//! (window or headless).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem_protocol::input::InputEvent;
use tandem_protocol::signal::{ClientMessage, PortalMessage, SignalPayload};
use tandem_protocol::tiles::FrameBuffer;
use tandem_protocol::viewer::{ViewerEvent, ViewerSession};
use tandem_protocol::{AttendeeId, Rights};
use tandem_transport::files::{TransferEvent, Transfers};
use tandem_transport::signalling::{PortalConnection, PortalSender};
use tandem_transport::{LinkEvent, PendingLink, TransportConfig};
use tokio::sync::mpsc;

use crate::link_setup::{Opened, Waited, open_link, wait_for_offer};
pub use crate::rejoin::Rejoin;
use crate::rejoin::rejoin;
use crate::rep::RepError;
use crate::window::Picture;

pub(crate) const LINK_OPEN_TIMEOUT: Duration = Duration::from_secs(20);

/// What a front end asks of the session.
#[derive(Debug)]
pub enum UiCommand {
    /// Keyboard or mouse for the customer's machine.
    Input(InputEvent),
    /// Write the current picture to a PNG file.
    Screenshot(PathBuf),
    /// Ask the agent for the whole screen again.
    Refresh,
    /// A request to the portal (invite, rights, chat…).
    Portal(ClientMessage),
    /// Send a local file to the customer.
    SendFile(PathBuf),
    /// Copy a file from the customer's shared folder.
    FetchFile(String),
    /// List a folder of the customer's shared folder.
    ListDir(String),
    /// Stop a transfer.
    CancelTransfer(u32),
    /// Ask to reboot the customer's machine.
    Reboot,
    /// Ask the customer to give control back (after they took it away).
    RequestControl,
    /// Put this on the customer's clipboard.
    Clipboard(tandem_protocol::clipboard::Clip),
    /// Press these keys (a chord from the special keys menu) on the customer's machine.
    Keys(Vec<InputEvent>),
    /// Leave the session.
    Leave,
}

/// What the session tells a front end.
#[derive(Debug, Clone)]
pub enum UiEvent {
    /// Waiting for the customer to enter the code.
    Waiting,
    /// In the session; connecting to the customer's machine.
    Joined {
        /// Session number.
        session: u64,
        /// The customer's name.
        customer: String,
    },
    /// What the customer allowed.
    Consent(Rights),
    /// Connected; rights in force.
    Connected(Rights),
    /// How the link reaches the customer's machine (direct or through the portal's relay).
    Path(tandem_transport::LinkPath),
    /// Rights changed.
    Rights(Rights),
    /// The customer's pointer moved (screen coordinates of its hot spot).
    Cursor {
        /// Screen x.
        x: u16,
        /// Screen y.
        y: u16,
    },
    /// The customer's pointer changed its look.
    CursorShape(Arc<crate::window::CursorPicture>),
    /// A new complete picture (`picture` only when the front end wants pixels).
    Frame {
        /// Update number.
        seq: u32,
        /// Screen width.
        width: u16,
        /// Screen height.
        height: u16,
        /// The pixels, for front ends that draw.
        picture: Option<Arc<Picture>>,
        /// Bytes the update took on the wire.
        bytes: u64,
        /// Rectangles it changed.
        rects: Vec<tandem_protocol::tiles::Rect>,
    },
    /// A screenshot was written.
    Screenshot {
        /// Where.
        path: PathBuf,
        /// Which update it shows.
        seq: u32,
    },
    /// The agent refused something (e.g. input without control).
    Refused(String),
    /// A command failed.
    Error(String),
    /// News from the portal: roster, chat, invitations, errors.
    Portal(PortalMessage),
    /// A file transfer started, progressed, finished or failed.
    Transfer(TransferEvent),
    /// The customer copied this (we hold the clipboard right).
    Clipboard(tandem_protocol::clipboard::Clip),
    /// The customer's machine reboots now.
    Rebooting,
    /// The link dropped; waiting for the customer's machine to come back.
    Reconnecting(String),
    /// Connected again after a drop or reboot.
    Reconnected,
    /// The session is over.
    Ended(String),
}

/// Why the session could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Portal trouble or refusal.
    #[error(transparent)]
    Portal(#[from] RepError),
    /// The peer-to-peer connection failed.
    #[error("cannot connect to the customer's machine: {0}")]
    Transport(#[from] tandem_transport::TransportError),
}

impl From<tandem_transport::signalling::SignallingError> for SessionError {
    fn from(e: tandem_transport::signalling::SignallingError) -> Self {
        SessionError::Portal(RepError::Portal(e))
    }
}

/// How a front end wants the session run.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Where fetched files are saved.
    pub downloads: std::path::PathBuf,
    /// Send pictures with frame events (front ends that draw).
    pub want_pictures: bool,
    /// Send input even without control and let the agent refuse it (automation).
    pub unchecked_input: bool,
    /// How to come back if the portal connection drops (None: the session ends then).
    pub rejoin: Option<Rejoin>,
}

/// Sends `join` (a host's [`ClientMessage::JoinSession`], an accepted invitation or a
/// specialist's key) and runs the session until it ends. Returns the reason it ended.
///
/// When the link to the customer's machine drops (reboot, network) while the portal keeps
/// the session, the viewer waits for the agent's next offer and carries on with a fresh
/// link and a full picture.
pub async fn run(
    mut conn: PortalConnection,
    join: ClientMessage,
    transport: TransportConfig,
    mut commands: mpsc::UnboundedReceiver<UiCommand>,
    ui: mpsc::UnboundedSender<UiEvent>,
    mut options: SessionOptions,
) -> Result<String, SessionError> {
    conn.send(join)?;
    let _ = ui.send(UiEvent::Waiting);
    let me = loop {
        match conn.recv().await? {
            PortalMessage::Joined {
                session,
                you,
                customer,
                seat_token,
                ..
            } => {
                if let Some(r) = options.rejoin.as_mut() {
                    r.remember(session, seat_token);
                }
                let _ = ui.send(UiEvent::Joined { session, customer });
                break you;
            }
            PortalMessage::Error { kind, message } => {
                return Err(RepError::Refused { kind, message }.into());
            }
            PortalMessage::SessionEnded { reason } => return Ok(reason),
            other => {
                let _ = ui.send(UiEvent::Portal(other));
            }
        }
    };
    let (mut portal, mut portal_rx) = conn.split();
    let mut me = me;
    let mut links = 0u32;
    let mut next_offer = None;
    let reason = loop {
        let waited = match next_offer.take() {
            Some(offer) => Waited::Offer(offer),
            None => wait_for_offer(&mut portal_rx, &mut commands, &ui, me).await,
        };
        let offer = match waited {
            Waited::Offer(offer) => offer,
            Waited::PortalLost => {
                let Some(how) = options.rejoin.as_ref() else {
                    let reason = "the connection to the portal was lost".to_owned();
                    let _ = ui.send(UiEvent::Ended(reason.clone()));
                    break reason;
                };
                let _ = ui.send(UiEvent::Reconnecting(
                    "lost the connection to the portal".into(),
                ));
                match rejoin(how, &ui).await {
                    Some((conn, (session, you, seat_token))) => {
                        if let Some(r) = options.rejoin.as_mut() {
                            r.remember(session, seat_token);
                        }
                        (portal, portal_rx) = conn.split();
                        me = you;
                        continue;
                    }
                    None => {
                        let reason = "the connection to the portal was lost".to_owned();
                        let _ = ui.send(UiEvent::Ended(reason.clone()));
                        break reason;
                    }
                }
            }
            Waited::Ended(reason) => {
                let _ = ui.send(UiEvent::Ended(reason.clone()));
                break reason;
            }
        };
        let (pending, answer) = PendingLink::answer(&transport, offer).await?;
        portal.send(ClientMessage::Signal {
            to: AttendeeId::CUSTOMER,
            payload: SignalPayload::Answer { sdp: answer },
        })?;
        let link = match open_link(pending, &portal, &mut portal_rx, &ui, me).await {
            Opened::Link(link) => link,
            Opened::NewOffer(offer) => {
                next_offer = Some(offer);
                continue;
            }
            Opened::Ended(reason) => {
                let _ = ui.send(UiEvent::Ended(reason.clone()));
                break reason;
            }
            // The next wait_for_offer sees the closed portal and rejoins.
            Opened::PortalLost => continue,
            Opened::Failed(e) if links > 0 => {
                let _ = ui.send(UiEvent::Error(format!(
                    "reconnecting failed ({e}); waiting for the next try"
                )));
                continue;
            }
            Opened::Failed(e) => return Err(e.into()),
        };
        tracing::info!(
            path = link.path.as_str(),
            "connected to the customer's machine"
        );
        let _ = ui.send(UiEvent::Path(link.path));
        if links > 0 {
            let _ = ui.send(UiEvent::Reconnected);
        }
        links += 1;
        match run_link(
            link,
            &portal,
            &mut portal_rx,
            &mut commands,
            &ui,
            &options,
            me,
        )
        .await
        {
            LinkEnd::Session(reason) => break reason,
            LinkEnd::Lost(why) => {
                let _ = ui.send(UiEvent::Reconnecting(why));
            }
            // The next wait_for_offer sees the closed portal and rejoins.
            LinkEnd::PortalLost => {}
        }
    };
    let _ = portal.send(ClientMessage::EndSession {
        reason: reason.clone(),
    });
    portal.close().await;
    Ok(reason)
}

/// How one link ended.
enum LinkEnd {
    /// The session is over.
    Session(String),
    /// The link dropped; the session may go on with a new one.
    Lost(String),
    /// The portal connection dropped (the agent will close this link when the portal tells
    /// it we left); rejoin, then wait for a new link.
    PortalLost,
}

/// Runs the session over one link until it ends or the link drops.
async fn run_link(
    mut link: tandem_transport::Link,
    portal: &PortalSender,
    portal_rx: &mut mpsc::UnboundedReceiver<PortalMessage>,
    commands: &mut mpsc::UnboundedReceiver<UiCommand>,
    ui: &mpsc::UnboundedSender<UiEvent>,
    options: &SessionOptions,
    me: AttendeeId,
) -> LinkEnd {
    let (transfer_tx, mut transfer_rx) = mpsc::unbounded_channel();
    // The viewer's side is always allowed: the agent enforces the customer's rules.
    let (_allowed_tx, allowed_rx) = tokio::sync::watch::channel(true);
    let mut transfers = Transfers::new(
        link.sender.clone(),
        transfer_tx,
        options.downloads.clone(),
        None,
        allowed_rx,
    );
    let mut session = ViewerSession::new(me, Instant::now());
    let mut last_seq = 0u32;
    let mut lost: Option<String> = None;
    let mut rebooting = false;
    let end = loop {
        while let Some((channel, bytes)) = session.poll_transmit() {
            // Sends go through the link's own buffer; awaiting here keeps order per channel.
            if link.sender.send(channel, &bytes).await.is_err() {
                lost.get_or_insert_with(|| "connection to the customer's machine lost".into());
            }
        }
        if let Some(reason) = forward_events(
            &mut transfers,
            &mut session,
            ui,
            options.want_pictures,
            &mut last_seq,
            &mut rebooting,
        ) {
            break LinkEnd::Session(reason);
        }
        if rebooting {
            // Closing our side tells the agent we have read the news, so it can go down at
            // once; the agent comes back on a new link.
            lost.get_or_insert_with(|| "the customer's machine is rebooting".into());
        }
        if let Some(why) = lost.take() {
            break LinkEnd::Lost(why);
        }
        let timer = session.poll_timeout();
        tokio::select! {
            ev = link.events.recv() => match ev {
                Some(LinkEvent::Message(_, bytes)) => session.handle_datagram(&bytes, Instant::now()),
                Some(LinkEvent::Closed(why)) => lost = Some(if rebooting { "the customer's machine is rebooting".into() } else { format!("connection to the customer's machine lost ({why})") }),
                None => lost = Some("connection to the customer's machine lost".into()),
            },
            msg = portal_rx.recv() => match msg {
                Some(PortalMessage::SessionEnded { reason }) => session.handle_disconnect(&reason),
                Some(PortalMessage::Consent { attendee, allowed }) if attendee == me => { let _ = ui.send(UiEvent::Consent(allowed)); }
                Some(other) => { let _ = ui.send(UiEvent::Portal(other)); }
                None => break LinkEnd::PortalLost,
            },
            cmd = commands.recv() => match cmd {
                Some(UiCommand::Input(ev)) => {
                    let sent = if options.unchecked_input { session.send_input_unchecked(ev) } else { session.send_input(ev) };
                    if let Err(e) = sent {
                        let _ = ui.send(UiEvent::Refused(e.to_string()));
                    }
                }
                Some(UiCommand::Screenshot(path)) => screenshot(session.frame().clone(), path, last_seq, ui.clone()),
                Some(UiCommand::Refresh) => session.request_refresh(),
                Some(UiCommand::Reboot) => session.request_reboot(),
                Some(UiCommand::RequestControl) => session.request_control(),
                Some(UiCommand::Keys(events)) => {
                    for ev in events {
                        let sent = if options.unchecked_input { session.send_input_unchecked(ev) } else { session.send_input(ev) };
                        if let Err(e) = sent {
                            let _ = ui.send(UiEvent::Refused(e.to_string()));
                            break;
                        }
                    }
                }
                Some(UiCommand::Clipboard(clip)) => {
                    if let Err(e) = session.send_clipboard(&clip, options.unchecked_input) {
                        let _ = ui.send(UiEvent::Refused(e.to_string()));
                    }
                }
                Some(UiCommand::SendFile(path)) => { transfers.send_file(path); }
                Some(UiCommand::FetchFile(path)) => { transfers.fetch(&path); }
                Some(UiCommand::ListDir(path)) => { transfers.list(&path); }
                Some(UiCommand::CancelTransfer(id)) => transfers.refuse(id, "cancelled by the representative"),
                Some(UiCommand::Portal(msg)) => {
                    if portal.send(msg).is_err() {
                        let _ = ui.send(UiEvent::Error("the portal connection is closed".into()));
                    }
                }
                Some(UiCommand::Leave) | None => session.leave("the representative left"),
            },
            ev = transfer_rx.recv() => {
                if let Some(TransferEvent::Offered { id, .. }) = ev {
                    // Offers we did not ask for (fetches are accepted inside) are refused.
                    transfers.refuse(id, "the representative did not ask for this file");
                } else if let Some(ev) = ev {
                    let _ = ui.send(UiEvent::Transfer(ev));
                }
            }
            () = sleep_until(timer) => session.handle_timeout(Instant::now()),
        }
    };
    // Deliver a pending goodbye before closing.
    while let Some((channel, bytes)) = session.poll_transmit() {
        let _ = link.sender.send(channel, &bytes).await;
    }
    link.sender.close().await;
    end
}

fn screenshot(frame: FrameBuffer, path: PathBuf, seq: u32, ui: mpsc::UnboundedSender<UiEvent>) {
    tokio::task::spawn_blocking(move || {
        let _ = ui.send(match write_png(&frame, &path) {
            Ok(()) => UiEvent::Screenshot { path, seq },
            Err(e) => UiEvent::Error(format!("cannot write {}: {e}", path.display())),
        });
    });
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// Passes state-machine events to the front end; returns the end reason once it ended.
fn forward_events(
    transfers: &mut Transfers,
    session: &mut ViewerSession,
    ui: &mpsc::UnboundedSender<UiEvent>,
    want_pictures: bool,
    last_seq: &mut u32,
    rebooting: &mut bool,
) -> Option<String> {
    while let Some(ev) = session.poll_event() {
        let out = match ev {
            ViewerEvent::Ready { rights, .. } => UiEvent::Connected(rights),
            ViewerEvent::RightsChanged(r) => UiEvent::Rights(r),
            ViewerEvent::FrameReady { seq, bytes, rects } => {
                *last_seq = seq;
                let f = session.frame();
                let picture = want_pictures.then(|| {
                    Arc::new(Picture {
                        width: f.width(),
                        height: f.height(),
                        bgrx: f.pixels().to_vec(),
                    })
                });
                UiEvent::Frame {
                    seq,
                    width: f.width(),
                    height: f.height(),
                    picture,
                    bytes,
                    rects,
                }
            }
            ViewerEvent::Refused(text) => UiEvent::Refused(text),
            ViewerEvent::CursorMoved { x, y } => UiEvent::Cursor { x, y },
            ViewerEvent::CursorShape(tandem_protocol::wire::Message::CursorShape {
                width,
                height,
                hot_x,
                hot_y,
                bgra,
                ..
            }) => UiEvent::CursorShape(Arc::new(crate::window::CursorPicture {
                width,
                height,
                hot_x,
                hot_y,
                bgra,
            })),
            ViewerEvent::File(message) => {
                transfers.handle(message);
                continue;
            }
            ViewerEvent::Clipboard(clip) => UiEvent::Clipboard(clip),
            ViewerEvent::Rebooting => {
                *rebooting = true;
                UiEvent::Rebooting
            }
            ViewerEvent::Ended { reason } => {
                let _ = ui.send(UiEvent::Ended(reason.clone()));
                return Some(reason);
            }
            other => UiEvent::Error(format!("{other:?}")),
        };
        let _ = ui.send(out);
    }
    None
}

/// Writes the picture as an RGB PNG.
pub fn write_png(frame: &FrameBuffer, path: &std::path::Path) -> std::io::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, frame.width() as u32, frame.height() as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().map_err(std::io::Error::other)?;
    let rgb: Vec<u8> = frame
        .pixels()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    writer
        .write_image_data(&rgb)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}
