//! Linux/X11 capture: MIT-SHM into a private memfd, XDamage for change rectangles.
//!
//! Damage: one damage object on the root window at report level `NonEmpty`. The server sends
//! a single `DamageNotify` when the accumulated damage goes from empty to non-empty and then
//! stays quiet however much more is drawn. On that event we `DamageSubtract` the whole
//! region into a scratch XFixes region (which also empties it, re-arming the notify) and
//! `FetchRegion` its rectangles: one event and one round trip per burst of drawing, and
//! nothing at all while the screen is idle. (`RawRectangles` would send an event per drawing
//! request — thousands per second while a video plays; `DeltaRectangles` also sends an
//! event per newly damaged area and needs the subtract anyway.)
//!
//! Resolution changes: we select RandR `ScreenChangeNotify` on the root window; on that event
//! (or when a grab fails because the screen shrank) we re-read the root's size, re-create the
//! shared buffer and report the whole new screen as damaged.

mod sys;

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use x11rb::connection::{Connection, RequestConnection};
use x11rb::errors::{ConnectionError, ReplyError, ReplyOrIdError};
use x11rb::protocol::Event;
use x11rb::protocol::damage::{self, ConnectionExt as _, ReportLevel};
use x11rb::protocol::randr::{self, ConnectionExt as _, NotifyMask};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{self, ConnectionExt as _, ImageFormat, ImageOrder, Window};
use x11rb::rust_connection::RustConnection;

use super::{CaptureError, FrameRef, Rect, ScreenCapture};
use sys::ShmBuffer;

/// Captures the root window of one X screen.
pub(super) struct X11Capture {
    conn: RustConnection,
    root: Window,
    width: u16,
    height: u16,
    /// Shared with the X server as segment `seg`; holds the last grabbed frame.
    shm: ShmBuffer,
    seg: shm::Seg,
    damage: damage::Damage,
    /// Receives the damage region on each `DamageSubtract`; reused to avoid create/destroy.
    scratch_region: xfixes::Region,
    /// A `DamageNotify` arrived and its region has not been fetched yet.
    damage_pending: bool,
    /// RandR reported a screen change; the size must be re-read.
    size_check_pending: bool,
    /// The next `wait_for_damage` reports the whole screen: true at open (the caller has
    /// nothing yet) and after a resize.
    report_full_screen: bool,
    /// XFixes said the cursor's shape changed (true at open: nobody has it yet).
    cursor_changed: bool,
    /// Where the pointer was at the last `cursor` call.
    last_pointer: Option<(u16, u16)>,
}

impl From<ConnectionError> for CaptureError {
    fn from(e: ConnectionError) -> Self {
        CaptureError::X11(e.to_string())
    }
}
impl From<ReplyError> for CaptureError {
    fn from(e: ReplyError) -> Self {
        CaptureError::X11(e.to_string())
    }
}
impl From<ReplyOrIdError> for CaptureError {
    fn from(e: ReplyOrIdError) -> Self {
        CaptureError::X11(e.to_string())
    }
}

impl X11Capture {
    /// Connects to `display` (or `DISPLAY`) and sets up shared memory and damage tracking.
    pub(super) fn open(display: Option<&str>) -> Result<Self, CaptureError> {
        let name = super::resolve_display(display).ok_or(CaptureError::NoDisplay)?;
        let (conn, screen_num) =
            x11rb::connect(Some(&name)).map_err(|e| CaptureError::Connect {
                display: name.clone(),
                reason: e.to_string(),
            })?;
        let screen =
            conn.setup()
                .roots
                .get(screen_num)
                .cloned()
                .ok_or_else(|| CaptureError::Connect {
                    display: name.clone(),
                    reason: format!("no screen {screen_num}"),
                })?;
        check_pixel_format(conn.setup(), &screen)?;
        require_extensions(&conn)?;
        watch_screen_size(&conn, screen.root)?;

        let (width, height) = (screen.width_in_pixels, screen.height_in_pixels);
        let (shm, seg) = attach_buffer(&conn, width, height)?;
        let damage = conn.generate_id()?;
        conn.damage_create(damage, screen.root, ReportLevel::NON_EMPTY)?
            .check()?;
        let scratch_region = conn.generate_id()?;
        conn.xfixes_create_region(scratch_region, &[])?.check()?;
        conn.xfixes_select_cursor_input(screen.root, xfixes::CursorNotifyMask::DISPLAY_CURSOR)?
            .check()?;
        // Everything the server allocated (segment, damage, region) is freed when the
        // connection closes, so Drop needs no X requests; `ShmBuffer` unmaps our side.
        Ok(X11Capture {
            conn,
            root: screen.root,
            width,
            height,
            shm,
            seg,
            damage,
            scratch_region,
            damage_pending: false,
            size_check_pending: false,
            report_full_screen: true,
            cursor_changed: true,
            last_pointer: None,
        })
    }

