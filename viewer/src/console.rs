//! The representative's text console beside the session window: chat, attendees, rights and
//! invitations typed on the terminal.

use tandem_protocol::clipboard::Clip;
use tandem_protocol::signal::{ClientMessage, InviteTarget, PortalMessage};
use tandem_protocol::{AttendeeId, Rights};
use tokio::sync::mpsc;

use crate::session::UiCommand;
use crate::stdin::{self, OnClose};
use tandem_transport::files::TransferEvent;

const HELP: &str = "commands: chat <text> | note <text> (representatives only) | reps | \
invite specialist view|control | cancel <key> | invite rep <user> view|control [masked] | \
invite portal <name> view|control [masked] | grant <attendee> <rights> | \
revoke <attendee> <rights> (rights: view, control, chat, files, reboot, clipboard, joined by \
'+'; the others stay as they are) | remove <attendee> | send <local file> | fetch <path> | \
ls [path] | cancel-transfer <id> | reboot | ask-control (after the customer took it away) | \
clip <text> | clip-png <local file> (onto the customer's clipboard) | keys ctrl-alt-del|super|\
alt-tab|print-screen|alt-f4|ctrl-esc | quit";

/// Parses one console line.
pub fn parse(line: &str) -> Result<UiCommand, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let rest = |n: usize| words.get(n..).map(|w| w.join(" ")).unwrap_or_default();
    let rights = |w: Option<&&str>| -> Result<Rights, String> {
        w.ok_or("which rights?")?
            .parse::<Rights>()
            .map_err(|e| e.to_string())
    };
    let attendee = |w: Option<&&str>| -> Result<AttendeeId, String> {
        w.and_then(|w| w.trim_start_matches('#').parse().ok())
            .map(AttendeeId::from_wire)
            .ok_or_else(|| "which attendee (a number)?".to_owned())
    };
    let msg = match words.as_slice() {
        ["chat", ..] => ClientMessage::Chat {
            text: rest(1),
            reps_only: false,
        },
        ["note", ..] => ClientMessage::Chat {
            text: rest(1),
            reps_only: true,
        },
        ["reps"] => ClientMessage::ListReps,
        ["invite", "specialist", r] => ClientMessage::InviteSpecialist {
            rights: rights(Some(r))?,
        },
        ["cancel", key] => ClientMessage::CancelSpecialistInvitation {
            key: key.parse().map_err(|e| format!("{e}"))?,
        },
        ["invite", kind @ ("rep" | "portal"), who, r, tail @ ..] => ClientMessage::InviteReps {
            target: if *kind == "rep" {
                InviteTarget::Rep {
                    user: (*who).into(),
                }
            } else {
                InviteTarget::Portal {
                    portal: (*who).into(),
                }
            },
            rights: rights(Some(r))?,
            masked: tail.first() == Some(&"masked"),
            comment: tail
                .iter()
                .skip_while(|w| **w == "masked")
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
        },
        [verb @ ("grant" | "revoke"), a, r] => change_rights(verb, attendee(Some(a))?, r)?,
        ["remove", a] => ClientMessage::RemoveAttendee {
            attendee: attendee(Some(a))?,
        },
        ["quit"] => return Ok(UiCommand::Leave),
        ["reboot"] => return Ok(UiCommand::Reboot),
        ["ask-control"] => return Ok(UiCommand::RequestControl),
        ["keys", name] => {
            return tandem_protocol::input::special_keys(name)
                .map(UiCommand::Keys)
                .ok_or_else(|| format!("no special keys '{name}'\n{HELP}"));
        }
        ["clip", _, ..] => {
            let text = line
                .trim_start()
                .strip_prefix("clip")
                .unwrap_or("")
                .trim_start();
            return Clip::text(text.to_owned())
                .map(UiCommand::Clipboard)
                .map_err(|e| e.to_string());
        }
        ["clip-png", ..] => {
            let path = rest(1);
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            return Clip::png(bytes)
                .map(UiCommand::Clipboard)
                .map_err(|e| e.to_string());
        }
        ["send", ..] => return Ok(UiCommand::SendFile(rest(1).into())),
        ["fetch", ..] => return Ok(UiCommand::FetchFile(rest(1))),
        ["ls", ..] => return Ok(UiCommand::ListDir(rest(1))),
        ["cancel-transfer", id] => {
            return id
                .parse()
                .map(UiCommand::CancelTransfer)
                .map_err(|_| "which transfer (a number)?".to_owned());
        }
        _ => return Err(HELP.into()),
    };
    Ok(UiCommand::Portal(msg))
}

/// The rights a `grant` or `revoke` names, each word meaning only itself. (Parsed as
/// [`Rights`], "control" means view and control, as an invitation should; but `revoke 3
/// control` must leave the view. The portal adds view to a granted control itself.)
pub fn named_rights(words: &str) -> Result<Rights, String> {
    words.split('+').try_fold(Rights::NONE, |named, word| {
        let right = match word.trim() {
            "control" => Rights::CONTROL,
            other => other.parse::<Rights>().map_err(|e| e.to_string())?,
        };
        Ok(named.union(right))
    })
}

