//! The customer at the keyboard: consent questions and in-session commands, on the terminal
//! the agent was started from. (A graphical prompt for the downloaded app can implement the
//! same two calls.)

use tandem_protocol::chat::{ChatTextError, check_chat_text};
use tandem_protocol::rights::{self, Consent};
use tandem_protocol::signal::AttendeeInfo;
use tandem_protocol::{AttendeeId, Rights, Role, roster};
use tokio::sync::mpsc;

/// What the customer can do during a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerCommand {
    /// End the session now.
    End,
    /// Take keyboard and mouse control away from everyone.
    RevokeControl,
    /// Show who is connected and what they may do.
    Status,
    /// Send a chat message to everyone in the session.
    Chat(String),
    /// Accept a file transfer ("2-7": attendee 2, transfer 7).
    Accept(String),
    /// Refuse a file transfer.
    Refuse(String),
    /// Let this attendee list and copy files of the shared folder for the rest of the
    /// session ("allow-browse 3").
    AllowBrowse(AttendeeId),
    /// Refuse this attendee's waiting folder listings and copies ("refuse 3").
    RefuseBrowse(AttendeeId),
    /// Stop a running file transfer.
    Cancel(String),
    /// Agree to the pending reboot request.
    Reboot,
}

/// The customer's terminal.
pub struct Customer {
    lines: mpsc::UnboundedReceiver<String>,
    pre_authorized: Option<Consent>,
    roster: Vec<String>,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Host => "your representative",
        Role::Representative => "representative",
        Role::Specialist => "specialist",
        _ => "attendee",
    }
}

fn can_do(effective: Rights) -> &'static str {
    if rights::may_inject(effective) {
        "sees your screen and can use your mouse and keyboard"
    } else if rights::may_view(effective) {
        "sees your screen"
    } else {
        "cannot see your screen"
    }
}

impl Customer {
    /// Reads the customer's answers from standard input. With `pre_authorized`, consent
    /// questions are answered by it (the customer chose so on the command line).
    pub fn from_stdin(pre_authorized: Option<Consent>) -> Customer {
        let (tx, rx) = mpsc::unbounded_channel();
        // A plain thread: tokio's stdin keeps the runtime alive at shutdown.
        let spawned = std::thread::Builder::new()
            .name("tandem-stdin".into())
            .spawn(move || {
                for line in std::io::stdin().lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot read the terminal: {e}");
        }
        Customer {
            lines: rx,
            pre_authorized,
            roster: Vec::new(),
        }
    }

    /// Tells the customer something.
    pub fn say(&self, text: &str) {
        println!("{text}");
    }

    /// Asks whether `who` may see the screen, then whether they may control it.
    pub async fn ask_consent(&mut self, who: &AttendeeInfo) -> Consent {
        let name = &who.name;
        if let Some(c) = self.pre_authorized {
            self.say(&format!(
                "{name} joins your session (pre-authorised: {}).",
                if c.control {
                    "view and control"
                } else {
                    "view only"
                }
            ));
            return c;
        }
        let view = self
            .ask(&format!(
                "{name} (support representative) wants to see your screen. Allow? [y/N]"
            ))
            .await;
        if !view {
            return Consent::default();
        }
        let control = self
            .ask(&format!("Allow {name} to use your mouse and keyboard? [y/N] (you can take it back any time by typing 'revoke')"))
            .await;
        Consent { view, control }
    }

    async fn ask(&mut self, question: &str) -> bool {
        self.say(question);
        match self.lines.recv().await {
            Some(answer) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
            None => false, // no terminal to answer from: refuse
        }
    }

    /// Someone the host brought in joined (masked representatives are never announced).
    pub fn announce_join(&self, who: &AttendeeInfo, effective: Rights) {
        if who.masked {
            return;
        }
        self.say(&format!(
            "{} has joined the session ({}: {}).",
            who.name,
            role_name(who.role),
            can_do(effective)
        ));
    }

    /// The attendee list as the portal says the customer may see it.
    pub fn show_roster(
        &mut self,
        attendees: &[AttendeeInfo],
        effective: impl Fn(AttendeeId) -> Rights,
    ) {
        // The portal already leaves masked representatives out; this guards a faulty portal.
        let visible = roster::roster_for(Role::Customer, attendees);
        let entries: Vec<String> = visible
            .iter()
            .map(|a| {
                format!(
                    "{} ({}: {})",
                    a.name,
                    role_name(a.role),
                    can_do(effective(a.id))
                )
            })
            .collect();
        if entries == self.roster {
            return;
        }
        self.roster = entries.clone();
        if entries.is_empty() {
            self.say("Nobody else is in your session now.");
        } else {
            self.say(&format!("In your session: {}.", entries.join(", ")));
        }
    }

    /// The current attendee list, one line each.
    pub fn roster(&self) -> &[String] {
        &self.roster
    }

    /// A chat message from the session, shown only if it passes the chat rule: otherwise
    /// the error comes back and nothing is shown (the caller logs it).
    pub fn show_chat(&self, from: AttendeeId, name: &str, text: &str) -> Result<(), ChatTextError> {
        self.say(&chat_line(from, name, text)?);
        Ok(())
    }

    /// The next command the customer types; `None` once the terminal is closed.
    pub async fn next_command(&mut self) -> Option<CustomerCommand> {
        loop {
            let line = self.lines.recv().await?;
            match parse_command(&line) {
                Ok(Some(command)) => return Some(command),
                Ok(None) => {}
                Err(answer) => self.say(&answer),
            }
        }
    }
}

/// How a chat message is shown to the customer, if it may be: text that could pass for the
/// agent's own lines (a line break, an escape sequence, reordered text) is never shown. The
/// sender's name is held to the same rule, as it is shown on the same line.
pub(crate) fn chat_line(from: AttendeeId, name: &str, text: &str) -> Result<String, ChatTextError> {
    check_chat_text(text)?;
    if from == AttendeeId::CUSTOMER {
        return Ok(format!("[chat] you: {text}"));
    }
    check_chat_text(name)?;
    Ok(format!("[chat] {name}: {text}"))
}

/// One line the customer typed: a command, nothing (an empty line), or words to show them.
pub(crate) fn parse_command(line: &str) -> Result<Option<CustomerCommand>, String> {
    let line = line.trim();
    let arg = |prefix: &str| line[prefix.len()..].trim().to_owned();
    let attendee = |arg: &str| arg.parse::<u32>().ok().map(AttendeeId::from_wire);
    Ok(Some(match line {
        "" => return Ok(None),
        "end" | "quit" | "q" => CustomerCommand::End,
        "revoke" => CustomerCommand::RevokeControl,
        "status" => CustomerCommand::Status,
        "reboot" => CustomerCommand::Reboot,
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
                "unknown command '{other}': type 'chat <message>', 'status', 'revoke' or 'end'"
            ));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_that_could_pass_for_the_agents_own_lines_is_not_shown() {
        let bob = AttendeeId::HOST;
        assert_eq!(
            chat_line(bob, "Bob", "hello").as_deref(),
            Ok("[chat] Bob: hello")
        );
        for forged in [
            "ok\nBob wants to send you 'x'. Type 'accept 2-9'",
            "\u{1b}[2J",
            "abc\u{202E}txt.exe",
            "",
        ] {
            assert!(chat_line(bob, "Bob", forged).is_err(), "{forged:?}");
        }
        assert!(chat_line(bob, "Bob\nSystem", "hi").is_err(), "names too");
        assert_eq!(
            chat_line(AttendeeId::CUSTOMER, "", "hi").as_deref(),
            Ok("[chat] you: hi")
        );
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
}
