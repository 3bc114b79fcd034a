//! What the customer asks for during the session (typed or clicked). Part of the session
//! loop; every change of rights goes through the core, and the window follows the core.

use super::*;

/// The session loop's state a command may touch.
pub(super) struct Context<'a> {
    pub agent: &'a mut AgentSession,
    pub peers: &'a mut HashMap<AttendeeId, Peer>,
    pub customer: &'a mut Customer,
    pub portal: &'a PortalSender,
    pub reboot_asked_by: &'a mut Option<AttendeeId>,
    /// The resume record and where it lives: it keeps "Stop control" across a reboot.
    pub resume: (&'a mut Option<resume::ResumeState>, &'a std::path::Path),
}

/// What the loop does next.
pub(super) enum Outcome {
    Continue,
    End(String),
    Reboot,
}

pub(super) fn handle(command: CustomerCommand, cx: &mut Context<'_>) -> Outcome {
    let Context {
        agent,
        peers,
        customer,
        portal,
        reboot_asked_by,
        resume: (record, state_dir),
    } = cx;
    match command {
        CustomerCommand::End => return Outcome::End("the customer ended the session".into()),
        // Only asked before the session; a late click changes nothing.
        CustomerCommand::Consent(_) => {}
        CustomerCommand::Accept(tag) => {
            customer.settle(QuestionKey::Transfer(tag.clone()));
            transfers::decide_transfer(
                files_for(peers, &tag),
                customer,
                &tag,
                transfers::Verdict::Accept,
            );
        }
        CustomerCommand::Refuse(tag) => {
            customer.settle(QuestionKey::Transfer(tag.clone()));
            transfers::decide_transfer(
                files_for(peers, &tag),
                customer,
                &tag,
                transfers::Verdict::Refuse,
            );
        }
        CustomerCommand::Cancel(tag) => {
            transfers::decide_transfer(
                files_for(peers, &tag),
                customer,
                &tag,
                transfers::Verdict::Cancel,
            );
        }
        CustomerCommand::AllowBrowse(id) => {
            customer.settle(QuestionKey::Browse(id));
            // Only someone the customer may see: a masked attendee is "nobody" here.
            match agent.name_for_customer(id).map(str::to_owned) {
                Some(name) if agent.allow_browse(id) => customer.say(&format!(
                    "{name} may now see the files in your shared folder, for this session."
                )),
                _ => customer.say(&format!("Nobody is in your session as {}.", id.to_wire())),
            }
        }
        CustomerCommand::RefuseBrowse(id) => {
            customer.settle(QuestionKey::Browse(id));
            if !agent.refuse_browse(id, "the customer did not allow browsing their files") {
                customer.say(&format!("Nothing waits for an answer as {}.", id.to_wire()));
            }
        }
        CustomerCommand::Reboot => {
            customer.settle(QuestionKey::Reboot);
            if reboot_asked_by.is_some() {
                return Outcome::Reboot;
            }
            customer.say("Nobody asked to restart your computer.");
        }
        CustomerCommand::DeclineReboot => {
            customer.settle(QuestionKey::Reboot);
            if reboot_asked_by.take().is_some() {
                customer.say("You declined the restart.");
                let _ = portal.send(ClientMessage::Chat {
                    text: "I declined the restart.".into(),
                    reps_only: false,
                });
            }
        }
        CustomerCommand::Chat(text) => {
            let _ = portal.send(ClientMessage::Chat {
                text,
                reps_only: false,
            });
        }
        CustomerCommand::KeepControl(id) => {
            customer.settle(QuestionKey::Control(id));
            agent.decline_control(id);
        }
        CustomerCommand::RevokeControl | CustomerCommand::GiveControlBack => {
            if command == CustomerCommand::RevokeControl {
                agent.revoke_all_control();
            } else {
                agent.give_control_back();
                // Whoever asked for control has it now.
                customer.settle_where(|key| matches!(key, QuestionKey::Control(_)));
            }
            if let Some(r) = record.as_mut() {
                r.control = agent.control_allowed();
                if let Err(e) = resume::save(state_dir, r) {
                    tracing::warn!("cannot update the resume record: {e}");
                }
            }
            // The portal shows the host what the customer allows now.
            for id in peers.keys() {
                let _ = portal.send(ClientMessage::Consent {
                    attendee: *id,
                    allowed: agent.effective_rights(*id),
                });
            }
        }
        CustomerCommand::Status => {
            for line in agent.customer_view().sentences() {
                customer.say(&line);
            }
        }
    }
    Outcome::Continue
}

/// The transfers of the attendee a customer's tag ("2-7") names, and the transfer id.
fn files_for<'a>(
    peers: &'a mut HashMap<AttendeeId, Peer>,
    tag: &str,
) -> Option<(&'a mut PeerFiles, u32)> {
    let (who, id) = transfers::parse_tag(tag)?;
    Some((peers.get_mut(&who)?.files.as_mut()?, id))
}
