//! A private Xvfb per test (killed on drop) and an independent X client that draws known
//! content and asks X what it sees. Shared by the capture/inject tests and the bench.
#![allow(dead_code)] // each user takes a different subset

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::randr::{ConnectionExt as _, Rotation};
use x11rb::protocol::xproto::{
    ChangeGCAux, ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask, ImageFormat,
    KeyButMask, MapState, Rectangle, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

/// A running Xvfb; killed (and reaped) on drop.
pub struct Xvfb {
    child: Child,
    /// Kept open: Xvfb wrote its display number here.
    _stdout: BufReader<ChildStdout>,
    /// e.g. ":3".
    pub display: String,
}

impl Xvfb {
    /// Xvfb with DAMAGE and MIT-SHM on, at `width`×`height`×24.
    pub fn start(width: u16, height: u16) -> Xvfb {
        Xvfb::start_with(
            width,
            height,
            &["+extension", "DAMAGE", "+extension", "MIT-SHM"],
        )
    }

    /// Xvfb with custom extension flags.
    pub fn start_with(width: u16, height: u16, extensions: &[&str]) -> Xvfb {
        let screen = format!("{width}x{height}x24");
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", &screen, "-noreset"])
            .args(extensions)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (apt install xvfb)");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stdout = BufReader::new(stdout);
        // Xvfb prints the display number once it accepts connections; EOF means it died.
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read Xvfb's display number");
        let number: u32 = line.trim().parse().expect("Xvfb printed a display number");
        Xvfb {
            child,
            _stdout: stdout,
            display: format!(":{number}"),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process (xterm) killed on drop.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An X client independent of the code under test.
pub struct XClient {
    pub conn: RustConnection,
    pub root: Window,
    pub width: u16,
    pub height: u16,
    gc: u32,
}

impl XClient {
    pub fn connect(display: &str) -> XClient {
        let (conn, screen_num) = x11rb::connect(Some(display)).expect("connect to Xvfb");
        let screen = &conn.setup().roots[screen_num];
        let (root, width, height) = (screen.root, screen.width_in_pixels, screen.height_in_pixels);
        let gc = conn.generate_id().expect("gc id");
        conn.create_gc(gc, root, &CreateGCAux::new())
            .expect("create gc");
        let client = XClient {
            conn,
            root,
            width,
            height,
            gc,
        };
        client.sync();
        client
    }

    /// Waits until the server has processed everything sent so far.
    pub fn sync(&self) {
        self.conn
            .get_input_focus()
            .expect("request")
            .reply()
            .expect("reply");
    }

    /// Fills a rectangle of the root window with `rgb` (0xRRGGBB).
    pub fn fill(&self, x: i16, y: i16, w: u16, h: u16, rgb: u32) {
        self.conn
            .change_gc(self.gc, &ChangeGCAux::new().foreground(rgb))
            .expect("change gc");
        let rect = Rectangle {
            x,
            y,
            width: w,
            height: h,
        };
        self.conn
            .poly_fill_rectangle(self.root, self.gc, &[rect])
            .expect("fill");
        self.sync();
    }

    /// The root window's pixels as X returns them to a plain GetImage (BGRX rows).
    pub fn root_image(&self) -> Vec<u8> {
        self.conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                0,
                0,
                self.width,
                self.height,
                !0,
            )
            .expect("request")
            .reply()
            .expect("GetImage")
            .data
    }

    /// Resizes the screen with RandR (as a display-settings dialog would). Xvfb only allows
    /// sizes up to the one it started with. The CRTC is switched off first: RandR refuses a
    /// screen smaller than an active CRTC.
    pub fn set_screen_size(&mut self, width: u16, height: u16) {
        let resources = self
            .conn
            .randr_get_screen_resources(self.root)
            .expect("request")
            .reply()
            .expect("reply");
        for &crtc in &resources.crtcs {
            self.conn
                .randr_set_crtc_config(
                    crtc,
                    0,
                    resources.config_timestamp,
                    0,
                    0,
                    0,
                    Rotation::ROTATE0,
                    &[],
                )
                .expect("request")
                .reply()
                .expect("disable crtc");
        }
        // About 96 dpi, so the physical size is plausible.
        let mm = |px: u16| u32::from(px) * 254 / 960;
        self.conn
            .randr_set_screen_size(self.root, width, height, mm(width), mm(height))
            .expect("request")
            .check()
            .expect("set screen size");
        (self.width, self.height) = (width, height);
    }

    /// Pointer position and button/modifier state.
    pub fn pointer(&self) -> (i16, i16, KeyButMask) {
        let reply = self
            .conn
            .query_pointer(self.root)
            .expect("request")
            .reply()
            .expect("reply");
        (reply.root_x, reply.root_y, reply.mask)
    }

    /// A mapped, input-receiving window; its button events arrive on `self.conn`.
    pub fn input_window(&self, x: i16, y: i16, w: u16, h: u16) -> Window {
        let window = self.conn.generate_id().expect("window id");
        let events = EventMask::BUTTON_PRESS | EventMask::BUTTON_RELEASE | EventMask::KEY_PRESS;
        let aux = CreateWindowAux::new()
            .background_pixel(0x40_40_40)
            .event_mask(events);
        self.conn
            .create_window(
                0,
                window,
                self.root,
                x,
                y,
                w,
                h,
                0,
                WindowClass::INPUT_OUTPUT,
                0,
                &aux,
            )
            .expect("create window");
        self.conn.map_window(window).expect("map");
        self.sync();
        window
    }

    /// Whether some top-level window is mapped (e.g. an xterm finished starting).
    pub fn has_viewable_child(&self) -> bool {
        let Ok(tree) = self.conn.query_tree(self.root).expect("request").reply() else {
            return false;
        };
        tree.children.iter().any(|&w| {
            self.conn
                .get_window_attributes(w)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE)
        })
    }
}

/// Starts an xterm at the top-left corner that runs `script` with `sh` in a UTF-8 locale.
pub fn xterm(display: &str, geometry: &str, script: &str, arg: &Path) -> ChildGuard {
    let child = Command::new("xterm")
        .args([
            "-display",
            display,
            "-geometry",
            geometry,
            "-u8",
            "-e",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(arg)
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start xterm (apt install xterm)");
    ChildGuard(child)
}

/// A fresh path in the temp dir, unique per process and tag.
pub fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tandem-agent-{}-{tag}", std::process::id()))
}

/// CPU time the calling thread has used, in clock ticks (10 ms on Linux).
pub fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("read stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let parse = |i: usize| fields[i].parse::<u64>().expect("tick count");
    parse(11) + parse(12)
}
