//! The customer app's window as plain data: what it shows for a given state, and what a
//! click means. No toolkit here, so it is tested without a display; `view.rs` draws it.

use std::collections::VecDeque;

use tandem_protocol::customer_view::CustomerView;
use tandem_protocol::rights::Consent;

use tandem_protocol::signal::RecordingTerms;

use crate::customer::{
    ChatLine, ConsentAnswer, CustomerCommand, Progress, Question, QuestionKey, UiEvent,
};

/// Notices and chat lines kept for the window (older ones scroll away for good).
pub const LOG_LINES: usize = 200;
/// Longest chat message the customer can type (the portal's own limit is higher).
pub const DRAFT_CHARS: usize = 1000;

/// One line of the window's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLine {
    /// Something that happened, in the app's words.
    Notice(String),
    /// A chat message.
    Chat(ChatLine),
}

/// What the window is showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Before the session: connecting, redeeming the code.
    Starting,
    /// The consent dialog.
    Consent,
    /// The session: bar, attendees, questions, chat, files.
    Session,
    /// The session is over.
    Ended,
}

/// Every button the window has. Its automation name is [`Button::name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// Consent dialog: viewing only.
    AllowViewing,
    /// Consent dialog: viewing and control.
    AllowControl,
    /// Consent dialog: no.
    Decline,
    /// Consent dialog: allow the recording the portal asks for (or not), before answering.
    ToggleRecording,
    /// Session bar: take control away from everyone.
    StopControl,
    /// Session bar: let the support team control again.
    GiveControlBack,
    /// Session bar: end the session for everyone.
    EndSession,
    /// Yes to a question (accept a file, allow browsing, restart).
    Yes(QuestionKey),
    /// No to a question.
    No(QuestionKey),
    /// Stop a running transfer.
    CancelTransfer(String),
    /// Send the chat draft.
    SendChat,
    /// Close the window after the session ended.
    Close,
}

impl Button {
    /// A stable name for automation (the trace file, tests): "allow-control", "yes-browse-3".
    pub fn name(&self) -> String {
        let key = |k: &QuestionKey| match k {
            QuestionKey::Consent => "consent".to_owned(),
            QuestionKey::Transfer(tag) => format!("transfer-{tag}"),
            QuestionKey::Browse(id) => format!("browse-{}", id.to_wire()),
            QuestionKey::Reboot => "reboot".to_owned(),
            QuestionKey::Control(id) => format!("control-{}", id.to_wire()),
        };
        match self {
            Button::AllowViewing => "allow-viewing".into(),
            Button::AllowControl => "allow-control".into(),
            Button::Decline => "decline".into(),
            Button::ToggleRecording => "allow-recording".into(),
            Button::StopControl => "stop-control".into(),
            Button::GiveControlBack => "give-control-back".into(),
            Button::EndSession => "end-session".into(),
            Button::Yes(k) => format!("yes-{}", key(k)),
            Button::No(k) => format!("no-{}", key(k)),
            Button::CancelTransfer(tag) => format!("cancel-{tag}"),
            Button::SendChat => "send-chat".into(),
            Button::Close => "close".into(),
        }
    }
}

/// The window's state.
#[derive(Debug, Clone)]
pub struct Model {
    /// Before the session: what is happening.
    pub status: String,
    /// Open questions, oldest first (the consent question is shown as the dialog).
    pub questions: Vec<Question>,
    /// Who sees and controls (from the enforced state).
    pub view: CustomerView,
    /// Notices and chat, oldest first.
    pub log: VecDeque<LogLine>,
    /// Running transfers.
    pub transfers: Vec<Progress>,
    /// Why the session ended, once it did.
    pub ended: Option<String>,
    /// The chat message being typed.
    pub draft: String,
    /// A session is running (consent was given).
    pub in_session: bool,
    /// The customer let the team control at some point (so taking it back can be undone).
    pub control_was_allowed: bool,
    /// In the consent dialog: the customer ticked "Allow recording" (off until they do).
    pub record_ticked: bool,
    /// The portal records the session now.
    pub recording_on: bool,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            status: "Connecting to the support portal…".into(),
            questions: Vec::new(),
            view: CustomerView::default(),
            log: VecDeque::new(),
            transfers: Vec::new(),
            ended: None,
            draft: String::new(),
            in_session: false,
            control_was_allowed: false,
            record_ticked: false,
            recording_on: false,
        }
    }
}

impl Model {
    /// Which screen shows now.
    pub fn screen(&self) -> Screen {
        if self.ended.is_some() {
            Screen::Ended
        } else if self.consent_question().is_some() {
            Screen::Consent
        } else if self.in_session {
            Screen::Session
        } else {
            Screen::Starting
        }
    }

