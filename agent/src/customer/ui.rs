//! What the session tells the customer's front-end, and what the customer can answer. Both
//! front-ends (the window and the terminal) get the same events and show the same sentences.

use tandem_protocol::customer_view::CustomerView;
use tandem_protocol::rights::Consent;
use tandem_protocol::signal::RecordingTerms;
use tandem_protocol::{AttendeeId, Role};

/// Something the customer must answer. While one is open, remote clicks and key presses
/// are held back, so nobody in control can answer on the customer's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// May the representative see the screen, and control it?
    Consent {
        /// Who asks.
        name: String,
        /// Their role in the customer's words ("your representative").
        role: Role,
        /// The support portal (its address) the request comes through.
        portal: String,
        /// Seconds until an unanswered question declines.
        timeout_secs: u64,
        /// The portal records the session if the customer agrees (asked in the same go,
        /// before anything is shown).
        recording: Option<RecordingTerms>,
    },
    /// An attendee offers a file.
    FileOffer {
        /// "2-7": attendee 2, transfer 7.
        tag: String,
        /// Who sends it.
        from: String,
        /// The file's name.
        file: String,
        /// Its size, in words ("1.2 MB").
        size: String,
        /// Where it will be saved.
        folder: String,
    },
    /// An attendee asks to copy a file from the shared folder.
    Fetch {
        /// Transfer tag.
        tag: String,
        /// Who asks.
        from: String,
        /// The file, inside the shared folder.
        path: String,
    },
    /// An attendee asks to look into the shared folder.
    Browse {
        /// Who asks.
        attendee: AttendeeId,
        /// Their name.
        from: String,
        /// The folder they want to see, in full.
        folder: String,
        /// The file in it they want to copy, if that is what they asked.
        file: Option<String>,
    },
    /// An attendee asks to restart the computer.
    Reboot {
        /// Who asks.
        from: String,
    },
    /// An attendee the host lets control asks the customer to give control back.
    Control {
        /// Who asks.
        attendee: AttendeeId,
        /// Their name.
        from: String,
    },
}

/// Which question an answer or a withdrawal is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QuestionKey {
    /// The consent question.
    Consent,
    /// A file offer or fetch, by tag.
    Transfer(String),
    /// A browse request, by attendee.
    Browse(AttendeeId),
    /// The reboot request.
    Reboot,
    /// A request for control, by attendee.
    Control(AttendeeId),
}

impl Question {
    /// Which question this is.
    pub fn key(&self) -> QuestionKey {
        match self {
            Question::Consent { .. } => QuestionKey::Consent,
            Question::FileOffer { tag, .. } | Question::Fetch { tag, .. } => {
                QuestionKey::Transfer(tag.clone())
            }
            Question::Browse { attendee, .. } => QuestionKey::Browse(*attendee),
            Question::Reboot { .. } => QuestionKey::Reboot,
            Question::Control { attendee, .. } => QuestionKey::Control(*attendee),
        }
    }

    /// The question in words, the same in the window and on the terminal.
    pub fn text(&self) -> String {
        match self {
            Question::Consent {
                name,
                role,
                portal,
                recording,
                ..
            } => {
                let asks = format!(
                    "{name} ({}, through the support portal {portal}) asks to see your screen.",
                    tandem_protocol::customer_view::role_name(*role)
                );
                match recording {
                    None => asks,
                    Some(terms) => format!("{asks} {}", recording_sentence(*terms)),
                }
            }
            Question::FileOffer {
                from,
                file,
                size,
                folder,
                ..
            } => format!(
                "{from} wants to send you '{file}' ({size}). It would be saved in '{folder}'."
            ),
            Question::Fetch { from, path, .. } => {
                format!("{from} wants to copy '{path}' from your shared folder.")
            }
            Question::Browse {
                from, folder, file, ..
            } => match file {
                Some(file) => {
                    format!("{from} wants to see the files in '{folder}' (to copy '{file}').")
                }
                None => format!("{from} wants to see the files in '{folder}'."),
            },
            Question::Reboot { from } => format!(
                "{from} asks to restart your computer. Programs will close and unsaved work is lost; Tandem reconnects to this session by itself after the restart."
            ),
            Question::Control { from, .. } => format!(
                "{from} asks to use your mouse and keyboard again. If you allow it, the support team may control your computer until you stop it again."
            ),
        }
    }

