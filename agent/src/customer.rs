//! The customer at the keyboard: consent questions and in-session commands, on the terminal
//! the agent was started from. (A graphical prompt for the downloaded app can implement the
//! same two calls.)

use tandem_protocol::rights::Consent;
use tandem_protocol::signal::AttendeeInfo;
use tokio::sync::mpsc;

/// What the customer can do during a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerCommand {
    /// End the session now.
    End,
    /// Take keyboard and mouse control away from everyone.
    RevokeControl,
    /// Show who is connected and what they may do.
    Status,
}

/// The customer's terminal.
pub struct Customer {
    lines: mpsc::UnboundedReceiver<String>,
    pre_authorized: Option<Consent>,
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

    /// The next command the customer types; `None` once the terminal is closed.
    pub async fn next_command(&mut self) -> Option<CustomerCommand> {
        loop {
            let line = self.lines.recv().await?;
            match line.trim() {
                "end" | "quit" | "q" => return Some(CustomerCommand::End),
                "revoke" => return Some(CustomerCommand::RevokeControl),
                "status" => return Some(CustomerCommand::Status),
                "" => {}
                other => self.say(&format!(
                    "unknown command '{other}': type 'end', 'revoke' or 'status'"
                )),
            }
        }
    }
}
