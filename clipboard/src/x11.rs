//! The X11 clipboard (ICCCM selections) on a thread of its own, with its own connection and
//! a 1×1 window that owns what remote attendees copy.
//!
//! - **Learning of a copy**: XFixes `SelectSelectionInput` on CLIPBOARD sends one event
//!   whenever its owner changes; nothing polls.
//! - **Reading** (only while watching): ask the owner for `TARGETS`, then for `image/png` if
//!   offered, else `UTF8_STRING`, else `STRING` (Latin-1), into a property of our window.
//!   Owners send big values incrementally (`INCR`): we follow, up to [`MAX_CLIP`]. An owner
//!   that does not answer within [`READ_TIMEOUT`] is given up on.
//! - **Writing**: we own CLIPBOARD (and PRIMARY for text) and answer `SelectionRequest`s with
//!   the data in one property change (clips are at most [`MAX_CLIP`], far below what
//!   BIG-REQUESTS allows; larger requests are refused, never sent half).
//! - **Waking**: the session sends a command through a channel and a `ClientMessage` to our
//!   window from a second connection, so the thread blocks on the X socket alone.

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tandem_protocol::clipboard::{Clip, MAX_CLIP};
use tokio::sync::mpsc;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::Event;
use x11rb::protocol::xfixes::{ConnectionExt as _, SelectionEventMask};
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, PropMode,
    Property, SELECTION_NOTIFY_EVENT, SelectionNotifyEvent, SelectionRequestEvent, Window,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::{COPY_DEPTH_FROM_PARENT, CURRENT_TIME, NONE};

use super::ClipboardOut;

/// How long the owner of the clipboard has to answer a read.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

pub(super) enum Command {
    Set(Clip),
    Watch(bool),
    ReadNow,
}

/// The session's side: commands in, and the thread woken to read them.
pub(super) struct Handle {
    commands: std_mpsc::Sender<Command>,
    waker: RustConnection,
    window: Window,
    watching: bool,
}

impl Handle {
    pub(super) fn spawn(
        display: Option<&str>,
        out: mpsc::UnboundedSender<ClipboardOut>,
    ) -> Result<Handle, String> {
        let (conn, screen) =
            x11rb::connect(display).map_err(|e| format!("cannot open the X display: {e}"))?;
        let (waker, _) =
            x11rb::connect(display).map_err(|e| format!("cannot open the X display: {e}"))?;
        let mut thread = Selections::new(conn, screen, out).map_err(|e| e.to_string())?;
        let window = thread.window;
        let (commands, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("clipboard".into())
            .spawn(move || {
                if let Err(e) = thread.run(&rx) {
                    tracing::warn!("the shared clipboard stopped: {e}");
                }
            })
            .map_err(|e| format!("cannot start the clipboard thread: {e}"))?;
        Ok(Handle {
            commands,
            waker,
            window,
            watching: false,
        })
    }

    pub(super) fn watch(&mut self, on: bool) {
        if self.watching != on {
            self.watching = on;
            self.send(Command::Watch(on));
        }
    }

    pub(super) fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            return; // the thread stopped (and said why)
        }
        let wake = ClientMessageEvent::new(32, self.window, AtomEnum::NOTICE, [0u32; 5]);
        let sent = self
            .waker
            .send_event(false, self.window, EventMask::NO_EVENT, wake)
            .map(|_| ())
            .and_then(|()| self.waker.flush());
        if let Err(e) = sent {
            tracing::warn!("cannot wake the clipboard thread: {e}");
        }
    }
}

struct Atoms {
    clipboard: Atom,
    targets: Atom,
    utf8: Atom,
    text: Atom,
    plain_utf8: Atom,
    plain: Atom,
    png: Atom,
    incr: Atom,
    slot: Atom,
}

/// A read in progress.
enum Reading {
    Targets {
        deadline: Instant,
    },
    Data {
        target: Atom,
        deadline: Instant,
    },
    /// Incremental transfer: chunks arrive as property changes until an empty one.
    Incremental {
        target: Atom,
        bytes: Vec<u8>,
        deadline: Instant,
    },
}

struct Selections {
    conn: RustConnection,
    window: Window,
    atoms: Atoms,
    out: mpsc::UnboundedSender<ClipboardOut>,
    owned: Option<Clip>,
    watching: bool,
    reading: Option<Reading>,
}

type XResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Waits until the X connection has something to read, at most `timeout` (`None`: as long as
/// it takes). x11rb may hold events it read already: callers drain those first.
fn wait_readable(conn: &RustConnection, timeout: Option<Duration>) -> std::io::Result<()> {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let timeout = timeout.map(|t| Timespec {
        tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    let mut fds = [PollFd::new(conn.stream(), PollFlags::IN)];
    match rustix::event::poll(&mut fds, timeout.as_ref()) {
        Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl Selections {
    fn new(
        conn: RustConnection,
        screen: usize,
        out: mpsc::UnboundedSender<ClipboardOut>,
    ) -> XResult<Self> {
        let root = conn.setup().roots[screen].root;
        conn.xfixes_query_version(5, 0)?.reply()?;
        let window = conn.generate_id()?;
        conn.create_window(
            COPY_DEPTH_FROM_PARENT,
            window,
            root,
            -10,
            -10,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new().event_mask(EventMask::PROPERTY_CHANGE),
        )?;
        let intern = |name: &str| -> XResult<Atom> {
            Ok(conn.intern_atom(false, name.as_bytes())?.reply()?.atom)
        };
        let atoms = Atoms {
            clipboard: intern("CLIPBOARD")?,
            targets: intern("TARGETS")?,
            utf8: intern("UTF8_STRING")?,
            text: intern("TEXT")?,
            plain_utf8: intern("text/plain;charset=utf-8")?,
            plain: intern("text/plain")?,
            png: intern("image/png")?,
            incr: intern("INCR")?,
            slot: intern("TANDEM_CLIPBOARD")?,
        };
        conn.xfixes_select_selection_input(
            window,
            atoms.clipboard,
            SelectionEventMask::SET_SELECTION_OWNER,
        )?;
        conn.flush()?;
        Ok(Selections {
            conn,
            window,
            atoms,
            out,
            owned: None,
            watching: false,
            reading: None,
        })
    }

    fn run(&mut self, commands: &std_mpsc::Receiver<Command>) -> XResult<()> {
        loop {
            loop {
                match commands.try_recv() {
                    Ok(Command::Set(clip)) => self.take_ownership(clip)?,
                    Ok(Command::Watch(on)) => {
                        self.watching = on;
                        if !on {
                            self.reading = None;
                        }
                    }
                    Ok(Command::ReadNow) => self.read_now()?,
                    Err(std_mpsc::TryRecvError::Empty) => break,
                    // the session is over
                    Err(std_mpsc::TryRecvError::Disconnected) => return Ok(()),
                }
            }
            while let Some(event) = self.conn.poll_for_event()? {
                self.handle(event)?;
            }
            self.conn.flush()?;
            let deadline = self.reading.as_ref().map(|r| match r {
                Reading::Targets { deadline }
                | Reading::Data { deadline, .. }
                | Reading::Incremental { deadline, .. } => *deadline,
            });
            if let Some(deadline) = deadline
                && Instant::now() >= deadline
            {
                tracing::info!("the clipboard's owner did not answer in time");
                self.reading = None;
                continue;
            }
            let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            wait_readable(&self.conn, wait)?;
        }
    }

    /// Starts reading the clipboard now, unless a read is under way already.
    fn read_now(&mut self) -> XResult<()> {
        if self.reading.is_some() {
            return Ok(());
        }
        let owner = self
            .conn
            .get_selection_owner(self.atoms.clipboard)?
            .reply()?
            .owner;
        if owner == NONE || owner == self.window {
            let _ = self.out.send(ClipboardOut::Nothing);
            return Ok(());
        }
        self.conn.convert_selection(
            self.window,
            self.atoms.clipboard,
            self.atoms.targets,
            self.atoms.slot,
            CURRENT_TIME,
        )?;
        self.reading = Some(Reading::Targets {
            deadline: Instant::now() + READ_TIMEOUT,
        });
        Ok(())
    }

    fn handle(&mut self, event: Event) -> XResult<()> {
        tracing::trace!(?event, "clipboard X event");
        match event {
            Event::XfixesSelectionNotify(e) if e.selection == self.atoms.clipboard => {
                tracing::debug!(
                    owner = e.owner,
                    watching = self.watching,
                    "the clipboard has a new owner"
                );
                if e.owner != self.window && e.owner != NONE && self.watching {
                    self.conn.convert_selection(
                        self.window,
                        self.atoms.clipboard,
                        self.atoms.targets,
                        self.atoms.slot,
                        e.selection_timestamp,
                    )?;
                    self.reading = Some(Reading::Targets {
                        deadline: Instant::now() + READ_TIMEOUT,
                    });
                }
            }
            Event::SelectionNotify(e) if e.requestor == self.window => self.answered(e)?,
            Event::PropertyNotify(e)
                if e.window == self.window
                    && e.atom == self.atoms.slot
                    && e.state == Property::NEW_VALUE =>
            {
                self.incremental_chunk()?;
            }
            Event::SelectionRequest(e) => self.serve(e)?,
            Event::SelectionClear(e) if e.selection == self.atoms.clipboard => {
                // someone on the customer's desktop copied something else
                self.owned = None;
            }
            _ => {}
        }
        Ok(())
    }

    fn take_ownership(&mut self, clip: Clip) -> XResult<()> {
        let text = matches!(clip, Clip::Text(_));
        self.owned = Some(clip);
        self.conn
            .set_selection_owner(self.window, self.atoms.clipboard, CURRENT_TIME)?;
        if text {
            self.conn
                .set_selection_owner(self.window, AtomEnum::PRIMARY.into(), CURRENT_TIME)?;
        }
        let owner = self
            .conn
            .get_selection_owner(self.atoms.clipboard)?
            .reply()?;
        if owner.owner != self.window {
            tracing::warn!("could not take the customer's clipboard");
        }
        Ok(())
    }

    /// The owner answered one of our reads.
    fn answered(&mut self, e: SelectionNotifyEvent) -> XResult<()> {
        let Some(reading) = self.reading.take() else {
            return Ok(());
        };
        tracing::debug!(
            property = e.property,
            target = e.target,
            "the clipboard's owner answered"
        );
        if e.property == NONE {
            // the owner has nothing we can take
            return Ok(());
        }
        let deadline = Instant::now() + READ_TIMEOUT;
        match reading {
            Reading::Targets { .. } => {
                let reply = self
                    .conn
                    .get_property(true, self.window, self.atoms.slot, AtomEnum::ATOM, 0, 4096)?
                    .reply()?;
                let offered: Vec<Atom> = reply.value32().map(Iterator::collect).unwrap_or_default();
                let a = &self.atoms;
                let Some(target) = [a.png, a.utf8, AtomEnum::STRING.into()]
                    .into_iter()
                    .find(|t| offered.contains(t))
                else {
                    let _ = self.out.send(ClipboardOut::NotShared(
                        "the copied item is neither text nor an image".into(),
                    ));
                    return Ok(());
                };
                self.conn.convert_selection(
                    self.window,
                    self.atoms.clipboard,
                    target,
                    self.atoms.slot,
                    e.time,
                )?;
                self.reading = Some(Reading::Data { target, deadline });
            }
            Reading::Data { target, .. } => {
                let limit = MAX_CLIP.div_ceil(4) + 1;
                let reply = self
                    .conn
                    .get_property(false, self.window, self.atoms.slot, AtomEnum::ANY, 0, limit)?
                    .reply()?;
                if reply.type_ == self.atoms.incr {
                    // Deleting the property tells the owner to send the first chunk.
                    self.conn.delete_property(self.window, self.atoms.slot)?;
                    self.reading = Some(Reading::Incremental {
                        target,
                        bytes: Vec::new(),
                        deadline,
                    });
                    return Ok(());
                }
                self.conn.delete_property(self.window, self.atoms.slot)?;
                if reply.bytes_after > 0 {
                    self.too_large();
                } else {
                    self.finish(target, reply.value);
                }
            }
            Reading::Incremental { .. } => {}
        }
        Ok(())
    }

    fn incremental_chunk(&mut self) -> XResult<()> {
        // An owner sets the property (a NEW_VALUE) before it answers every read, not only
        // during an incremental one: those are not ours to take.
        if !matches!(self.reading, Some(Reading::Incremental { .. })) {
            return Ok(());
        }
        let Some(Reading::Incremental {
            target, mut bytes, ..
        }) = self.reading.take()
        else {
            return Ok(());
        };
        let reply = self
            .conn
            .get_property(
                true,
                self.window,
                self.atoms.slot,
                AtomEnum::ANY,
                0,
                MAX_CLIP / 4,
            )?
            .reply()?;
        if reply.value.is_empty() {
            self.finish(target, bytes);
            return Ok(());
        }
        if bytes.len() + reply.value.len() > MAX_CLIP as usize {
            // Stop reading; the owner gives up on its own when nobody asks for more.
            self.too_large();
            return Ok(());
        }
        bytes.extend_from_slice(&reply.value);
        self.reading = Some(Reading::Incremental {
            target,
            bytes,
            deadline: Instant::now() + READ_TIMEOUT,
        });
        Ok(())
    }

    fn too_large(&self) {
        let _ = self.out.send(ClipboardOut::NotShared(format!(
            "the copied item is larger than {} MB",
            MAX_CLIP / (1024 * 1024)
        )));
    }

    fn finish(&self, target: Atom, bytes: Vec<u8>) {
        let clip = if target == self.atoms.png {
            Clip::png(bytes)
        } else if target == self.atoms.utf8 {
            Clip::text(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            // STRING is Latin-1: every byte is the code point of the same number.
            Clip::text(bytes.iter().map(|&b| char::from(b)).collect())
        };
        let _ = self.out.send(match clip {
            Ok(clip) => ClipboardOut::Copied(clip),
            Err(e) => ClipboardOut::NotShared(e.to_string()),
        });
    }

    /// Another program asks for what we own.
    fn serve(&self, e: SelectionRequestEvent) -> XResult<()> {
        // Old clients name no property: the target is used instead (ICCCM 2.2).
        let property = if e.property == NONE {
            e.target
        } else {
            e.property
        };
        let served = self.write_answer(&e, property)?;
        let notify = SelectionNotifyEvent {
            response_type: SELECTION_NOTIFY_EVENT,
            sequence: 0,
            time: e.time,
            requestor: e.requestor,
            selection: e.selection,
            target: e.target,
            property: if served { property } else { NONE },
        };
        self.conn
            .send_event(false, e.requestor, EventMask::NO_EVENT, notify)?;
        Ok(())
    }

    /// Writes what `e` asks for into the requestor's property; false when we cannot.
    fn write_answer(&self, e: &SelectionRequestEvent, property: Atom) -> XResult<bool> {
        let a = &self.atoms;
        let ours = e.selection == a.clipboard || e.selection == Atom::from(AtomEnum::PRIMARY);
        let Some(clip) = self.owned.as_ref().filter(|_| ours) else {
            return Ok(false);
        };
        let text_targets = [
            a.utf8,
            a.plain_utf8,
            a.text,
            AtomEnum::STRING.into(),
            a.plain,
        ];
        let offered: Vec<Atom> = match clip {
            Clip::Text(_) => std::iter::once(a.targets).chain(text_targets).collect(),
            Clip::Png(_) => vec![a.targets, a.png],
        };
        if e.target == a.targets {
            self.conn.change_property32(
                PropMode::REPLACE,
                e.requestor,
                property,
                AtomEnum::ATOM,
                &offered,
            )?;
            return Ok(true);
        }
        if !offered.contains(&e.target) {
            return Ok(false);
        }
        let bytes: std::borrow::Cow<'_, [u8]> = match clip {
            Clip::Text(t) if e.target == Atom::from(AtomEnum::STRING) => {
                // Latin-1 for STRING; what it cannot hold becomes '?'
                t.chars()
                    .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                    .collect::<Vec<u8>>()
                    .into()
            }
            other => other.bytes().into(),
        };
        // The request header and fields take 24 bytes besides the data.
        if bytes.len() + 32 > self.conn.maximum_request_bytes() {
            tracing::warn!("a clip too large for one X request was not handed over");
            return Ok(false);
        }
        // TEXT is answered as UTF8_STRING, as toolkits do.
        let kind = if e.target == a.text { a.utf8 } else { e.target };
        self.conn
            .change_property8(PropMode::REPLACE, e.requestor, property, kind, &bytes)?;
        Ok(true)
    }
}