/// `grant` or `revoke` (`verb`) the rights `words` names to `attendee`: only those change,
/// so a view and chat specialist granted control keeps its chat.
pub fn change_rights(
    verb: &str,
    attendee: AttendeeId,
    words: &str,
) -> Result<ClientMessage, String> {
    let named = named_rights(words)?;
    let (grant, revoke) = match verb {
        "grant" => (named, Rights::NONE),
        "revoke" => (Rights::NONE, named),
        other => return Err(format!("'{other}' is neither grant nor revoke")),
    };
    Ok(ClientMessage::ChangeRights {
        attendee,
        grant,
        revoke,
    })
}

/// Reads console lines from stdin; mistakes print the help.
pub fn spawn_stdin(commands: mpsc::UnboundedSender<UiCommand>) {
    let parse_one = |line: &str| parse(line).map(|c| vec![c]);
    stdin::spawn_reader(
        "tandem-console",
        parse_one,
        commands,
        |help| eprintln!("{help}"),
        OnClose::Stay,
    );
}

/// Shows a transfer's progress (a bar per tenth) and outcome on the terminal.
pub fn show_transfer(t: &TransferEvent) {
    match t {
        TransferEvent::Progress { id, done, total } => {
            let tenth = (done * 10).checked_div(*total).unwrap_or(10);
            if *done == *total || done * 100 / (*total).max(1) % 10 == 0 {
                eprintln!(
                    "transfer {id} [{}{}] {}%",
                    "#".repeat(tenth as usize),
                    ".".repeat(10 - tenth as usize),
                    tenth * 10
                );
            }
        }
        TransferEvent::Completed { id, file, .. } => eprintln!("transfer {id} done: {file}"),
        TransferEvent::Failed { id, reason } => eprintln!("transfer {id} stopped: {reason}"),
        TransferEvent::Listing { entries, .. } => {
            for e in entries {
                eprintln!(
                    "  {}{}  {}",
                    e.name,
                    if e.is_dir { "/" } else { "" },
                    if e.is_dir {
                        String::new()
                    } else {
                        e.size.to_string()
                    }
                );
            }
        }
        other => tracing::debug!("{other:?}"),
    }
}

/// Shows portal news on the terminal.
pub fn show(msg: &PortalMessage) {
    match msg {
        PortalMessage::Roster { attendees } => {
            eprintln!("Attendees:");
            for a in attendees {
                eprintln!(
                    "  #{:<3} {:<24} {:?}{}  {}",
                    a.id.to_wire(),
                    a.name,
                    a.role,
                    if a.masked { " (masked)" } else { "" },
                    a.rights.describe()
                );
            }
        }
        PortalMessage::Chat {
            name,
            text,
            reps_only,
            ..
        } => {
            eprintln!(
                "[{}] {name}: {text}",
                if *reps_only { "reps" } else { "chat" }
            );
        }
        PortalMessage::SpecialistInvited(inv) => eprintln!(
            "Specialist invitation (support key {}):\n{}",
            inv.key, inv.email
        ),
        PortalMessage::Reps { reps } => {
            for r in reps {
                eprintln!(
                    "  {:<16} {:<24} portal {:<12} {} active session(s)",
                    r.user, r.name, r.portal, r.active_sessions
                );
            }
        }
        PortalMessage::InvitationAnswered { by, accepted, .. } => {
            eprintln!(
                "{by} {} your invitation.",
                if *accepted { "accepted" } else { "declined" }
            );
        }
        PortalMessage::Error { message, .. } => eprintln!("portal: {message}"),
        // Its type only: fields hold codes, support keys, links and SDP.
        other => tracing::debug!("portal message '{}'", other.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_lines() {
        assert!(matches!(
            parse("chat hello there"),
            Ok(UiCommand::Portal(ClientMessage::Chat {
                reps_only: false,
                ..
            }))
        ));
        assert!(matches!(
            parse("invite rep bob control masked please look at the printer"),
            Ok(UiCommand::Portal(ClientMessage::InviteReps { masked: true, ref comment, .. })) if comment == "please look at the printer"
        ));
        assert!(parse("grant x view").is_err());
        assert!(parse("grant 3 root").is_err());
        assert!(parse("frobnicate").is_err());
    }

    fn change(line: &str) -> (AttendeeId, Rights, Rights) {
        match parse(line) {
            Ok(UiCommand::Portal(ClientMessage::ChangeRights {
                attendee,
                grant,
                revoke,
            })) => (attendee, grant, revoke),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn grant_and_revoke_name_only_the_rights_they_change() {
        let three = AttendeeId::from_wire(3);
        // Granting control sends no rights to replace the grant with, so the portal keeps
        // the specialist's chat (issue 9: `rights 3 control` set view+control and lost it).
        assert_eq!(
            change("grant #3 control"),
            (three, Rights::CONTROL, Rights::NONE)
        );
        // Taking control away leaves the view.
        assert_eq!(
            change("revoke 3 control"),
            (three, Rights::NONE, Rights::CONTROL)
        );
        assert_eq!(
            change("grant 3 chat+files"),
            (three, Rights::CHAT.union(Rights::FILES), Rights::NONE)
        );
        assert_eq!(change("revoke 3 view"), (three, Rights::NONE, Rights::VIEW));
        assert!(
            parse("rights 3 control").is_err(),
            "replaced by grant/revoke"
        );
    }
}
