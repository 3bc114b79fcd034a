//! The winit application: owns the window, the softbuffer surface and the latest picture.

use super::input::{InputState, KeyInput};
use super::render::{self, Scaler};
use super::scale::{self, View};
use super::{CursorPicture, Picture, WAITING_TITLE, WindowUpdate, title_text};
use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tandem_protocol::input::{Button, InputEvent};
use tokio::sync::mpsc::UnboundedSender;
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{
    DeviceEvent, DeviceId, ElementState, MouseButton, MouseScrollDelta, WindowEvent,
};
use winit::event_loop::{ActiveEventLoop, ControlFlow};
use winit::window::{Window, WindowId};

/// How long the reason stays in the title after the session ends.
const CLOSE_DELAY: Duration = Duration::from_millis(1500);
/// Window size before the first picture (capped to the monitor like a picture).
const DEFAULT_SIZE: (u32, u32) = (1024, 576);

type Surface = softbuffer::Surface<Rc<Window>, Rc<Window>>;

/// The window and what we draw into.
struct Gfx {
    window: Rc<Window>,
    surface: Surface,
}

/// The session window's state.
pub(super) struct App {
    title: String,
    status: String,
    input_tx: UnboundedSender<InputEvent>,
    input: InputState,
    out: Vec<InputEvent>,
    gfx: Option<Gfx>,
    picture: Option<Arc<Picture>>,
    scaler: Option<Scaler>,
    /// The customer's pointer: its look and where it is (drawn over the picture).
    cursor: Option<Arc<CursorPicture>>,
    cursor_at: Option<(u16, u16)>,
    sized_for_picture: bool,
    /// Shown over the dimmed picture while it is not live.
    banner: Option<String>,
    actions: UnboundedSender<super::WindowAction>,
    /// Rights in force, once connected.
    rights: Option<tandem_protocol::Rights>,
    /// "Ask for control" was pressed and the customer has not answered yet.
    asked: bool,
    /// Where "Ask for control" is drawn now (none while it is not shown).
    ask_button: Option<super::banner::Area>,
    banner_text: Option<super::banner::BannerText>,
    /// Why the session ended, once it has.
    ended: Option<String>,
    close_at: Option<Instant>,
    /// Wheel button releases (X11 buttons 4-7) seen as raw device events in this batch; see
    /// [`App::is_release_echo`].
    wheel_releases: u32,
    error: Option<anyhow::Error>,
}

impl App {
    pub(super) fn new(
        title: &str,
        input_tx: UnboundedSender<InputEvent>,
        actions: UnboundedSender<super::WindowAction>,
    ) -> App {
        App {
            title: title.to_owned(),
            status: String::new(),
            input_tx,
            input: InputState::default(),
            out: Vec::new(),
            gfx: None,
            picture: None,
            scaler: None,
            cursor: None,
            cursor_at: None,
            sized_for_picture: false,
            banner: None,
            banner_text: None,
            actions,
            rights: None,
            asked: false,
            ask_button: None,
            ended: None,
            close_at: None,
            wheel_releases: 0,
            error: None,
        }
    }

    /// The outcome of the loop: an error if the window could not be created.
    pub(super) fn finish(self) -> anyhow::Result<()> {
        self.error.map_or(Ok(()), Err)
    }

    fn title_now(&self) -> String {
        match (&self.ended, &self.picture) {
            (Some(reason), _) => title_text(&self.title, &format!("session ended: {reason}")),
            (None, None) => WAITING_TITLE.to_owned(),
            (None, Some(_)) => title_text(&self.title, &self.status),
        }
    }

    fn create_window(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        let monitor = event_loop
            .primary_monitor()
            .map(|m| (m.size().width, m.size().height));
        let wanted = match &self.picture {
            Some(p) => (u32::from(p.width), u32::from(p.height)),
            None => DEFAULT_SIZE,
        };
        let (w, h) = scale::initial_size(wanted, monitor);
        let attributes = Window::default_attributes()
            .with_title(self.title_now())
            .with_inner_size(PhysicalSize::new(w, h));
        let window = Rc::new(event_loop.create_window(attributes)?);
        let context = softbuffer::Context::new(window.clone())
            .map_err(|e| anyhow::anyhow!("cannot draw on the display: {e}"))?;
        let surface = Surface::new(&context, window.clone())
            .map_err(|e| anyhow::anyhow!("cannot draw in the window: {e}"))?;
        self.sized_for_picture = self.picture.is_some();
        self.gfx = Some(Gfx { window, surface });
        self.update_view();
        Ok(())
    }

    fn update_title(&self) {
        if let Some(gfx) = &self.gfx {
            gfx.window.set_title(&self.title_now());
        }
    }

    /// Recomputes where the picture sits, for input mapping.
    fn update_view(&mut self) {
        let view = match (&self.gfx, &self.picture) {
            (Some(gfx), Some(p)) => {
                let size = gfx.window.inner_size();
                View::new((p.width, p.height), (size.width, size.height))
            }
            _ => None,
        };
        self.input.set_view(view);
    }

