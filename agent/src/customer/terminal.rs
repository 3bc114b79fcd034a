//! The terminal front-end: for automation and headless use (`--no-window`). It prints the
//! same sentences as the window, one per line, plain text only (no escape codes: the
//! session's warnings go to the log file, never here), and reads typed commands.

use tandem_protocol::AttendeeId;
use tandem_protocol::chat::check_chat_text;
use tandem_protocol::rights::Consent;
use tokio::sync::mpsc;

use super::{ConsentAnswer, CustomerCommand, FromCustomer, UiEvent};

/// Reads lines from standard input on a plain thread (tokio's stdin keeps the runtime alive
/// at shutdown).
pub(super) fn read_stdin() -> mpsc::UnboundedReceiver<FromCustomer> {
    let (tx, rx) = mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("tandem-stdin".into())
        .spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if tx.send(FromCustomer::Line(line)).is_err() {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot read the terminal: {e}");
    }
    rx
}

/// The lines an event prints (none for events the window alone needs).
pub(crate) fn lines(event: &UiEvent) -> Vec<String> {
    match event {
        UiEvent::Status(s) | UiEvent::Notice(s) => vec![s.clone()],
        UiEvent::Ask(q) => vec![format!("{} {}", q.text(), q.terminal_hint())],
        UiEvent::Chat(c) => vec![format!("[chat {}] {}: {}", c.time, c.from, c.text)],
        UiEvent::Progress(p) => {
            let tenth = usize::from(p.percent / 10);
            vec![format!(
                "transfer {} [{}{}] {}%  (type 'cancel {}' to stop it)",
                p.tag,
                "#".repeat(tenth),
                ".".repeat(10 - tenth),
                p.percent,
                p.tag
            )]
        }
        UiEvent::Ended(reason) => vec![format!("Session ended: {reason}.")],
        // The changes were already said as notices; `status` prints the whole list.
        // The session says recording starts and stops as notices too.
        UiEvent::View(_)
        | UiEvent::Settled(_)
        | UiEvent::TransferOver(_)
        | UiEvent::Recording(_) => vec![],
    }
}

pub(super) fn print(event: &UiEvent) {
    for line in lines(event) {
        println!("{line}");
    }
}

/// An answer to the consent question ("control", "view record"…); `None` if it is not one.
pub(super) fn parse_consent(line: &str) -> Option<ConsentAnswer> {
    let line = line.trim().to_ascii_lowercase();
    let mut words = line.split_whitespace();
    let consent = match words.next().unwrap_or("") {
        "view" | "v" | "y" | "yes" => Consent {
            view: true,
            control: false,
        },
        "control" | "c" => Consent::ALL,
        "no" | "n" | "decline" | "" => Consent::default(),
        _ => return None,
    };
    let record = match words.next() {
        None => false,
        Some("record") if consent.view => true,
        Some(_) => return None,
    };
    if words.next().is_some() {
        return None;
    }
    Some(ConsentAnswer { consent, record })
}

