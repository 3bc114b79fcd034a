//! The customer at the keyboard: consent questions and in-session commands, on the terminal
//! the agent was started from. (A graphical prompt for the downloaded app can implement the
//! same two calls.)

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

    /// A chat message from the session.
    pub fn show_chat(&self, from: AttendeeId, name: &str, text: &str) {
        if from == AttendeeId::CUSTOMER {
            self.say(&format!("[chat] you: {text}"));
        } else {
            self.say(&format!("[chat] {name}: {text}"));
        }
    }

    /// The next command the customer types; `None` once the terminal is closed.
    pub async fn next_command(&mut self) -> Option<CustomerCommand> {
        loop {
            let line = self.lines.recv().await?;
            match line.trim() {
                "end" | "quit" | "q" => return Some(CustomerCommand::End),
                "revoke" => return Some(CustomerCommand::RevokeControl),
                "status" => return Some(CustomerCommand::Status),
                "reboot" => return Some(CustomerCommand::Reboot),
                line if line.starts_with("accept ") => {
                    return Some(CustomerCommand::Accept(line[7..].trim().to_owned()));
                }
                line if line.starts_with("refuse ") => {
                    return Some(CustomerCommand::Refuse(line[7..].trim().to_owned()));
                }
                line if line.starts_with("cancel ") => {
                    return Some(CustomerCommand::Cancel(line[7..].trim().to_owned()));
                }
                line if line.starts_with("chat ") => {
                    return Some(CustomerCommand::Chat(
                        line["chat ".len()..].trim().to_owned(),
                    ));
                }
                "" => {}
                other => self.say(&format!(
                    "unknown command '{other}': type 'chat <message>', 'status', 'revoke' or 'end'"
                )),
            }
        }
    }
}