    fn request_redraw(&self) {
        if let Some(gfx) = &self.gfx {
            gfx.window.request_redraw();
        }
    }

    fn show_picture(&mut self, picture: Arc<Picture>) {
        let (w, h) = (u32::from(picture.width), u32::from(picture.height));
        if w == 0 || h == 0 || picture.bgrx.len() < w as usize * h as usize * 4 {
            tracing::warn!(?picture, "ignoring a malformed picture");
            return;
        }
        let first = self.picture.is_none();
        let same_size = self
            .picture
            .as_ref()
            .is_some_and(|p| (p.width, p.height) == (picture.width, picture.height));
        self.picture = Some(picture);
        if let (Some(gfx), false) = (&self.gfx, self.sized_for_picture) {
            self.sized_for_picture = true;
            let monitor = gfx.window.current_monitor().map(|m| m.size());
            let monitor = monitor.map(|m| (m.width, m.height));
            let (w, h) = scale::initial_size((w, h), monitor);
            let _ = gfx.window.request_inner_size(PhysicalSize::new(w, h));
        }
        if first {
            self.update_title();
        }
        if !same_size {
            self.update_view();
        }
        self.request_redraw();
    }

    fn redraw(&mut self) {
        let Some(gfx) = self.gfx.as_mut() else { return };
        let size = gfx.window.inner_size();
        let (Some(w), Some(h)) = (NonZeroU32::new(size.width), NonZeroU32::new(size.height)) else {
            return;
        };
        if let Err(e) = gfx.surface.resize(w, h) {
            tracing::warn!("cannot resize the window buffer: {e}");
            return;
        }
        let mut buffer = match gfx.surface.buffer_mut() {
            Ok(buffer) => buffer,
            Err(e) => {
                tracing::warn!("cannot get the window buffer: {e}");
                return;
            }
        };
        let started = Instant::now();
        match &self.picture {
            None => buffer.fill(render::WAITING),
            Some(p) => {
                let src = (u32::from(p.width), u32::from(p.height));
                let win = (size.width, size.height);
                if !self.scaler.as_ref().is_some_and(|s| s.fits(src, win)) {
                    self.scaler = scale::fit(src, win).map(|r| Scaler::new(src, win, r));
                }
                match &self.scaler {
                    Some(scaler) => scaler.draw(&p.bgrx, &mut buffer),
                    None => buffer.fill(render::BORDER),
                }
                if let (Some(c), Some(at), Some(rect)) =
                    (&self.cursor, self.cursor_at, scale::fit(src, win))
                {
                    // The hot spot lands where the pointer is on the scaled picture.
                    let x = rect.x as i64 + i64::from(at.0) * rect.w as i64 / src.0.max(1) as i64;
                    let y = rect.y as i64 + i64::from(at.1) * rect.h as i64 / src.1.max(1) as i64;
                    render::draw_cursor(&mut buffer, win, c, (x, y));
                }
            }
        }
        let win = (size.width, size.height);
        let overlay = &mut self.banner_text;
        if let Some(message) = &self.banner {
            overlay
                .get_or_insert_with(super::banner::BannerText::new)
                .draw(&mut buffer, win, message);
        }
        let may_ask = self.banner.is_none()
            && self
                .rights
                .is_some_and(|r| !r.contains(tandem_protocol::Rights::CONTROL));
        self.ask_button = super::banner::corner_button(win).filter(|_| may_ask);
        if let Some(at) = self.ask_button {
            let (label, fill) = if self.asked {
                ("Asked the customer…", 0x0055_5555)
            } else {
                ("Ask for control", 0x001f_6feb)
            };
            overlay
                .get_or_insert_with(super::banner::BannerText::new)
                .button(&mut buffer, win, at, label, fill);
        }
        let drawn = started.elapsed();
        if let Err(e) = buffer.present() {
            tracing::warn!("cannot show the window buffer: {e}");
        }
        tracing::debug!(
            width = size.width,
            height = size.height,
            draw_us = drawn.as_micros() as u64,
            total_us = started.elapsed().as_micros() as u64,
            "frame"
        );
    }

    /// Sends queued input to the session; after the session ended, input is dropped.
    fn flush_input(&mut self) {
        for event in self.out.drain(..) {
            if self.ended.is_none() {
                // A closed channel means the session stopped listening: nothing to do.
                let _ = self.input_tx.send(event);
            }
        }
    }

    fn release_all(&mut self) {
        self.input.release_all(&mut self.out);
        self.flush_input();
    }

    fn end(&mut self, event_loop: &ActiveEventLoop, reason: String) {
        self.release_all();
        self.ended = Some(reason);
        if self.gfx.is_none() {
            event_loop.exit();
            return;
        }
        self.update_title();
        let at = Instant::now() + CLOSE_DELAY;
        self.close_at = Some(at);
        event_loop.set_control_flow(ControlFlow::WaitUntil(at));
    }

