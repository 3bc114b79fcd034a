//! The window's logic without a display: which screen, which words, what a click does.

use super::*;
use tandem_protocol::customer_view::{ShownAttendee, Unnamed};
use tandem_protocol::signal::RecordingTerms;
use tandem_protocol::{AttendeeId, Rights, Role};

fn consent_question() -> Question {
    asking_to_record(None)
}

fn asking_to_record(recording: Option<RecordingTerms>) -> Question {
    Question::Consent {
        name: "Bob Smith".into(),
        role: Role::Host,
        portal: "support.example.com".into(),
        timeout_secs: 120,
        recording,
    }
}

fn bob_controls() -> CustomerView {
    CustomerView {
        attendees: vec![ShownAttendee {
            id: AttendeeId::HOST,
            name: "Bob Smith".into(),
            role: Role::Host,
            rights: Rights::HOST_DEFAULT,
        }],
        unnamed: Unnamed {
            seeing: 1,
            controlling: 0,
        },
        control_allowed: true,
    }
}

#[test]
fn the_consent_dialog_offers_viewing_and_control_separately_and_defaults_to_no() {
    let mut m = Model::default();
    assert_eq!(m.screen(), Screen::Starting);
    m.apply(UiEvent::Ask(consent_question()));
    assert_eq!(m.screen(), Screen::Consent);
    let answer = |b: Button| match Model::default().click(&b) {
        Some(CustomerCommand::Consent(a)) => (a.consent.view, a.consent.control),
        other => panic!("{other:?}"),
    };
    assert_eq!(answer(Button::AllowViewing), (true, false));
    assert_eq!(answer(Button::AllowControl), (true, true));
    assert_eq!(answer(Button::Decline), (false, false));
    m.apply(UiEvent::Settled(QuestionKey::Consent));
    assert_eq!(
        m.screen(),
        Screen::Starting,
        "not the session bar before the session"
    );
    m.apply(UiEvent::View(CustomerView::default()));
    assert_eq!(m.screen(), Screen::Session);
    assert!(!m.screen_is_shared(), "nobody sees until the view says so");
}

#[test]
fn recording_is_allowed_only_when_ticked_or_required_and_never_without_the_screen() {
    let record = |m: &mut Model, b: Button| match m.click(&b) {
        Some(CustomerCommand::Consent(a)) => a.record,
        other => panic!("{other:?}"),
    };
    let mut m = Model::default();
    m.apply(UiEvent::Ask(asking_to_record(Some(RecordingTerms {
        required: false,
    }))));
    assert!(
        !record(&mut m, Button::AllowControl),
        "not ticked: not recorded"
    );
    assert_eq!(m.click(&Button::ToggleRecording), None);
    assert!(m.record_ticked);
    assert!(record(&mut m, Button::AllowViewing));
    assert!(
        !record(&mut m, Button::Decline),
        "nothing shown, nothing recorded"
    );
    m.click(&Button::ToggleRecording);
    assert!(!record(&mut m, Button::AllowViewing), "ticked off again");

    let mut m = Model::default();
    m.apply(UiEvent::Ask(asking_to_record(Some(RecordingTerms {
        required: true,
    }))));
    assert!(
        record(&mut m, Button::AllowViewing),
        "required: the dialog says allowing the session allows it"
    );
    let text = asking_to_record(Some(RecordingTerms { required: true })).text();
    assert!(text.contains("records every session"), "{text}");
    assert!(!consent_question().text().contains("record"));
    m.apply(UiEvent::Recording(true));
    assert!(m.recording_on);
}

