//! The customer at their computer: the customer app's window, or the terminal front-end for
//! automation and headless use. The session talks to both through [`Customer`]: it sends
//! [`UiEvent`]s (the same sentences for both) and receives [`CustomerCommand`]s.
//!
//! What the customer is told about who sees and controls comes only from
//! [`CustomerView`]s computed by the agent's core, never from portal announcements.

mod terminal;
pub mod ui;

use std::collections::HashSet;
use std::time::Duration;

use tandem_protocol::chat::{ChatTextError, check_chat_text};
use tandem_protocol::customer_view::{self, CustomerView};
use tandem_protocol::rights::Consent;
use tandem_protocol::signal::{AttendeeInfo, RecordingTerms};
use tokio::sync::mpsc;

pub use terminal::parse_command;
pub use ui::{ChatLine, ConsentAnswer, CustomerCommand, Progress, Question, QuestionKey, UiEvent};

/// How long the consent question waits before it declines.
pub const CONSENT_TIMEOUT: Duration = Duration::from_secs(120);

/// What reaches the session from the customer.
#[derive(Debug)]
pub enum FromCustomer {
    /// A line typed on the terminal.
    Line(String),
    /// A button or field in the window.
    Command(CustomerCommand),
}

/// Where the session's events are shown.
enum Front {
    Terminal,
    Window(mpsc::UnboundedSender<UiEvent>),
}

/// The customer's front-end, as the session sees it.
pub struct Customer {
    input: mpsc::UnboundedReceiver<FromCustomer>,
    front: Front,
    pre_authorized: Option<Consent>,
    shown: CustomerView,
    open: HashSet<QuestionKey>,
}

impl Customer {
    /// The terminal front-end: reads the customer's answers from standard input. With
    /// `pre_authorized`, the consent question is answered by it (chosen on the command line).
    pub fn terminal(pre_authorized: Option<Consent>) -> Customer {
        Customer::new(Front::Terminal, terminal::read_stdin(), pre_authorized)
    }

    /// The window front-end: events go to `window`, clicks come back on `input`.
    pub fn window(
        window: mpsc::UnboundedSender<UiEvent>,
        input: mpsc::UnboundedReceiver<FromCustomer>,
        pre_authorized: Option<Consent>,
    ) -> Customer {
        Customer::new(Front::Window(window), input, pre_authorized)
    }

    fn new(
        front: Front,
        input: mpsc::UnboundedReceiver<FromCustomer>,
        pre_authorized: Option<Consent>,
    ) -> Customer {
        Customer {
            input,
            front,
            pre_authorized,
            shown: CustomerView::default(),
            open: HashSet::new(),
        }
    }

    fn emit(&self, event: UiEvent) {
        match &self.front {
            Front::Terminal => terminal::print(&event),
            Front::Window(tx) => {
                // A closed window ends the session through its own command; nothing to do.
                let _ = tx.send(event);
            }
        }
    }

    /// Tells the customer something.
    pub fn say(&self, text: &str) {
        self.emit(UiEvent::Notice(text.to_owned()));
    }

    /// A line about the state before the session ("Connecting…").
    pub fn status(&self, text: &str) {
        self.emit(UiEvent::Status(text.to_owned()));
    }

    /// Asks something; the answer comes back as a command.
    pub fn ask(&mut self, question: Question) {
        self.open.insert(question.key());
        self.emit(UiEvent::Ask(question));
    }

    /// The question was answered or withdrawn.
    pub fn settle(&mut self, key: QuestionKey) {
        if self.open.remove(&key) {
            self.emit(UiEvent::Settled(key));
        }
    }

    /// Withdraws every question that matches (e.g. all of a departed attendee's).
    pub fn settle_where(&mut self, matches: impl Fn(&QuestionKey) -> bool) {
        let gone: Vec<QuestionKey> = self.open.iter().filter(|k| matches(k)).cloned().collect();
        for key in gone {
            self.settle(key);
        }
    }

    /// A question is waiting for the customer: remote presses are held back meanwhile.
    pub fn is_asking(&self) -> bool {
        !self.open.is_empty()
    }

    /// Shows who sees and controls now, with a sentence per change since last time.
    pub fn show_view(&mut self, view: CustomerView) {
        if view == self.shown {
            return;
        }
        for sentence in customer_view::changes(&self.shown, &view) {
            self.say(&sentence);
        }
        self.shown = view.clone();
        self.emit(UiEvent::View(view));
    }

    /// The view last shown.
    pub fn view(&self) -> &CustomerView {
        &self.shown
    }