    /// winit 0.30 on X11 reports a wheel *button* (4-7, as sent by XTest: xdotool, VNC) as a
    /// wheel event on press and again on release (fixed upstream in winit PR #4386). Real
    /// wheels arrive as valuator motion and are not affected. The raw release comes just
    /// before the echo, so a one-line wheel event right after one is dropped.
    fn is_release_echo(releases: &mut u32, delta: MouseScrollDelta) -> bool {
        let one_line = matches!(delta, MouseScrollDelta::LineDelta(x, y)
            if (x.abs() == 1.0 && y == 0.0) || (x == 0.0 && y.abs() == 1.0));
        if one_line && *releases > 0 {
            *releases -= 1;
            return true;
        }
        false
    }

    /// Whether the window's cursor is on "Ask for control" (a click there is the window's own,
    /// not the customer's).
    fn on_ask_button(&self) -> bool {
        match (self.ask_button, self.input.cursor()) {
            (Some(at), Some((x, y))) => at.contains(x, y),
            _ => false,
        }
    }

    fn pointer_event(&mut self, event: &WindowEvent) {
        let out = &mut self.out;
        match event {
            WindowEvent::CursorMoved { position, .. } => {
                self.input.cursor_moved(position.x, position.y, out)
            }
            WindowEvent::CursorLeft { .. } => self.input.cursor_left(),
            WindowEvent::MouseInput { state, button, .. } => {
                let button = match button {
                    MouseButton::Left => Button::LEFT,
                    MouseButton::Middle => Button::MIDDLE,
                    MouseButton::Right => Button::RIGHT,
                    MouseButton::Back => Button(8),
                    MouseButton::Forward => Button(9),
                    MouseButton::Other(_) => return,
                };
                self.input.button(button, state.is_pressed(), out);
            }
            WindowEvent::MouseWheel { delta, .. }
                if Self::is_release_echo(&mut self.wheel_releases, *delta) => {}
            WindowEvent::MouseWheel { delta, .. } => match *delta {
                MouseScrollDelta::LineDelta(x, y) => {
                    self.input.wheel_lines(f64::from(x), f64::from(y), out)
                }
                MouseScrollDelta::PixelDelta(p) => self.input.wheel_pixels(p.x, p.y, out),
            },
            _ => {}
        }
    }
}

impl ApplicationHandler<WindowUpdate> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        if let Err(e) = self.create_window(event_loop) {
            self.error = Some(e.context("cannot open the session window"));
            event_loop.exit();
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, update: WindowUpdate) {
        if self.ended.is_some() {
            return;
        }
        match update {
            WindowUpdate::Picture(picture) => self.show_picture(picture),
            WindowUpdate::Status(status) => {
                self.status = status;
                self.update_title();
            }
            WindowUpdate::Close(reason) => self.end(event_loop, reason),
            WindowUpdate::Banner(banner) => {
                self.banner = banner;
                self.request_redraw();
            }
            WindowUpdate::Rights(rights) => {
                self.rights = Some(rights);
                self.asked = false;
                self.request_redraw();
            }
            WindowUpdate::CursorAt(x, y) => {
                self.cursor_at = Some((x, y));
                self.request_redraw();
            }
            WindowUpdate::CursorShape(c) => {
                self.cursor = Some(c);
                self.request_redraw();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => {
                self.release_all();
                event_loop.exit();
            }
            WindowEvent::Destroyed => {
                // Destroyed from outside (e.g. `xdotool windowclose`): winit panics on
                // size queries of a dead window, so forget it before a queued redraw runs.
                self.release_all();
                self.gfx = None;
                event_loop.exit();
            }
            WindowEvent::Resized(_) => {
                self.update_view();
                self.request_redraw();
            }
            WindowEvent::RedrawRequested => self.redraw(),
            WindowEvent::Focused(false) => self.release_all(),
            WindowEvent::KeyboardInput {
                event,
                is_synthetic,
                ..
            } => {
                let key = KeyInput {
                    physical: event.physical_key,
                    logical: &event.logical_key,
                    location: event.location,
                    down: event.state.is_pressed(),
                    repeat: event.repeat,
                    synthetic: is_synthetic,
                };
                self.input.key(key, &mut self.out);
            }
            WindowEvent::MouseInput {
                state: ElementState::Pressed,
                button: MouseButton::Left,
                ..
            } if self.on_ask_button() => {
                if !self.asked {
                    self.asked = true;
                    let _ = self.actions.send(super::WindowAction::AskForControl);
                    self.request_redraw();
                }
            }
            other => self.pointer_event(&other),
        }
        self.flush_input();
    }

    fn device_event(&mut self, _: &ActiveEventLoop, _: DeviceId, event: DeviceEvent) {
        if let DeviceEvent::Button {
            button: 4..=7,
            state: ElementState::Released,
        } = event
        {
            self.wheel_releases += 1;
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        // An unmatched release must not swallow a later, real wheel event.
        self.wheel_releases = 0;
        if self.close_at.is_some_and(|at| Instant::now() >= at) {
            event_loop.exit();
        }
    }

    fn exiting(&mut self, _: &ActiveEventLoop) {
        self.release_all();
        // Drop the surface before the window goes away with the loop.
        self.gfx = None;
    }
}
