//! The customer app's window (iced, drawn on the CPU by tiny-skia, so it runs on a plain X
//! server without a GPU). It runs on the main thread — the windowing system requires it —
//! while the session runs on a tokio runtime beside it; the two talk only through
//! [`UiEvent`]s and [`FromCustomer`] commands.
//!
//! While anyone sees the screen the window stays above other windows and a coloured frame
//! (four thin click-through windows) marks the shared screen's edges.

mod model;
mod trace;
mod view;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iced::window::{self, Level, Position};
use iced::{Color, Element, Point, Size, Subscription, Task};
use tokio::sync::mpsc;

use crate::customer::{FromCustomer, Question, UiEvent};
pub use model::{Button, Model, Screen};

/// How long the "session ended" screen stays before the window closes by itself.
const CLOSE_AFTER_END: Duration = Duration::from_secs(10);
/// Thickness of the coloured frame around the shared screen, in pixels.
const FRAME_PX: f32 = 4.0;

/// How the window looks and can be automated.
#[derive(Debug, Clone, Default)]
pub struct WindowOptions {
    /// Colour of the frame around the shared screen; `None`: no frame.
    pub frame: Option<[u8; 3]>,
    /// Automation hook: write what the window shows (texts, buttons and their positions)
    /// to this file as JSON, refreshed a few times a second.
    pub trace: Option<PathBuf>,
}

/// Messages of the window's update loop.
#[derive(Debug, Clone)]
pub enum Msg {
    /// From the session.
    Ui(UiEvent),
    /// The session's side is gone.
    SessionGone,
    /// A button.
    Click(Button),
    /// The chat draft changed.
    Draft(String),
    /// The window manager asks to close a window.
    CloseRequested(window::Id),
    /// The screen's size, for the frame.
    MonitorSize(Option<Size>),
    /// Time to refresh the automation trace.
    TraceTick,
    /// The trace operation finished.
    Traced(trace::Trace),
    /// Time to close after the session ended.
    CloseNow,
}

struct App {
    model: Model,
    commands: mpsc::UnboundedSender<FromCustomer>,
    main: window::Id,
    frame: Vec<window::Id>,
    frame_colour: Option<Color>,
    screen: Option<Size>,
    on_top: bool,
    trace: Option<PathBuf>,
}

/// Runs the window until the customer closes it or the session ended and it closed itself.
/// `events` come from the session; clicks go to `commands`.
pub fn run(
    events: mpsc::UnboundedReceiver<UiEvent>,
    commands: mpsc::UnboundedSender<FromCustomer>,
    options: WindowOptions,
) -> Result<(), String> {
    let events = Arc::new(Mutex::new(Some(events)));
    let boot = move || {
        let (main, open) = window::open(window::Settings {
            size: Size::new(view::WINDOW_WIDTH, view::DIALOG_HEIGHT),
            position: Position::SpecificWith(|size, screen| {
                Point::new((screen.width - size.width - 24.0).max(0.0), 24.0)
            }),
            resizable: false,
            level: Level::AlwaysOnTop,
            exit_on_close_request: false,
            ..window::Settings::default()
        });
        let stream = events.lock().ok().and_then(|mut e| e.take()).map(|rx| {
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|e| (e, rx)) },
            )
        });
        let ui = match stream {
            Some(s) => Task::run(s, Msg::Ui).chain(Task::done(Msg::SessionGone)),
            None => Task::done(Msg::SessionGone),
        };
        let app = App {
            model: Model::default(),
            commands: commands.clone(),
            main,
            frame: Vec::new(),
            frame_colour: options.frame.map(|[r, g, b]| Color::from_rgb8(r, g, b)),
            screen: None,
            on_top: true,
            trace: options.trace.clone(),
        };
        let size = window::monitor_size(main).map(Msg::MonitorSize);
        (app, Task::batch([open.discard(), ui, size]))
    };
    iced::daemon(boot, App::update, App::view)
        .title(|app: &App, id| {
            if id == app.main {
                "Tandem remote support".to_owned()
            } else {
                "Tandem frame".to_owned()
            }
        })
        .subscription(App::subscription)
        .theme(|_: &App, _| iced::Theme::Light)
        .run()
        .map_err(|e| e.to_string())
}

