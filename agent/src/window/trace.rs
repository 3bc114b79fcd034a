//! The automation hook (`--ui-trace FILE`): what the window really shows, read from iced's
//! own widget tree after layout — every text, and where each button is — written as JSON so
//! tests can click buttons with xdotool at the app's own positions and read the window's
//! words without screen-scraping.

use std::path::Path;

use iced::Rectangle;
use iced::advanced::widget::operation::{Operation, Outcome};
use iced::advanced::widget::{self, Id};

use super::model::{Button, Model, Screen};
use crate::customer::{Question, QuestionKey};

/// What one pass over the widget tree found.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    texts: Vec<String>,
    buttons: Vec<(String, Rectangle)>,
}

struct Collect {
    names: Vec<String>,
    found: Trace,
}

impl Operation<Trace> for Collect {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation<Trace>)) {
        operate(self);
    }

    fn container(&mut self, id: Option<&Id>, bounds: Rectangle) {
        let Some(id) = id else { return };
        if let Some(name) = self.names.iter().find(|n| Id::from((*n).clone()) == *id) {
            self.found.buttons.push((name.clone(), bounds));
        }
    }

    fn text(&mut self, _id: Option<&Id>, _bounds: Rectangle, text: &str) {
        self.found.texts.push(text.to_owned());
    }

    fn finish(&self) -> Outcome<Trace> {
        Outcome::Some(self.found.clone())
    }
}

/// Every button the model could show now (the tree says which are really there).
fn candidate_buttons(model: &Model) -> Vec<String> {
    let mut all = vec![
        Button::AllowViewing,
        Button::AllowControl,
        Button::Decline,
        Button::ToggleRecording,
        Button::StopControl,
        Button::GiveControlBack,
        Button::EndSession,
        Button::SendChat,
        Button::Close,
    ];
    for q in &model.questions {
        let key: QuestionKey = Question::key(q);
        all.push(Button::Yes(key.clone()));
        all.push(Button::No(key));
    }
    for t in &model.transfers {
        all.push(Button::CancelTransfer(t.tag.clone()));
    }
    all.iter().map(Button::name).collect()
}

/// Runs the collecting operation over the windows.
pub fn collect(model: &Model) -> iced::Task<Trace> {
    widget::operate(Collect {
        names: candidate_buttons(model),
        found: Trace::default(),
    })
}

/// Writes the trace atomically (a reader never sees half a file).
pub fn write(path: &Path, model: &Model, trace: &Trace) {
    let screen = match model.screen() {
        Screen::Starting => "starting",
        Screen::Consent => "consent",
        Screen::Session => "session",
        Screen::Ended => "ended",
    };
    let buttons: serde_json::Map<String, serde_json::Value> = trace
        .buttons
        .iter()
        .map(|(name, r)| {
            let rect = serde_json::json!([r.x, r.y, r.width, r.height]);
            (name.clone(), rect)
        })
        .collect();
    let doc = serde_json::json!({
        "screen": screen,
        "shared": model.screen_is_shared(),
        "texts": trace.texts,
        "buttons": buttons,
    });
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, doc.to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}
