//! The agent's session loop: the tokio shell around [`AgentSession`]. It owns the portal
//! connection, one WebRTC link per attendee, the capture thread and the injection thread,
//! and moves bytes and events between them and the state machine. Every decision (who may
//! see, who may inject) is the state machine's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem_protocol::agent::{AgentEvent, AgentSession};
use tandem_protocol::input::InputEvent;
use tandem_protocol::rights::Consent;
use tandem_protocol::signal::{
    AttendeeInfo, ClientMessage, PortalMessage, SessionActivity, SignalPayload,
};
use tandem_protocol::{AttendeeId, Rights};
use tandem_transport::signalling::{PortalConnection, PortalSender};
use tandem_transport::{Channel, Link, LinkEvent, LinkSender, TransportConfig};
use tokio::sync::{mpsc, oneshot};

use crate::capture::ScreenCapture;
use crate::customer::{Customer, CustomerCommand, Question, QuestionKey};
use crate::inject::Injector;
use crate::link_setup::offer_link;
use crate::pipeline::{
    CaptureCommand, CaptureOut, CursorState, Merged, PendingFrames, run_writer, spawn_capture,
};
use crate::recorder::{self, Recording, RecordingEvent};
use crate::transfers::{self, FileSettings, PeerFiles};
use crate::{AgentError, RebootSettings, resume};
use tandem_clipboard::{Clipboard, ClipboardOut};
use tandem_transport::files::TransferEvent;

/// Everything a session needs, after the code was redeemed and consent for the host given.
pub struct SessionParts {
    /// Sending half of the portal connection.
    pub portal: PortalSender,
    /// Receiving half.
    pub portal_rx: mpsc::UnboundedReceiver<PortalMessage>,
    /// Screen capture backend.
    pub capture: Box<dyn ScreenCapture>,
    /// Input injection backend.
    pub injector: Box<dyn Injector>,
    /// WebRTC settings.
    pub transport: TransportConfig,
    /// What the customer allowed for this session (asked when the host arrived); it applies
    /// to everyone the host brings in, narrowed further by each one's grant.
    pub consent: Consent,
    /// The customer let the portal record the session (it sends `RecordingToken`).
    pub record: bool,
    /// File transfer settings.
    pub files: FileSettings,
    /// Reboot handling.
    pub reboot: RebootSettings,
    /// Where the resume record lives (for the autostart unit).
    pub state_dir: std::path::PathBuf,
    /// The display, for the autostart unit.
    pub display: Option<String>,
    /// How to come back to the session if the portal connection drops.
    pub resume: Option<resume::ResumeState>,
}

/// How the session loop ended.
pub struct SessionEnd {
    /// Why, in words.
    pub reason: String,
    /// The machine reboots: the session waits at the portal and the resume record stays.
    pub rebooting: bool,
}

struct Peer {
    /// The link attempt this peer is on (see `Internal`).
    attempt: u64,
    /// The folder last shown as looked at (the same one again is not said again).
    last_listing: Option<String>,
    /// A folder looked at that the portal has not been told of yet (for the session's record).
    unreported_listing: Option<String>,
    control: Option<mpsc::UnboundedSender<(Channel, Vec<u8>)>>,
    frames: Arc<PendingFrames>,
    link: Option<LinkSender>,
    writer: Option<tokio::task::JoinHandle<()>>,
    files: Option<PeerFiles>,
    answer: Option<oneshot::Sender<String>>,
    /// Waiting for the portal's relay token (no direct path opened).
    relay: Option<oneshot::Sender<String>>,
}

enum Internal {
    // Link results and events carry the attempt they belong to: a late result of an attempt
    // that was replaced (the attendee reconnected meanwhile) must not touch the new link.
    LinkUp(AttendeeId, u64, Link),
    LinkFailed(AttendeeId, u64, String),
    Link(AttendeeId, u64, LinkEvent),
    Transfer(AttendeeId, TransferEvent),
    PortalBack(PortalConnection),
    Reoffer(AttendeeId),
    PortalGone(String),
    Recording(RecordingEvent),
}