    /// Reads queued events without blocking, noting damage and screen changes.
    fn drain_events(&mut self) -> Result<(), CaptureError> {
        while let Some(event) = self.conn.poll_for_event()? {
            match event {
                Event::DamageNotify(_) => self.damage_pending = true,
                Event::RandrScreenChangeNotify(_) => self.size_check_pending = true,
                Event::XfixesCursorNotify(_) => self.cursor_changed = true,
                Event::Error(e) => return Err(CaptureError::X11(format!("{e:?}"))),
                _ => {}
            }
        }
        Ok(())
    }

    /// Moves the accumulated damage into the scratch region (emptying the damage, which
    /// re-arms the notify) and returns its rectangles, clipped to the screen.
    fn take_damage(&mut self) -> Result<Vec<Rect>, CaptureError> {
        self.conn
            .damage_subtract(self.damage, x11rb::NONE, self.scratch_region)?;
        let reply = self
            .conn
            .xfixes_fetch_region(self.scratch_region)?
            .reply()?;
        let (w, h) = (self.width, self.height);
        Ok(reply
            .rectangles
            .iter()
            .filter_map(|r| clip(r, w, h))
            .collect())
    }

    fn full_screen(&self) -> Rect {
        Rect {
            x: 0,
            y: 0,
            w: self.width,
            h: self.height,
        }
    }

    /// Re-reads the root window's size; on a change re-creates the shared buffer. Returns
    /// whether the size changed.
    fn refresh_size(&mut self) -> Result<bool, CaptureError> {
        let geometry = self.conn.get_geometry(self.root)?.reply()?;
        if (geometry.width, geometry.height) == (self.width, self.height) {
            return Ok(false);
        }
        let (shm, seg) = attach_buffer(&self.conn, geometry.width, geometry.height)?;
        self.conn.shm_detach(self.seg)?;
        self.shm = shm;
        self.seg = seg;
        self.width = geometry.width;
        self.height = geometry.height;
        self.report_full_screen = true;
        Ok(true)
    }

    /// Asks the server to copy rows `y0..y0 + rows` of the root window (whole width, so they
    /// land where a full frame has them) into the shared buffer and waits until done.
    fn copy_screen(&self, y0: u16, rows: u16) -> Result<(), CaptureError> {
        let y0 = y0.min(self.height);
        let rows = rows.min(self.height - y0);
        if rows == 0 {
            return Ok(());
        }
        let reply = self
            .conn
            .shm_get_image(
                self.root,
                0,
                y0 as i16,
                self.width,
                rows,
                !0,
                ImageFormat::Z_PIXMAP.into(),
                self.seg,
                (frame_len(self.width, y0)) as u32,
            )?
            .reply()?;
        let expected = frame_len(self.width, rows);
        if reply.size as usize != expected {
            return Err(CaptureError::X11(format!(
                "ShmGetImage wrote {} bytes, expected {expected}",
                reply.size
            )));
        }
        Ok(())
    }
}