    /// The answers as the terminal front-end takes them.
    pub fn terminal_hint(&self) -> String {
        match self {
            Question::Consent {
                timeout_secs,
                recording,
                ..
            } => {
                let record = match recording {
                    None => "",
                    Some(RecordingTerms { required: false }) => {
                        " Add 'record' (e.g. 'view record') to allow recording; without it the session is not recorded."
                    }
                    Some(RecordingTerms { required: true }) => {
                        " Add 'record' (e.g. 'view record') to allow the recording this portal requires; without it the session does not start."
                    }
                };
                format!(
                    "Type 'view' to allow viewing only, 'control' to allow viewing and use of your mouse, keyboard and clipboard, or 'no' to decline.{record} Without an answer this declines in {timeout_secs} seconds."
                )
            }
            Question::FileOffer { tag, .. } | Question::Fetch { tag, .. } => {
                format!("Type 'accept {tag}' or 'refuse {tag}'.")
            }
            Question::Browse { attendee, .. } => {
                let n = attendee.to_wire();
                format!(
                    "Type 'allow-browse {n}' to allow browsing for this session, or 'refuse {n}'."
                )
            }
            Question::Reboot { .. } => "Type 'reboot' to agree or 'no-reboot' to decline.".into(),
            Question::Control { attendee, .. } => format!(
                "Type 'give-control' to allow, or 'keep-control {}' to decline.",
                attendee.to_wire()
            ),
        }
    }
}

/// A chat message as the customer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// The sender's name ("you" for the customer).
    pub from: String,
    /// The message (passed the chat rule: one line, no controls).
    pub text: String,
    /// Local time, "14:05".
    pub time: String,
}

/// A running file transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Transfer tag.
    pub tag: String,
    /// "report.pdf from Bob Smith".
    pub label: String,
    /// 0–100.
    pub percent: u8,
}

/// What the session tells the front-end.
#[derive(Debug, Clone, PartialEq)]
pub enum UiEvent {
    /// Where things stand before the session ("Connecting to the support portal…").
    Status(String),
    /// A question to answer.
    Ask(Question),
    /// A question was answered or withdrawn.
    Settled(QuestionKey),
    /// Who sees and controls now (from the enforced state).
    View(CustomerView),
    /// A sentence about what happened.
    Notice(String),
    /// The session is being recorded by the portal now (or no longer).
    Recording(bool),
    /// A chat message.
    Chat(ChatLine),
    /// A transfer moved.
    Progress(Progress),
    /// A transfer is over (done, refused or stopped); a notice says which.
    TransferOver(String),
    /// The session is over.
    Ended(String),
}

/// What the customer is told about recording when asked to consent.
pub fn recording_sentence(terms: RecordingTerms) -> &'static str {
    if terms.required {
        "This support portal records every session: what is shown of your screen and the chat are kept by the portal. The session starts only if you allow that."
    } else {
        "The support portal asks to record this session: what is shown of your screen and the chat would be kept by the portal. You may refuse and still get help."
    }
}

/// The customer's answer to the consent question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsentAnswer {
    /// Who may see and control.
    pub consent: Consent,
    /// The customer lets the portal record the session.
    pub record: bool,
}

/// What the customer can do during a session (typed, or clicked in the window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerCommand {
    /// Answer to the consent question.
    Consent(ConsentAnswer),
    /// End the session now.
    End,
    /// Take keyboard and mouse control away from everyone.
    RevokeControl,
    /// Let the support team control again.
    GiveControlBack,
    /// Decline this attendee's request for control.
    KeepControl(AttendeeId),
    /// Show who is connected and what they may do.
    Status,
    /// Send a chat message to everyone in the session.
    Chat(String),
    /// Accept a file transfer ("2-7": attendee 2, transfer 7).
    Accept(String),
    /// Refuse a file transfer.
    Refuse(String),
    /// Let this attendee list and copy files of the shared folder for the session.
    AllowBrowse(AttendeeId),
    /// Refuse this attendee's waiting folder listings and copies.
    RefuseBrowse(AttendeeId),
    /// Stop a running file transfer.
    Cancel(String),
    /// Agree to the pending reboot request.
    Reboot,
    /// Decline the pending reboot request.
    DeclineReboot,
}