    /// The consent question, while it is open.
    pub fn consent_question(&self) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| matches!(q, Question::Consent { .. }))
    }

    /// Questions other than consent, oldest first.
    pub fn other_questions(&self) -> impl Iterator<Item = &Question> {
        self.questions
            .iter()
            .filter(|q| !matches!(q, Question::Consent { .. }))
    }

    /// The window stays above others and the screen gets its coloured frame: someone sees.
    pub fn screen_is_shared(&self) -> bool {
        self.ended.is_none() && self.view.anyone_sees()
    }

    /// Takes in what the session says.
    pub fn apply(&mut self, event: UiEvent) {
        match event {
            UiEvent::Status(s) => self.status = s,
            UiEvent::Ask(q) => {
                let key = q.key();
                self.questions.retain(|o| o.key() != key);
                self.questions.push(q);
            }
            UiEvent::Settled(key) => {
                // After the consent question the session shows once its first view arrives
                // (or its end, if the customer declined).
                self.questions.retain(|q| q.key() != key);
            }
            UiEvent::View(v) => {
                self.in_session = true;
                self.control_was_allowed |= v.control_allowed;
                self.view = v;
            }
            UiEvent::Notice(s) => self.push(LogLine::Notice(s)),
            UiEvent::Recording(on) => self.recording_on = on,
            UiEvent::Chat(c) => self.push(LogLine::Chat(c)),
            UiEvent::Progress(p) => match self.transfers.iter_mut().find(|t| t.tag == p.tag) {
                Some(t) => *t = p,
                None => self.transfers.push(p),
            },
            UiEvent::TransferOver(tag) => self.transfers.retain(|t| t.tag != tag),
            UiEvent::Ended(reason) => {
                self.questions.clear();
                self.transfers.clear();
                self.ended = Some(reason);
            }
        }
    }

    fn push(&mut self, line: LogLine) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    /// The chat draft changed (typing); kept within [`DRAFT_CHARS`].
    pub fn edit_draft(&mut self, text: String) {
        self.draft = text.chars().take(DRAFT_CHARS).collect();
    }

    /// What a click on `button` asks of the session (and how the window changes at once).
    pub fn click(&mut self, button: &Button) -> Option<CustomerCommand> {
        // A recording the portal requires is allowed with the session (the dialog says so);
        // one it only asks for, when ticked.
        let record = self.record_ticked
            || matches!(
                self.consent_question(),
                Some(Question::Consent {
                    recording: Some(RecordingTerms { required: true }),
                    ..
                })
            );
        let consent = |view, control| {
            Some(CustomerCommand::Consent(ConsentAnswer {
                consent: Consent { view, control },
                record: record && view,
            }))
        };
        match button {
            Button::ToggleRecording => {
                self.record_ticked = !self.record_ticked;
                None
            }
            Button::AllowViewing => consent(true, false),
            Button::AllowControl => consent(true, true),
            Button::Decline => consent(false, false),
            Button::StopControl => Some(CustomerCommand::RevokeControl),
            Button::GiveControlBack => Some(CustomerCommand::GiveControlBack),
            Button::EndSession => Some(CustomerCommand::End),
            Button::Yes(key) | Button::No(key) => {
                let yes = matches!(button, Button::Yes(_));
                Some(match (key, yes) {
                    (QuestionKey::Consent, _) => return consent(yes, false),
                    (QuestionKey::Transfer(tag), true) => CustomerCommand::Accept(tag.clone()),
                    (QuestionKey::Transfer(tag), false) => CustomerCommand::Refuse(tag.clone()),
                    (QuestionKey::Browse(id), true) => CustomerCommand::AllowBrowse(*id),
                    (QuestionKey::Browse(id), false) => CustomerCommand::RefuseBrowse(*id),
                    (QuestionKey::Reboot, true) => CustomerCommand::Reboot,
                    (QuestionKey::Reboot, false) => CustomerCommand::DeclineReboot,
                    (QuestionKey::Control(_), true) => CustomerCommand::GiveControlBack,
                    (QuestionKey::Control(id), false) => CustomerCommand::KeepControl(*id),
                })
            }
            Button::CancelTransfer(tag) => Some(CustomerCommand::Cancel(tag.clone())),
            Button::SendChat => {
                let text = std::mem::take(&mut self.draft);
                match tandem_protocol::chat::check_chat_text(text.trim()) {
                    Ok(()) => Some(CustomerCommand::Chat(text.trim().to_owned())),
                    Err(e) => {
                        self.push(LogLine::Notice(format!("Not sent: {e}.")));
                        None
                    }
                }
            }
            Button::Close => None,
        }
    }

    /// "Stop control", "Give control back" (after the customer stopped it) or "Allow
    /// control" (they never allowed it).
    pub fn control_button_label(&self) -> &'static str {
        match self.control_button() {
            Button::StopControl => "Stop control",
            _ if self.control_was_allowed => "Give control back",
            _ => "Allow control",
        }
    }

    /// The words on a question's two buttons.
    pub fn answers(question: &Question) -> (&'static str, &'static str) {
        match question {
            Question::Consent { .. } => ("Allow viewing", "Decline"),
            Question::FileOffer { .. } => ("Accept file", "Refuse"),
            Question::Fetch { .. } => ("Allow copy", "Refuse"),
            Question::Browse { .. } => ("Allow for this session", "Refuse"),
            Question::Reboot { .. } => ("Restart now", "Not now"),
            Question::Control { .. } => ("Allow control", "Not now"),
        }
    }

    /// The session bar's control button: "Stop control" while the customer lets the team
    /// control, otherwise the button that lets them (see [`Model::control_button_label`]).
    pub fn control_button(&self) -> Button {
        if self.view.control_allowed {
            Button::StopControl
        } else {
            Button::GiveControlBack
        }
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
