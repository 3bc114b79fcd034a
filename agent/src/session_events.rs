//! The core's events turned into actions (input to inject, questions to ask, keyframes,
//! files, attendees gone) and its messages sent to each attendee. Part of the session loop.

use super::*;

pub(super) async fn drain_events(
    agent: &mut AgentSession,
    peers: &mut HashMap<AttendeeId, Peer>,
    (capture, inject, asked, clipboard): (
        &std::sync::mpsc::Sender<CaptureCommand>,
        &crate::pipeline::InjectQueue,
        u64,
        Option<&Clipboard>,
    ),
    customer: &mut Customer,
    reboot_asked: &mut Option<AttendeeId>,
    shared: Option<&std::path::Path>,
    present: &mut HashMap<AttendeeId, AttendeeInfo>,
) {
    while let Some(ev) = agent.poll_event() {
        match ev {
            AgentEvent::Inject { event, .. } => {
                // While the customer is asked something, nobody in control may answer for
                // them: presses wait (moves and releases pass, so nothing stays held down).
                if customer.is_asking() && is_press(&event) {
                    tracing::info!("remote press held back while the customer answers a question");
                    continue;
                }
                inject.send(agent.control_epoch() + asked, event);
            }
            AgentEvent::InputRefused { from, count } => {
                // Counted, never the content: keystrokes do not belong in logs.
                if count == 1 || count.is_power_of_two() {
                    tracing::warn!(attendee = %from, refused = count, "dropped input from an attendee without control");
                }
            }
            AgentEvent::RebootRequested { from } => *reboot_asked = Some(from),
            AgentEvent::ControlRequested { from } => {
                let name = agent
                    .name_for_customer(from)
                    .unwrap_or("Your representative");
                customer.ask(Question::Control {
                    attendee: from,
                    from: name.to_owned(),
                });
            }
            AgentEvent::File { from, message } => {
                if let Some(p) = peers.get_mut(&from) {
                    // Every listing is shown as it happens (the core checked the path). The
                    // same folder twice in a row is said once.
                    if let (tandem_protocol::wire::Message::ListDir { path, .. }, Some(root)) =
                        (&message, shared)
                    {
                        let folder = transfers::folder_in(root, path);
                        let name = agent.name_for_customer(from).unwrap_or("Someone");
                        if p.last_listing.as_deref() != Some(folder.as_str()) {
                            customer.say(&format!("{name} looks at the files in '{folder}'."));
                            // The record names the folder inside the shared one, never where
                            // the customer keeps it.
                            let inside = path.trim_matches('/');
                            p.unreported_listing = Some(if inside.is_empty() {
                                "(the shared folder)".to_owned()
                            } else {
                                inside.to_owned()
                            });
                            p.last_listing = Some(folder);
                        }
                    }
                    if let Some(f) = p.files.as_mut() {
                        f.transfers.handle(message);
                    }
                }
            }
            AgentEvent::NeedsKeyframe { attendee } => {
                let _ = capture.send(CaptureCommand::Keyframe(attendee));
            }
            AgentEvent::BrowseRequested { from, path, fetch } => {
                let name = agent.name_for_customer(from).unwrap_or("Someone");
                match shared {
                    Some(root) => {
                        customer.ask(transfers::browse_question(name, from, root, &path, fetch))
                    }
                    // Nothing to ask about: the transfers would refuse it anyway.
                    None => {
                        agent.refuse_browse(from, "nothing is shared here");
                    }
                }
            }
            AgentEvent::ClipboardReceived { from, clip } => {
                // Told every time, with what and by whom, never the content.
                let name = agent
                    .name_for_customer(from)
                    .unwrap_or("Your representative");
                match clipboard {
                    Some(c) => {
                        customer.say(&format!(
                            "{name} put {} on your clipboard.",
                            clip.describe()
                        ));
                        c.set(clip);
                    }
                    None => tracing::info!(
                        "a clip arrived, but this desktop's clipboard is not reachable"
                    ),
                }
            }
            AgentEvent::AttendeeEnded { attendee, reason } => {
                tracing::info!(attendee = %attendee, "attendee left: {reason}");
                // They said goodbye: no new link until the portal announces them again.
                present.remove(&attendee);
                drop_peer(peers, attendee, customer).await;
            }
            AgentEvent::AttendeeLost { attendee, reason } => {
                tracing::info!(attendee = %attendee, "attendee gone: {reason}");
                drop_peer(peers, attendee, customer).await;
            }
            other => tracing::debug!("unhandled agent event {other:?}"),
        }
    }
}

/// The customer copied something while someone may receive it: it goes to them, and the
/// customer is told who got what.
pub(super) fn share_clipboard(
    agent: &mut AgentSession,
    copied: ClipboardOut,
    customer: &mut Customer,
) {
    match copied {
        ClipboardOut::Copied(clip) => {
            let to = agent.share_clipboard(&clip);
            let names: Vec<&str> = to
                .iter()
                .map(|id| {
                    agent
                        .name_for_customer(*id)
                        .unwrap_or("your representative")
                })
                .collect();
            if !names.is_empty() {
                customer.say(&format!(
                    "What you copied, {}, was shared with {}.",
                    clip.describe(),
                    names.join(", ")
                ));
            }
        }
        ClipboardOut::NotShared(why) => {
            customer.say(&format!("Your clipboard was not shared: {why}."))
        }
        // only read when watching, which never answers "nothing"
        ClipboardOut::Nothing => {}
    }
}

pub(super) fn flush(agent: &mut AgentSession, peers: &HashMap<AttendeeId, Peer>) {
    while let Some(t) = agent.poll_transmit() {
        if let Some(tx) = peers.get(&t.to).and_then(|p| p.control.as_ref()) {
            let _ = tx.send((t.channel, t.payload));
        }
    }
}

/// A click, a key press, a wheel turn or typed text: what could answer a question.
fn is_press(event: &InputEvent) -> bool {
    match event {
        InputEvent::PointerMove { .. } => false,
        InputEvent::PointerButton { down, .. } | InputEvent::Key { down, .. } => *down,
        _ => true,
    }
}