impl ScreenCapture for X11Capture {
    fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    fn wait_for_damage(&mut self, timeout: Duration) -> Result<Vec<Rect>, CaptureError> {
        // A timeout too large to add (Duration::MAX) means "wait as long as it takes".
        let deadline = Instant::now().checked_add(timeout);
        loop {
            // x11rb may already hold events it read while waiting for an earlier reply: those
            // never make the socket readable again, so look at the queue before polling.
            self.drain_events()?;
            if self.size_check_pending {
                self.size_check_pending = false;
                self.refresh_size()?;
            }
            if self.report_full_screen {
                self.report_full_screen = false;
                self.damage_pending = false;
                self.take_damage()?; // covered by the full-screen rect
                return Ok(vec![self.full_screen()]);
            }
            if self.damage_pending {
                self.damage_pending = false;
                let rects = self.take_damage()?;
                // Empty when that damage was already taken by the previous subtract.
                if !rects.is_empty() {
                    return Ok(rects);
                }
            }
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if remaining.is_zero() {
                return Ok(Vec::new());
            }
            sys::wait_readable(self.conn.stream().as_fd(), remaining)
                .map_err(|e| CaptureError::X11(format!("poll on the X connection: {e}")))?;
        }
    }

    fn cursor(&mut self) -> Result<Option<super::CursorUpdate>, CaptureError> {
        self.drain_events()?;
        let shape = if self.cursor_changed {
            self.cursor_changed = false;
            let img = self.conn.xfixes_get_cursor_image()?.reply()?;
            let fits = img.width <= tandem_protocol::wire::MAX_CURSOR_SIDE
                && img.height <= tandem_protocol::wire::MAX_CURSOR_SIDE
                && img.cursor_image.len() == usize::from(img.width) * usize::from(img.height);
            // X's ARGB words, little-endian, are B,G,R,A bytes.
            fits.then(|| super::CursorImage {
                serial: img.cursor_serial,
                width: img.width,
                height: img.height,
                hot_x: img.xhot.min(img.width.saturating_sub(1)),
                hot_y: img.yhot.min(img.height.saturating_sub(1)),
                bgra: img
                    .cursor_image
                    .iter()
                    .flat_map(|p| p.to_le_bytes())
                    .collect(),
            })
        } else {
            None
        };
        let p = self.conn.query_pointer(self.root)?.reply()?;
        let clamp = |v: i16, max: u16| i32::from(v).clamp(0, (i32::from(max) - 1).max(0)) as u16;
        let at = (clamp(p.root_x, self.width), clamp(p.root_y, self.height));
        let moved = self.last_pointer != Some(at);
        self.last_pointer = Some(at);
        Ok((moved || shape.is_some()).then_some(super::CursorUpdate {
            x: at.0,
            y: at.1,
            shape,
        }))
    }

    fn grab(&mut self) -> Result<FrameRef<'_>, CaptureError> {
        self.grab_rows(0, u16::MAX)
    }

    fn grab_rows(&mut self, y0: u16, rows: u16) -> Result<FrameRef<'_>, CaptureError> {
        if let Err(error) = self.copy_screen(y0, rows) {
            // The screen may have shrunk before we read RandR's event: retry once, whole, at
            // the new size. Otherwise the grab's own error stands (not a failed size check's).
            if !self.refresh_size().unwrap_or(false) {
                return Err(error);
            }
            self.copy_screen(0, u16::MAX)?;
        }
        let len = frame_len(self.width, self.height);
        Ok(FrameRef {
            width: self.width,
            height: self.height,
            stride: self.width as usize * 4,
            data: &self.shm.bytes()[..len],
        })
    }
}

fn frame_len(width: u16, height: u16) -> usize {
    width as usize * height as usize * 4
}

/// Creates a private buffer for a `width`×`height` frame and attaches it to the server.
fn attach_buffer(
    conn: &RustConnection,
    width: u16,
    height: u16,
) -> Result<(ShmBuffer, shm::Seg), CaptureError> {
    let shm = ShmBuffer::new(frame_len(width, height)).map_err(CaptureError::SharedMemory)?;
    let seg = conn.generate_id()?;
    let fd = shm.share_fd().map_err(CaptureError::SharedMemory)?;
    // Not read-only: the server writes the image into it. Our own mapping is read-only.
    conn.shm_attach_fd(seg, fd, false)?.check()?;
    Ok((shm, seg))
}