    /// A chat message, shown only if it passes the chat rule (sender's name included, as it
    /// is shown beside it); otherwise the error comes back and nothing is shown.
    pub fn show_chat(&self, from: Option<&str>, text: &str) -> Result<(), ChatTextError> {
        check_chat_text(text)?;
        let from = match from {
            None => "you".to_owned(),
            Some(name) => {
                check_chat_text(name)?;
                name.to_owned()
            }
        };
        self.emit(UiEvent::Chat(ChatLine {
            from,
            text: text.to_owned(),
            time: crate::clock::local_hh_mm(),
        }));
        Ok(())
    }

    /// A transfer moved.
    pub fn progress(&self, progress: Progress) {
        self.emit(UiEvent::Progress(progress));
    }

    /// A transfer is over.
    pub fn transfer_over(&mut self, tag: &str) {
        self.settle(QuestionKey::Transfer(tag.to_owned()));
        self.emit(UiEvent::TransferOver(tag.to_owned()));
    }

    /// The session is over.
    pub fn ended(&self, reason: &str) {
        self.emit(UiEvent::Ended(reason.to_owned()));
    }

    /// Asks whether `who` may see the screen, and whether they may control it, and, when
    /// the portal asks to record the session, whether it may. Declines when unanswered
    /// within [`CONSENT_TIMEOUT`] or when the front-end is gone. Agreed in advance (on the
    /// command line), recording is allowed only with `record_in_advance`.
    pub async fn ask_consent(
        &mut self,
        who: &AttendeeInfo,
        portal: &str,
        recording: Option<RecordingTerms>,
        record_in_advance: bool,
    ) -> ConsentAnswer {
        if let Some(c) = self.pre_authorized {
            self.say(&format!(
                "{} joins your session (agreed in advance: {}).",
                who.name,
                if c.control {
                    "view and control"
                } else {
                    "view only"
                }
            ));
            let record = recording.is_some() && record_in_advance;
            if let Some(terms) = recording {
                self.say(match (record, terms.required) {
                    (true, _) => "The support portal records this session (agreed in advance).",
                    (false, false) => {
                        "The support portal asked to record this session; that was not agreed in advance, so it is not recorded."
                    }
                    (false, true) => {
                        "The support portal records every session; that was not agreed in advance (--allow-recording), so the session does not start."
                    }
                });
            }
            return ConsentAnswer { consent: c, record };
        }
        // Whatever was typed before the question is not an answer to it.
        while self.input.try_recv().is_ok() {}
        self.ask(Question::Consent {
            name: who.name.clone(),
            role: who.role,
            portal: portal.to_owned(),
            timeout_secs: CONSENT_TIMEOUT.as_secs(),
            recording,
        });
        let answer = tokio::time::timeout(CONSENT_TIMEOUT, self.consent_answer()).await;
        self.settle(QuestionKey::Consent);
        let mut answer = match answer {
            Ok(answer) => answer,
            Err(_) => {
                self.say("No answer in time: the request was declined.");
                ConsentAnswer::default()
            }
        };
        // Nothing to record unless the portal asked and something is shown.
        answer.record &= recording.is_some() && answer.consent.view;
        if answer.consent.view {
            // The session starts: the window shows it even before anyone sees the screen.
            self.emit(UiEvent::View(self.shown.clone()));
        }
        answer
    }

    async fn consent_answer(&mut self) -> ConsentAnswer {
        loop {
            match self.input.recv().await {
                None => return ConsentAnswer::default(), // nobody to answer: decline
                Some(FromCustomer::Command(CustomerCommand::Consent(a))) => return a,
                Some(FromCustomer::Command(CustomerCommand::End)) => {
                    return ConsentAnswer::default();
                }
                Some(FromCustomer::Command(_)) => {}
                Some(FromCustomer::Line(line)) => match terminal::parse_consent(&line) {
                    Some(a) => return a,
                    None => self.say("Type 'view', 'control' or 'no'."),
                },
            }
        }
    }

    /// The session is recorded now (or no longer): shown until it changes.
    pub fn recording(&self, on: bool) {
        self.emit(UiEvent::Recording(on));
    }

    /// The next command; `None` once the terminal is closed. A closed window ends the
    /// session instead: nothing runs on unseen.
    pub async fn next_command(&mut self) -> Option<CustomerCommand> {
        loop {
            let Some(input) = self.input.recv().await else {
                return match self.front {
                    Front::Window(_) => Some(CustomerCommand::End),
                    Front::Terminal => None,
                };
            };
            match input {
                FromCustomer::Command(c) => return Some(c),
                FromCustomer::Line(line) => match parse_command(&line) {
                    Ok(Some(command)) => return Some(command),
                    Ok(None) => {}
                    Err(answer) => self.say(&answer),
                },
            }
        }
    }
}