#[test]
fn the_session_bar_follows_the_enforced_view() {
    let mut m = Model::default();
    m.apply(UiEvent::View(bob_controls()));
    assert!(m.screen_is_shared());
    assert_eq!(m.control_button(), Button::StopControl);
    assert_eq!(
        m.click(&Button::StopControl),
        Some(CustomerCommand::RevokeControl)
    );
    // The bar changes only when the agent's state does.
    assert_eq!(m.control_button(), Button::StopControl);
    let mut stopped = bob_controls();
    stopped.control_allowed = false;
    stopped.attendees[0].rights = Rights::VIEW;
    m.apply(UiEvent::View(stopped));
    assert_eq!(m.control_button(), Button::GiveControlBack);
    assert_eq!(m.control_button_label(), "Give control back");
    assert_eq!(
        m.click(&Button::GiveControlBack),
        Some(CustomerCommand::GiveControlBack)
    );
    let mut never = Model::default();
    let mut view_only = bob_controls();
    view_only.control_allowed = false;
    never.apply(UiEvent::View(view_only));
    assert_eq!(never.control_button_label(), "Allow control");
    m.apply(UiEvent::Ended("the customer ended the session".into()));
    assert_eq!(m.screen(), Screen::Ended);
    assert!(
        !m.screen_is_shared(),
        "the frame comes down when the session ends"
    );
}

#[test]
fn questions_map_to_the_commands_the_terminal_would_type() {
    let mut m = Model::default();
    let tag = "2-7".to_owned();
    m.apply(UiEvent::Ask(Question::FileOffer {
        tag: tag.clone(),
        from: "Bob".into(),
        file: "a.txt".into(),
        size: "3 bytes".into(),
        folder: "/home/alice/Downloads".into(),
    }));
    let key = QuestionKey::Transfer(tag.clone());
    assert_eq!(
        m.click(&Button::Yes(key.clone())),
        Some(CustomerCommand::Accept(tag.clone()))
    );
    assert_eq!(
        m.click(&Button::No(key.clone())),
        Some(CustomerCommand::Refuse(tag))
    );
    assert_eq!(Button::Yes(key.clone()).name(), "yes-transfer-2-7");
    m.apply(UiEvent::Settled(key));
    assert_eq!(m.other_questions().count(), 0);
    let three = AttendeeId::from_wire(3);
    assert_eq!(
        m.click(&Button::Yes(QuestionKey::Browse(three))),
        Some(CustomerCommand::AllowBrowse(three))
    );
    assert_eq!(
        m.click(&Button::No(QuestionKey::Reboot)),
        Some(CustomerCommand::DeclineReboot)
    );
}

#[test]
fn chat_that_could_pass_for_the_apps_own_words_is_not_sent() {
    let mut m = Model::default();
    m.edit_draft("hello".into());
    assert_eq!(
        m.click(&Button::SendChat),
        Some(CustomerCommand::Chat("hello".into()))
    );
    assert!(m.draft.is_empty());
    m.edit_draft("abc\u{202E}txt.exe".into());
    assert_eq!(m.click(&Button::SendChat), None);
    assert!(matches!(m.log.back(), Some(LogLine::Notice(s)) if s.starts_with("Not sent")));
    m.edit_draft("x".repeat(5000));
    assert_eq!(m.draft.chars().count(), DRAFT_CHARS);
}

#[test]
fn the_log_is_bounded() {
    let mut m = Model::default();
    for i in 0..(LOG_LINES + 50) {
        m.apply(UiEvent::Notice(format!("n{i}")));
    }
    assert_eq!(m.log.len(), LOG_LINES);
    assert_eq!(m.log.front(), Some(&LogLine::Notice("n50".into())));
}

#[test]
fn a_request_for_control_is_answered_with_allow_or_not_now() {
    let mut m = Model::default();
    let who = AttendeeId::HOST;
    let q = Question::Control {
        attendee: who,
        from: "Bob Smith".into(),
    };
    assert_eq!(Model::answers(&q), ("Allow control", "Not now"));
    assert!(
        q.text()
            .contains("Bob Smith asks to use your mouse and keyboard again")
    );
    m.apply(UiEvent::Ask(q));
    assert_eq!(
        m.click(&Button::Yes(QuestionKey::Control(who))),
        Some(CustomerCommand::GiveControlBack)
    );
    assert_eq!(
        m.click(&Button::No(QuestionKey::Control(who))),
        Some(CustomerCommand::KeepControl(who))
    );
    assert_eq!(
        Button::Yes(QuestionKey::Control(who)).name(),
        "yes-control-2"
    );
}