/// Fails unless the screen's pixels are 32-bit little-endian B,G,R,X, the only layout the
/// tile encoder takes. Checked once here so `grab` can hand out the bytes as they are.
fn check_pixel_format(setup: &xproto::Setup, screen: &xproto::Screen) -> Result<(), CaptureError> {
    let unsupported = |what: String| Err(CaptureError::UnsupportedFormat(what));
    if setup.image_byte_order != ImageOrder::LSB_FIRST {
        return unsupported("the X server sends most-significant-byte-first images".into());
    }
    let depth = screen.root_depth;
    let bits = setup
        .pixmap_formats
        .iter()
        .find(|f| f.depth == depth)
        .map(|f| f.bits_per_pixel);
    if bits != Some(32) {
        return unsupported(format!(
            "depth {depth} uses {bits:?} bits per pixel, need 32"
        ));
    }
    let visual = screen
        .allowed_depths
        .iter()
        .flat_map(|d| &d.visuals)
        .find(|v| v.visual_id == screen.root_visual);
    match visual {
        Some(v) if (v.red_mask, v.green_mask, v.blue_mask) == (0xff_0000, 0xff00, 0xff) => Ok(()),
        _ => unsupported("the root visual is not 8-bit-per-channel RGB".into()),
    }
}

/// MIT-SHM ≥ 1.2 (file descriptor passing), XFIXES ≥ 2 (regions) and DAMAGE are required;
/// the version queries are also what enables XFIXES and DAMAGE requests for this client.
fn require_extensions(conn: &RustConnection) -> Result<(), CaptureError> {
    let present = |name: &'static str| -> Result<(), CaptureError> {
        match conn.extension_information(name)? {
            Some(_) => Ok(()),
            None => Err(CaptureError::MissingExtension(name)),
        }
    };
    present(shm::X11_EXTENSION_NAME)?;
    let v = conn.shm_query_version()?.reply()?;
    if (v.major_version, v.minor_version) < (1, 2) {
        return Err(CaptureError::MissingExtension(
            "MIT-SHM 1.2 (file descriptor passing)",
        ));
    }
    present(xfixes::X11_EXTENSION_NAME)?;
    let v = conn.xfixes_query_version(5, 0)?.reply()?;
    if v.major_version < 2 {
        return Err(CaptureError::MissingExtension("XFIXES 2 (regions)"));
    }
    present(damage::X11_EXTENSION_NAME)?;
    conn.damage_query_version(1, 1)?.reply()?;
    Ok(())
}

/// Subscribes to RandR screen changes. Without RandR the screen size cannot change, so its
/// absence is not an error.
fn watch_screen_size(conn: &RustConnection, root: Window) -> Result<(), CaptureError> {
    if conn
        .extension_information(randr::X11_EXTENSION_NAME)?
        .is_none()
    {
        return Ok(());
    }
    conn.randr_query_version(1, 2)?.reply()?;
    conn.randr_select_input(root, NotifyMask::SCREEN_CHANGE)?;
    Ok(())
}

/// A damage rectangle limited to the screen; `None` when nothing of it is on screen.
fn clip(r: &xproto::Rectangle, width: u16, height: u16) -> Option<Rect> {
    let x0 = i32::from(r.x).clamp(0, i32::from(width));
    let y0 = i32::from(r.y).clamp(0, i32::from(height));
    let x1 = (i32::from(r.x) + i32::from(r.width)).clamp(0, i32::from(width));
    let y1 = (i32::from(r.y) + i32::from(r.height)).clamp(0, i32::from(height));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    // All four values lie in 0..=u16::MAX after clamping to the screen size.
    Some(Rect {
        x: x0 as u16,
        y: y0 as u16,
        w: (x1 - x0) as u16,
        h: (y1 - y0) as u16,
    })
}
