//! The links to attendees: offering one, attaching it to the session loop once open,
//! dropping it, and offering it again after a drop. Part of the session loop.

use super::*;

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
    peers.insert(
        info.id,
        Peer {
            name: info.name.clone(),
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
            Ok(link) => Internal::LinkUp(id, link),
            Err(e) => Internal::LinkFailed(id, e),
        });
    });
}

/// A link opened: start its writer and forward its events into the loop.
pub(super) fn attach(
    peers: &mut HashMap<AttendeeId, Peer>,
    id: AttendeeId,
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
            if internal.send(Internal::Link(id, ev)).is_err() || closed {
                break;
            }
        }
    });
}

pub(super) async fn drop_peer(
    peers: &mut HashMap<AttendeeId, Peer>,
    id: AttendeeId,
    customer: &Customer,
    what: &str,
) {
    if let Some(p) = peers.remove(&id) {
        customer.say(&format!("{} {what}.", p.name));
        if let Some(link) = p.link {
            link.close().await;
        }
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