/// One line the customer typed: a command, nothing (an empty line), or words to show them.
pub fn parse_command(line: &str) -> Result<Option<CustomerCommand>, String> {
    let line = line.trim();
    let arg = |prefix: &str| line[prefix.len()..].trim().to_owned();
    let attendee = |arg: &str| arg.parse::<u32>().ok().map(AttendeeId::from_wire);
    Ok(Some(match line {
        "" => return Ok(None),
        "end" | "quit" | "q" => CustomerCommand::End,
        "revoke" | "stop-control" => CustomerCommand::RevokeControl,
        "give-control" => CustomerCommand::GiveControlBack,
        "status" => CustomerCommand::Status,
        "reboot" => CustomerCommand::Reboot,
        "no-reboot" => CustomerCommand::DeclineReboot,
        l if l.starts_with("accept ") => CustomerCommand::Accept(arg("accept ")),
        l if l.starts_with("allow-browse ") => match attendee(&arg("allow-browse ")) {
            Some(id) => CustomerCommand::AllowBrowse(id),
            None => {
                return Err(
                    "type 'allow-browse' and the number you were shown, e.g. 'allow-browse 3'"
                        .into(),
                );
            }
        },
        // "refuse 2-7" answers a transfer, "refuse 3" a request to see files.
        l if l.starts_with("refuse ") => match attendee(&arg("refuse ")) {
            Some(id) => CustomerCommand::RefuseBrowse(id),
            None => CustomerCommand::Refuse(arg("refuse ")),
        },
        l if l.starts_with("keep-control ") => match attendee(&arg("keep-control ")) {
            Some(id) => CustomerCommand::KeepControl(id),
            None => {
                return Err(
                    "type 'keep-control' and the number you were shown, e.g. 'keep-control 2'"
                        .into(),
                );
            }
        },
        l if l.starts_with("cancel ") => CustomerCommand::Cancel(arg("cancel ")),
        l if l.starts_with("chat ") => {
            let text = arg("chat ");
            // The same rule as for what the customer is shown: the portal refuses the rest.
            if let Err(e) = check_chat_text(&text) {
                return Err(format!("Not sent: {e}."));
            }
            CustomerCommand::Chat(text)
        }
        other => {
            return Err(format!(
                "Unknown command '{other}'. Type 'chat <message>', 'status', 'stop-control', 'give-control' or 'end'."
            ));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::ChatLine;

    #[test]
    fn chat_lines_carry_sender_and_time_and_no_escape_codes() {
        let line = lines(&UiEvent::Chat(ChatLine {
            from: "Bob".into(),
            text: "hello".into(),
            time: "14:05".into(),
        }));
        assert_eq!(line, vec!["[chat 14:05] Bob: hello"]);
    }

    #[test]
    fn the_customers_own_chat_must_pass_the_rule_too() {
        assert_eq!(
            parse_command("chat hello there"),
            Ok(Some(CustomerCommand::Chat("hello there".into())))
        );
        let refused = parse_command("chat a\u{1b}[31mred").expect_err("refused");
        assert!(refused.starts_with("Not sent: "), "{refused}");
        assert!(parse_command("chat x\u{202E}y").is_err());
    }

    #[test]
    fn browse_answers_and_transfer_answers_are_told_apart() {
        let three = AttendeeId::from_wire(3);
        assert_eq!(
            parse_command("allow-browse 3"),
            Ok(Some(CustomerCommand::AllowBrowse(three)))
        );
        assert_eq!(
            parse_command(" refuse 3 "),
            Ok(Some(CustomerCommand::RefuseBrowse(three)))
        );
        assert_eq!(
            parse_command("refuse 2-7"),
            Ok(Some(CustomerCommand::Refuse("2-7".into())))
        );
        assert!(parse_command("allow-browse everyone").is_err());
        assert_eq!(parse_command("  "), Ok(None));
    }

    #[test]
    fn consent_answers_default_to_no() {
        let plain = |consent| {
            Some(ConsentAnswer {
                consent,
                record: false,
            })
        };
        assert_eq!(parse_consent("n"), plain(Consent::default()));
        assert_eq!(parse_consent(""), plain(Consent::default()));
        assert_eq!(
            parse_consent("view").map(|a| (a.consent.view, a.consent.control)),
            Some((true, false))
        );
        assert_eq!(parse_consent("yes").map(|a| a.consent.control), Some(false));
        assert_eq!(parse_consent("control"), plain(Consent::ALL));
        let recorded = parse_consent("Control  Record").expect("an answer");
        assert_eq!((recorded.consent, recorded.record), (Consent::ALL, true));
        assert_eq!(parse_consent("no record"), None, "nothing to record");
        assert_eq!(parse_consent("view record please"), None);
        assert_eq!(parse_consent("maybe"), None);
    }
}