impl App {
    fn update(&mut self, msg: Msg) -> Task<Msg> {
        match msg {
            Msg::Ui(event) => {
                let ended = matches!(event, UiEvent::Ended(_));
                let before = self.model.screen();
                self.model.apply(event);
                let mut task = self.follow_sharing();
                if self.model.screen() != before {
                    // The consent dialog is short; the session needs the whole height.
                    let height = match self.model.screen() {
                        Screen::Consent
                            if matches!(
                                self.model.consent_question(),
                                Some(Question::Consent {
                                    recording: Some(_),
                                    ..
                                })
                            ) =>
                        {
                            view::RECORDING_DIALOG_HEIGHT
                        }
                        Screen::Consent | Screen::Starting | Screen::Ended => view::DIALOG_HEIGHT,
                        Screen::Session => view::WINDOW_HEIGHT,
                    };
                    let size = Size::new(view::WINDOW_WIDTH, height);
                    task = task.chain(window::resize(self.main, size));
                }
                if ended {
                    return task.chain(Task::perform(tokio::time::sleep(CLOSE_AFTER_END), |()| {
                        Msg::CloseNow
                    }));
                }
                task
            }
            Msg::SessionGone => {
                if self.model.ended.is_some() {
                    return Task::none(); // the close after the end is already on its way
                }
                self.model
                    .apply(UiEvent::Ended("the customer app stopped".into()));
                self.follow_sharing()
                    .chain(Task::perform(tokio::time::sleep(CLOSE_AFTER_END), |()| {
                        Msg::CloseNow
                    }))
            }
            Msg::Click(Button::Close) | Msg::CloseNow => {
                if let Some(path) = &self.trace {
                    // Gone with the window: automation never reads a stale one.
                    let _ = std::fs::remove_file(path);
                }
                iced::exit()
            }
            Msg::Click(button) => {
                if let Some(command) = self.model.click(&button) {
                    let _ = self.commands.send(FromCustomer::Command(command));
                }
                Task::none()
            }
            Msg::Draft(text) => {
                self.model.edit_draft(text);
                Task::none()
            }
            Msg::CloseRequested(id) if id == self.main => {
                if self.model.ended.is_some() {
                    return iced::exit();
                }
                // Closing the window ends the session: nothing runs unseen.
                let _ = self
                    .commands
                    .send(FromCustomer::Command(crate::customer::CustomerCommand::End));
                Task::none()
            }
            Msg::CloseRequested(_) => Task::none(),
            Msg::MonitorSize(size) => {
                self.screen = size;
                self.follow_sharing()
            }
            Msg::TraceTick => trace::collect(&self.model).map(Msg::Traced),
            Msg::Traced(t) => {
                if let Some(path) = &self.trace {
                    trace::write(path, &self.model, &t);
                }
                Task::none()
            }
        }
    }

    /// Keeps the window on top and the frame up exactly while someone sees the screen.
    fn follow_sharing(&mut self) -> Task<Msg> {
        let shared = self.model.screen_is_shared();
        let mut tasks = Vec::new();
        let on_top = shared || self.model.screen() == Screen::Consent;
        if on_top != self.on_top {
            self.on_top = on_top;
            let level = if on_top {
                Level::AlwaysOnTop
            } else {
                Level::Normal
            };
            tasks.push(window::set_level(self.main, level));
        }
        match (
            shared,
            self.frame.is_empty(),
            self.frame_colour,
            self.screen,
        ) {
            (true, true, Some(_), Some(screen)) => {
                for (pos, size) in frame_edges(screen) {
                    let (id, open) = window::open(window::Settings {
                        size,
                        position: Position::Specific(pos),
                        decorations: false,
                        resizable: false,
                        level: Level::AlwaysOnTop,
                        exit_on_close_request: false,
                        ..window::Settings::default()
                    });
                    self.frame.push(id);
                    tasks.push(open.discard());
                    tasks.push(window::enable_mouse_passthrough(id));
                }
            }
            (false, false, _, _) => {
                for id in self.frame.drain(..) {
                    tasks.push(window::close(id));
                }
            }
            _ => {}
        }
        Task::batch(tasks)
    }

    fn view(&self, id: window::Id) -> Element<'_, Msg> {
        if id == self.main {
            view::main_window(&self.model)
        } else {
            view::frame_edge(self.frame_colour.unwrap_or(Color::BLACK))
        }
    }

    fn subscription(&self) -> Subscription<Msg> {
        let closes = window::close_requests().map(Msg::CloseRequested);
        if self.trace.is_some() {
            Subscription::batch([
                closes,
                iced::time::every(Duration::from_millis(200)).map(|_| Msg::TraceTick),
            ])
        } else {
            closes
        }
    }
}

/// Top, bottom, left and right strips of the screen.
fn frame_edges(screen: Size) -> [(Point, Size); 4] {
    let (w, h, t) = (screen.width, screen.height, FRAME_PX);
    [
        (Point::new(0.0, 0.0), Size::new(w, t)),
        (Point::new(0.0, h - t), Size::new(w, t)),
        (Point::new(0.0, 0.0), Size::new(t, h)),
        (Point::new(w - t, 0.0), Size::new(t, h)),
    ]
}