/// Runs until the customer ends the session, the portal ends it, or `shutdown` resolves.
/// Returns the reason the session ended.
pub async fn run(
    parts: SessionParts,
    customer: &mut Customer,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<SessionEnd, AgentError> {
    let SessionParts {
        portal,
        portal_rx,
        capture,
        injector,
        transport,
        consent,
        record,
        files,
        reboot,
        state_dir,
        display,
        resume: mut resume_state,
    } = parts;
    let (capture_tx, mut capture_rx) = mpsc::unbounded_channel();
    let capture_cmd = spawn_capture(capture, capture_tx);
    let mut cursor = CursorState::default();
    let inject_tx = crate::pipeline::spawn_injector(injector);
    // Moves the input thread's epoch on when a question opens (see `InjectQueue`).
    let (mut asked_epochs, mut was_asking) = (0u64, false);
    let mut terminal_open = true;
    let mut portal_up = true;
    let (mut portal, mut portal_rx) = (portal, portal_rx);
    // Who asked to restart (the question is open), and a request just made.
    let mut reboot_asked_by: Option<AttendeeId> = None;
    let mut reboot_request: Option<AttendeeId> = None;
    // Attendees the portal says are in the session: a link to one of them that drops is
    // offered again until the portal says they left.
    let mut present: HashMap<AttendeeId, AttendeeInfo> = HashMap::new();
    let mut rebooting = false;
    let (internal_tx, mut internal_rx) = mpsc::unbounded_channel();
    let mut agent = AgentSession::new();
    // Everyone the host brings in starts with what the customer allowed for the host.
    agent.set_session_consent(consent);
    if files.allow_browse {
        // The customer allowed it when starting (--allow-browse); the core still checks FILES.
        agent.allow_browse_for_all();
    }
    let mut peers: HashMap<AttendeeId, Peer> = HashMap::new();
    let (clipboard_tx, mut clipboard_rx) = mpsc::unbounded_channel();
    let mut clipboard = Clipboard::start(display.as_deref(), clipboard_tx);
    let mut recording = {
        let back = internal_tx.clone();
        Recording::new(
            record,
            Arc::new(move |ev| {
                let _ = back.send(Internal::Recording(ev));
            }),
        )
    };
    tokio::pin!(shutdown);

    let reason = loop {
        let timer = agent.poll_timeout();
        let sleep = async {
            match timer {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            msg = portal_rx.recv(), if portal_up => {
                let Some(msg) = msg else {
                    // The peer-to-peer links carry on; come back to the portal in the background.
                    let Some(state) = resume_state.clone() else { break "the connection to the portal was lost".to_owned() };
                    portal_up = false;
                    customer.say("Lost the connection to the support portal; reconnecting (your session continues).");
                    let back = internal_tx.clone();
                    tokio::spawn(async move {
                        let _ = back.send(match crate::recovery::reconnect(state).await {
                            Ok(conn) => Internal::PortalBack(conn),
                            Err(e) => Internal::PortalGone(e),
                        });
                    });
                    continue;
                };
                match msg {
                    PortalMessage::AttendeeJoined(info) => {
                        present.insert(info.id, info.clone());
                        agent.handle_attendee_announced(&info, Instant::now());
                        // Announced again after our portal connection came back: the link is
                        // still up (or being set up), only the grant was refreshed.
                        if !peers.contains_key(&info.id) && consent.view {
                            connect(&mut peers, &info, &portal, &transport, &internal_tx);
                        }
                    }
                    PortalMessage::Signal { from, payload: SignalPayload::Answer { sdp } } => {
                        if let Some(tx) = peers.get_mut(&from).and_then(|p| p.answer.take()) {
                            let _ = tx.send(sdp);
                        }
                    }
                    PortalMessage::Signal { from, payload: SignalPayload::Relay { token } } => {
                        // Only honoured while we wait for one: the portal answers our request.
                        if let Some(tx) = peers.get_mut(&from).and_then(|p| p.relay.take()) {
                            let _ = tx.send(token);
                        }
                    }
                    PortalMessage::AttendeeLeft { attendee } => {
                        present.remove(&attendee);
                        agent.handle_attendee_left(attendee);
                        drop_peer(&mut peers, attendee, customer).await;
                    }
                    PortalMessage::Grant { attendee, rights, seq } => {
                        match agent.handle_grant(attendee, rights, seq) {
                            // Kept for the next announcement after a dropped link, which must
                            // not bring back rights taken away meanwhile.
                            Ok(()) => {
                                if let Some(p) = present.get_mut(&attendee) {
                                    p.rights = rights;
                                }
                            }
                            // Not connected right now: kept for when the link is back.
                            Err(tandem_protocol::agent::GrantError::UnknownAttendee(_)) => {
                                if let Some(p) = present.get_mut(&attendee) {
                                    p.rights = rights;
                                }
                            }
                            Err(e) => tracing::warn!(attendee = %attendee, "grant refused: {e}"),
                        }
                    }
                    // The customer's list comes from the enforced state, not from this.
                    PortalMessage::Roster { .. } => {}
                    PortalMessage::Chat { from, text, .. } => {
                        let sender = if from == AttendeeId::CUSTOMER {
                            Ok(None)
                        } else if agent.chat_reaches_customer(from) {
                            Ok(agent.name_for_customer(from))
                        } else {
                            Err("the sender may not chat with the customer")
                        };
                        let shown = sender.and_then(|name| {
                            customer.show_chat(name, &text).map_err(|_| "it breaks the chat rule")
                        });
                        if let Err(why) = shown {
                            // To the log, not the customer: the message is not shown at all.
                            tracing::warn!(attendee = %from, "chat message not shown to the customer: {why}");
                        }
                    }
                    PortalMessage::RecordingToken { token } => recording.token(portal.portal(), token),
                    PortalMessage::SessionEnded { reason } => break reason,
                    PortalMessage::Error { message, .. } => tracing::warn!("portal: {message}"),
                    other => tracing::debug!("ignoring portal message '{}'", other.kind()),
                }
            }
            ev = internal_rx.recv() => {
                // internal_tx lives in this function, so the channel never closes here.
                let Some(ev) = ev else { continue };
                match ev {
                    Internal::LinkUp(id, attempt, link) => {
                        if !is_current(&peers, id, attempt) {
                            tokio::spawn(async move { link.sender.close().await });
                            continue;
                        }
                        tracing::info!(attendee = %id, path = link.path.as_str(), "connected");
                        let allowed = agent.effective_rights(id).contains(Rights::FILES);
                        attach(&mut peers, id, attempt, link, &internal_tx, &files, allowed)
                    }
                    Internal::PortalBack(conn) => {
                        (portal, portal_rx) = conn.split();
                        portal_up = true;
                        customer.say("Reconnected to the support portal.");
                        if recording.wants_token() {
                            // The recording goes on where it stopped.
                            let _ = portal.send(ClientMessage::Recording { allowed: true });
                        }
                    }
                    Internal::Recording(RecordingEvent::Retry) => {
                        if recording.wants_token() && portal_up {
                            let _ = portal.send(ClientMessage::Recording { allowed: true });
                        }
                    }
                    Internal::Recording(ev) => {
                        if let Some(said) = recording.handle(ev) {
                            customer.say(said);
                        }
                        customer.recording(recording.is_on());
                    }
                    Internal::PortalGone(why) => break format!("the connection to the portal was lost ({why})"),
                    Internal::Transfer(id, ev) => {
                        if let Some(p) = peers.get_mut(&id)
                            && let Some(f) = p.files.as_mut()
                        {
                            let name = agent.name_for_customer(id).unwrap_or("Someone");
                            if let Some(done) = transfers::on_event(f, id, name, ev, customer, &files) {
                                let _ = portal.send(ClientMessage::Activity(done));
                            }
                        }
                    }
                    Internal::LinkFailed(id, attempt, _) if !is_current(&peers, id, attempt) => {}
                    Internal::LinkFailed(id, _, why) => {
                        tracing::warn!(attendee = %id, "peer connection failed: {why}");
                        agent.handle_attendee_left(id);
                        drop_peer(&mut peers, id, customer).await;
                        offer_again_later(&present, id, &internal_tx);
                    }
                    Internal::Reoffer(id) => {
                        if let Some(info) = present.get(&id).filter(|_| !peers.contains_key(&id)) {
                            agent.handle_attendee_announced(info, Instant::now());
                            if consent.view {
                                connect(&mut peers, info, &portal, &transport, &internal_tx);
                            }
                        }
                    }
                    Internal::Link(id, attempt, _) if !is_current(&peers, id, attempt) => {}
                    Internal::Link(id, _, LinkEvent::Message(_, bytes)) => agent.handle_datagram(id, &bytes, Instant::now()),
                    Internal::Link(id, _, LinkEvent::Closed(why)) => {
                        tracing::info!(attendee = %id, "link closed: {why}");
                        agent.handle_attendee_left(id);
                        drop_peer(&mut peers, id, customer).await;
                        offer_again_later(&present, id, &internal_tx);
                    }
                }
            }
            out = capture_rx.recv() => match out {
                Some(CaptureOut::Update { size, tiles }) => {
                    if let Some(r) = recording.sending()
                        && r.update(size, &tiles) == Merged::FellBehind
                    {
                        tracing::debug!("the recording fell behind: it gets a keyframe");
                        recording.fell_behind();
                        let _ = capture_cmd.send(CaptureCommand::Keyframe(recorder::RECORDER));
                    }
                    for id in agent.frame_recipients() {
                        if let Some(p) = peers.get(&id)
                            && p.frames.merge(size, &tiles) == Merged::FellBehind
                        {
                            let _ = capture_cmd.send(CaptureCommand::Keyframe(id));
                        }
                    }
                }
                Some(CaptureOut::Keyframe { attendee, size, tiles }) if attendee == recorder::RECORDER => {
                    if let Some(r) = recording.keyframe_arrived() {
                        r.keyframe(size, &tiles, &cursor);
                    }
                }
                Some(CaptureOut::Keyframe { attendee, size, tiles }) => {
                    // Rights may have changed since it was asked for: the core decides.
                    let deliver = agent.handle_keyframe_sent(attendee);
                    if let Some(p) = peers.get(&attendee).filter(|_| deliver) {
                        p.frames.replace(size, &tiles);
                        if let Some(tx) = &p.control {
                            cursor.current().into_iter().for_each(|m| { let _ = tx.send(m); });
                        }
                    }
                }
                Some(CaptureOut::Cursor { position, shape }) => {
                    let msgs = cursor.update(position, shape);
                    if let Some(r) = recording.sending() {
                        r.cursor(&msgs);
                    }
                    for tx in agent.frame_recipients().iter().filter_map(|id| peers.get(id)?.control.as_ref()) {
                        msgs.iter().for_each(|m| { let _ = tx.send(m.clone()); });
                    }
                }
                Some(CaptureOut::Failed(why)) => break format!("screen capture stopped: {why}"),
                None => break "screen capture stopped".to_owned(),
            },
            cmd = customer.next_command(), if terminal_open => match cmd {
                None => {
                    // No terminal (started detached): the session runs until ended elsewhere.
                    tracing::debug!("terminal closed; the session stays up");
                    terminal_open = false;
                }
                Some(command) => match commands::handle(command, &mut commands::Context {
                    agent: &mut agent,
                    peers: &mut peers,
                    customer,
                    portal: &portal,
                    reboot_asked_by: &mut reboot_asked_by,
                    resume: (&mut resume_state, &state_dir),
                }) {
                    commands::Outcome::Continue => {}
                    commands::Outcome::End(reason) => break reason,
                    commands::Outcome::Reboot => {
                        rebooting = true;
                        break "the customer's machine is rebooting".to_owned();
                    }
                },
            },
            Some(copied) = clipboard_rx.recv() => share_clipboard(&mut agent, copied, customer),
            () = sleep => agent.handle_timeout(Instant::now()),
            () = &mut shutdown => break "the customer ended the session".to_owned(),
        }
        for (id, p) in peers.iter_mut() {
            if let Some(f) = p.files.as_mut() {
                let now = agent.effective_rights(*id).contains(Rights::FILES);
                f.allowed
                    .send_if_modified(|v| std::mem::replace(v, now) != now);
            }
        }
        drain_events(
            &mut agent,
            &mut peers,
            (&capture_cmd, &inject_tx, asked_epochs, clipboard.as_ref()),
            customer,
            &mut reboot_request,
            files.shared.as_deref(),
            &mut present,
        )
        .await;
        for (id, p) in &mut peers {
            if let Some(folder) = p.unreported_listing.take() {
                let listed = SessionActivity::FolderListing {
                    attendee: *id,
                    folder,
                };
                let _ = portal.send(ClientMessage::Activity(listed));
            }
        }
        flush(&mut agent, &peers);
        if let Some(c) = clipboard.as_mut() {
            c.watch(agent.clipboard_recipients() > 0);
        }
        // What the customer is told is derived here, once per turn, from the enforced state.
        customer.show_view(agent.customer_view());
        // The recording holds only what someone sees: it starts again with a keyframe.
        if recording.follow(!agent.frame_recipients().is_empty()) {
            let _ = capture_cmd.send(CaptureCommand::Keyframe(recorder::RECORDER));
        }
        // A restart asked by someone who left or lost the right meanwhile is withdrawn.
        if let Some(id) = reboot_asked_by
            && !agent.effective_rights(id).contains(Rights::REBOOT)
        {
            reboot_asked_by = None;
            customer.settle(QuestionKey::Reboot);
            customer.say("The request to restart your computer was withdrawn.");
        }
        if let Some(from) = reboot_request.take().filter(|_| reboot_asked_by.is_none()) {
            let name = agent
                .name_for_customer(from)
                .unwrap_or("Your representative");
            if reboot.auto_accept {
                customer.say(&format!(
                    "{name} restarts your computer (agreed in advance)."
                ));
                rebooting = true;
                reboot_asked_by = Some(from);
                break "the customer's machine is rebooting".to_owned();
            }
            customer.ask(Question::Reboot {
                from: name.to_owned(),
            });
            reboot_asked_by = Some(from);
        }
        // A question just opened: presses already queued must not land on it.
        if customer.is_asking() && !was_asking {
            asked_epochs += 1;
        }
        was_asking = customer.is_asking();
        inject_tx.advance(agent.control_epoch() + asked_epochs);
    };

    if rebooting {
        if let Some(attendee) = reboot_asked_by {
            let _ = portal.send(ClientMessage::Activity(SessionActivity::Reboot {
                attendee,
            }));
        }
        // The session waits at the portal; the resume record and autostart bring us back.
        agent.announce_reboot();
    } else {
        agent.end(&reason);
        let _ = portal.send(ClientMessage::EndSession {
            reason: reason.clone(),
        });
    }
    flush(&mut agent, &peers);
    portal.close().await;
    let _ = capture_cmd.send(CaptureCommand::Stop);
    // Closing each control queue lets its writer send what is queued (the end message) and
    // stop; wait for that, briefly, before closing the links.
    let writers: Vec<_> = peers
        .values_mut()
        .filter_map(|p| {
            p.control = None;
            p.writer.take()
        })
        .collect();
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        futures_util::future::join_all(writers),
    )
    .await;
    recording.finish().await;
    // Each viewer closes its side once it has read the end message; wait for that (briefly)
    // so our close never overtakes the reason.
    let mut open: std::collections::HashSet<AttendeeId> = peers
        .iter()
        .filter(|(_, p)| p.link.is_some())
        .map(|(id, _)| *id)
        .collect();
    // The same holds for the reboot notice: a link closed under it can lose it, and the
    // representative would see a plain drop instead of "rebooting…".
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while !open.is_empty() {
            match internal_rx.recv().await {
                Some(Internal::Link(id, _, LinkEvent::Closed(_))) => {
                    open.remove(&id);
                }
                Some(_) => {}
                None => break,
            }
        }
    })
    .await;
    for p in peers.values() {
        if let Some(link) = &p.link {
            link.close().await;
        }
    }
    customer.show_view(tandem_protocol::customer_view::CustomerView::default());
    if rebooting {
        crate::recovery::reboot_now(&reboot, &state_dir, display.as_deref(), customer).await;
    }
    Ok(SessionEnd { reason, rebooting })
}

#[path = "session_events.rs"]
mod events;
use events::{drain_events, flush, share_clipboard};

#[path = "session_commands.rs"]
mod commands;
#[path = "session_links.rs"]
mod links;
use links::{attach, connect, drop_peer, is_current, offer_again_later};
