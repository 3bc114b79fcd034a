//! Draws the [`Model`] with iced. Layout only: every decision is in `model.rs`. Each button
//! sits in a container named after [`Button::name`], so the automation trace can report
//! where it is.

use iced::widget::{
    button, column, container, progress_bar, row, rule, scrollable, space, text, text_input,
};
use iced::{Alignment, Color, Element, Length};

use super::Msg;
use super::model::{Button, LogLine, Model, Screen};
use crate::customer::Question;

/// The main window's size: wide enough for a sentence per line, tall enough for the lists.
pub const WINDOW_WIDTH: f32 = 460.0;
/// Its height during the session.
pub const WINDOW_HEIGHT: f32 = 600.0;
/// Its height for the consent dialog and the start and end screens.
pub const DIALOG_HEIGHT: f32 = 320.0;
/// The consent dialog's height when it also asks about recording.
pub const RECORDING_DIALOG_HEIGHT: f32 = 440.0;

const TITLE: u32 = 20;
const BODY: u32 = 15;
const SMALL: u32 = 13;

type Style = fn(&iced::Theme, button::Status) -> button::Style;

fn btn<'a>(label: &'a str, which: Button, style: Style) -> Element<'a, Msg> {
    let name = which.name();
    container(
        button(text(label).size(BODY))
            .padding([8, 14])
            .style(style)
            .on_press(Msg::Click(which)),
    )
    .id(name)
    .into()
}

/// "the customer ended the session" → "The customer ended the session." (reasons are
/// written to follow "Session ended: " on the terminal).
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The main window for the model's screen.
pub fn main_window(model: &Model) -> Element<'_, Msg> {
    let body: Element<'_, Msg> = match model.screen() {
        Screen::Starting => column![
            text("Tandem remote support").size(TITLE),
            text(&model.status).size(BODY),
        ]
        .spacing(12)
        .into(),
        Screen::Consent => consent(model),
        Screen::Session => session(model),
        Screen::Ended => column![
            text(if model.in_session {
                "Your support session has ended"
            } else {
                "The support session did not start"
            })
            .size(TITLE),
            text(sentence(model.ended.as_deref().unwrap_or_default())).size(BODY),
            text("Nobody sees your screen or uses your computer through Tandem now.").size(BODY),
            btn("Close", Button::Close, button::secondary),
        ]
        .spacing(12)
        .into(),
    };
    container(body)
        .padding(16)
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
}

fn consent(model: &Model) -> Element<'_, Msg> {
    let Some(
        q @ Question::Consent {
            timeout_secs,
            recording,
            ..
        },
    ) = model.consent_question()
    else {
        return space().into();
    };
    let record: Element<'_, Msg> = match recording {
        // Asked, not required: off until the customer ticks it (consent is given, not assumed).
        Some(terms) if !terms.required => {
            let label = if model.record_ticked {
                "☑ Recording allowed"
            } else {
                "☐ Allow recording"
            };
            btn(label, Button::ToggleRecording, button::secondary)
        }
        _ => space().into(),
    };
    column![
        text("A support representative asks to connect").size(TITLE),
        text(q.text()).size(BODY),
        record,
        text(
            "Allow viewing: they see your screen and can chat with you. Allow control: they can \
             also use your mouse and keyboard and share your clipboard. You can stop either at any time from the Tandem \
             window, and you are asked before any file is sent or shown."
        )
        .size(SMALL),
        text(format!(
            "If you do not answer, the request is declined in {timeout_secs} seconds."
        ))
        .size(SMALL),
        row![
            btn("Allow viewing", Button::AllowViewing, button::primary),
            btn("Allow control", Button::AllowControl, button::secondary),
            btn("Decline", Button::Decline, button::danger),
        ]
        .spacing(10),
    ]
    .spacing(14)
    .into()
}

fn session(model: &Model) -> Element<'_, Msg> {
    let bar_colour = if model.view.anyone_controls() {
        Color::from_rgb8(0xc6, 0x28, 0x28)
    } else if model.view.anyone_sees() {
        Color::from_rgb8(0xef, 0x6c, 0x00)
    } else {
        Color::from_rgb8(0x45, 0x5a, 0x64)
    };
    let headline = container(text(model.view.headline()).size(BODY).color(Color::WHITE))
        .padding(10)
        .width(Length::Fill)
        .style(move |_| container::background(bar_colour));
    let label = model.control_button_label();
    let control = match model.control_button() {
        Button::StopControl => btn(label, Button::StopControl, button::primary),
        other => btn(label, other, button::secondary),
    };
    let bar = row![
        control,
        space::horizontal(),
        btn("End session", Button::EndSession, button::danger)
    ]
    .align_y(Alignment::Center);

    let mut attendees = column![text("Attendees").size(BODY)].spacing(4);
    for line in model.view.sentences() {
        attendees = attendees.push(text(line).size(SMALL));
    }

    let mut questions = column![].spacing(8);
    for q in model.other_questions() {
        let (yes, no) = Model::answers(q);
        questions = questions.push(
            container(
                column![
                    text(q.text()).size(BODY),
                    text("Remote clicks and key presses are held back until you answer.")
                        .size(SMALL),
                    row![
                        btn(yes, Button::Yes(q.key()), button::primary),
                        btn(no, Button::No(q.key()), button::secondary),
                    ]
                    .spacing(10),
                ]
                .spacing(6),
            )
            .padding(10)
            .width(Length::Fill)
            .style(container::bordered_box),
        );
    }

    let mut transfers = column![].spacing(6);
    for t in &model.transfers {
        transfers = transfers.push(
            row![
                column![
                    text(format!("{} — {}%", t.label, t.percent)).size(SMALL),
                    progress_bar(0.0..=100.0, f32::from(t.percent)).girth(8),
                ]
                .spacing(2)
                .width(Length::Fill),
                btn(
                    "Cancel",
                    Button::CancelTransfer(t.tag.clone()),
                    button::secondary
                ),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        );
    }

    let mut log = column![].spacing(3);
    for line in &model.log {
        log = log.push(match line {
            LogLine::Notice(s) => text(s)
                .size(SMALL)
                .color(Color::from_rgb8(0x55, 0x55, 0x55)),
            LogLine::Chat(c) => text(format!("{}  {}: {}", c.time, c.from, c.text)).size(BODY),
        });
    }
    let chat = row![
        text_input("Write a message…", &model.draft)
            .on_input(Msg::Draft)
            .on_submit(Msg::Click(Button::SendChat))
            .size(BODY),
        btn("Send", Button::SendChat, button::secondary),
    ]
    .spacing(8);

    // Only what someone sees is recorded: the line shows exactly then.
    let recorded: Element<'_, Msg> = if model.recording_on && model.view.anyone_sees() {
        text("● This session is being recorded by the support portal.")
            .size(SMALL)
            .color(Color::from_rgb8(0xc6, 0x28, 0x28))
            .into()
    } else {
        space().into()
    };
    column![
        headline,
        recorded,
        bar,
        container(scrollable(questions)).max_height(280),
        transfers,
        attendees,
        rule::horizontal(1),
        text("Messages").size(BODY),
        scrollable(log).anchor_bottom().height(Length::Fill),
        chat,
    ]
    .spacing(10)
    .into()
}

/// One edge of the coloured frame around the shared screen.
pub fn frame_edge(colour: Color) -> Element<'static, Msg> {
    container(space())
        .width(Length::Fill)
        .height(Length::Fill)
        .style(move |_| container::background(colour))
        .into()
}
