//! The links to attendees: offering one, attaching it to the session loop once open,
//! dropping it, and offering it again after a drop. Part of the session loop.

use super::*;

/// Numbers link attempts across the session, so results of replaced attempts are told apart.
static ATTEMPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Is `attempt` the attempt the attendee's peer is on now?
pub(super) fn is_current(peers: &HashMap<AttendeeId, Peer>, id: AttendeeId, attempt: u64) -> bool {
    peers.get(&id).is_some_and(|p| p.attempt == attempt)
}

/// Starts WebRTC negotiation with a new attendee: we offer, the portal relays the answer.
pub(super) fn connect(
    peers: &mut HashMap<AttendeeId, Peer>,
    info: &AttendeeInfo,
    portal: &PortalSender,
    transport: &TransportConfig,
    internal: &mpsc::UnboundedSender<Internal>,
) {
    let (answer_tx, answer_rx) = oneshot::channel();
    let (relay_tx, relay_rx) = oneshot::channel();
    let attempt = ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    peers.insert(
        info.id,
        Peer {
            attempt,
            last_listing: None,
            unreported_listing: None,
            control: None,
            frames: Arc::new(PendingFrames::default()),
            link: None,
            writer: None,
            files: None,
            answer: Some(answer_tx),
            relay: Some(relay_tx),
        },
    );
    let id = info.id;
    let portal = portal.clone();
    let cfg = transport.clone();
    let internal = internal.clone();
    tokio::spawn(async move {
        let result = offer_link(id, &cfg, &portal, answer_rx, relay_rx).await;
        let _ = internal.send(match result {
            Ok(link) => Internal::LinkUp(id, attempt, link),
            Err(e) => Internal::LinkFailed(id, attempt, e),
        });
    });
}

/// A link opened: start its writer and forward its events into the loop.
pub(super) fn attach(
    peers: &mut HashMap<AttendeeId, Peer>,
    id: AttendeeId,
    attempt: u64,
    link: Link,
    internal: &mpsc::UnboundedSender<Internal>,
    files: &FileSettings,
    files_allowed: bool,
) {
    let Some(peer) = peers.get_mut(&id) else {
        // The attendee left during negotiation.
        tokio::spawn(async move { link.sender.close().await });
        return;
    };
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    peer.writer = Some(tokio::spawn(run_writer(
        link.sender.clone(),
        control_rx,
        peer.frames.clone(),
    )));
    peer.control = Some(control_tx);
    let (peer_files, mut transfer_events) =
        transfers::start(link.sender.clone(), files, files_allowed);
    peer.files = Some(peer_files);
    peer.link = Some(link.sender);
    let forward = internal.clone();
    tokio::spawn(async move {
        while let Some(ev) = transfer_events.recv().await {
            if forward.send(Internal::Transfer(id, ev)).is_err() {
                break;
            }
        }
    });
    let internal = internal.clone();
    let mut events = link.events;
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            let closed = matches!(ev, LinkEvent::Closed(_));
            if internal.send(Internal::Link(id, attempt, ev)).is_err() || closed {
                break;
            }
        }
    });
}

/// Closes the link to an attendee the core no longer has. The customer is not told here:
/// the view derived from the core says who stopped seeing the screen. Their questions to
/// the customer are withdrawn.
pub(super) async fn drop_peer(
    peers: &mut HashMap<AttendeeId, Peer>,
    id: AttendeeId,
    customer: &mut Customer,
) {
    customer.settle_where(|key| match key {
        QuestionKey::Browse(who) | QuestionKey::Control(who) => *who == id,
        QuestionKey::Transfer(tag) => transfers::parse_tag(tag).is_some_and(|(who, _)| who == id),
        QuestionKey::Consent | QuestionKey::Reboot => false,
    });
    if let Some(link) = peers.remove(&id).and_then(|p| p.link) {
        // In the background: a slow close must not hold up the session loop.
        tokio::spawn(async move { link.close().await });
    }
}

/// The link to an attendee the portal still counts as present dropped: offer a new one in a
/// moment (the viewer waits for it), unless the portal says they left meanwhile.
pub(super) fn offer_again_later(
    present: &HashMap<AttendeeId, AttendeeInfo>,
    id: AttendeeId,
    internal: &mpsc::UnboundedSender<Internal>,
) {
    if !present.contains_key(&id) {
        return;
    }
    let internal = internal.clone();
    tokio::spawn(async move {
        // A pause between attempts so a failing path is not hammered.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = internal.send(Internal::Reoffer(id));
    });
}
