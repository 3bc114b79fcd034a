//! A real X server for tests: Xvfb with MIT-SHM and DAMAGE, an xterm, screenshots read back
//! from X itself, and xdotool.

use std::process::Command;
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

use crate::{Proc, wait_for};

/// An Xvfb server, killed on drop.
pub struct Xvfb {
    pub display: String,
    _proc: Proc,
}

impl Xvfb {
    /// Starts Xvfb on a free display (`-displayfd` picks one and prints it).
    pub fn start(width: u16, height: u16) -> Xvfb {
        let mut cmd = Command::new("Xvfb");
        cmd.args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            &format!("{width}x{height}x24"),
            "-noreset",
            "-nolisten",
            "tcp",
        ]);
        cmd.args(["+extension", "DAMAGE", "+extension", "MIT-SHM"]);
        let mut proc = Proc::spawn("Xvfb", cmd);
        let n = proc
            .next_line(Duration::from_secs(20))
            .unwrap_or_else(|| panic!("Xvfb did not start: {}", proc.stderr()));
        let display = format!(":{}", n.trim());
        wait_for(
            "the X server to accept clients",
            Duration::from_secs(10),
            || x11rb::connect(Some(&display)).ok().map(|_| ()),
        );
        Xvfb {
            display,
            _proc: proc,
        }
    }

    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.display);
        cmd
    }

    /// Starts an xterm at (x, y) running `script` in sh, and waits until it is mapped.
    pub fn xterm(&self, x: i32, y: i32, script: &str) -> Proc {
        let mut cmd = self.command("xterm");
        cmd.args([
            "-fa",
            "DejaVu Sans Mono",
            "-fs",
            "11",
            "-geometry",
            &format!("70x16+{x}+{y}"),
            "-title",
            "tandem-e2e",
        ]);
        cmd.args(["-e", "sh", "-c", script]);
        let proc = Proc::spawn("xterm", cmd);
        wait_for("the xterm window", Duration::from_secs(20), || {
            let out = self
                .command("xdotool")
                .args(["search", "--onlyvisible", "--name", "tandem-e2e"])
                .output()
                .ok()?;
            (out.status.success() && !out.stdout.is_empty()).then_some(())
        });
        proc
    }

    /// Runs xdotool with `args`; returns its stdout.
    pub fn xdotool(&self, args: &[&str]) -> String {
        let out = self
            .command("xdotool")
            .args(args)
            .output()
            .expect("xdotool");
        assert!(
            out.status.success(),
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What this display's CLIPBOARD holds as `target` ("UTF8_STRING", "image/png"), as xclip
    /// reads it; `None` while nobody owns it or it does not offer `target`.
    pub fn clipboard(&self, target: &str) -> Option<Vec<u8>> {
        let out = self
            .command("xclip")
            .args(["-o", "-selection", "clipboard", "-t", target])
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// The CLIPBOARD as text.
    pub fn clipboard_text(&self) -> Option<String> {
        self.clipboard("UTF8_STRING")
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Copies `file` as `target` with xclip, which serves it until someone else copies
    /// (killed on drop).
    pub fn copy_file(&self, file: &std::path::Path, target: &str) -> Proc {
        let mut cmd = self.command("xclip");
        cmd.args(["-quiet", "-selection", "clipboard", "-t", target, "-i"])
            .arg(file);
        Proc::spawn("xclip", cmd)
    }

    /// Pointer position as X reports it.
    pub fn pointer(&self) -> (i32, i32) {
        let out = self.xdotool(&["getmouselocation"]);
        let field = |k: &str| {
            out.split_whitespace()
                .find_map(|f| f.strip_prefix(k))
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1)
        };
        (field("x:"), field("y:"))
    }

    /// Sets the root window's background colour (a screen change).
    pub fn set_background(&self, colour: &str) {
        let status = self
            .command("xsetroot")
            .args(["-solid", colour])
            .status()
            .expect("xsetroot");
        assert!(status.success());
    }

    /// The whole screen as X has it, RGB.
    pub fn screenshot(&self) -> (u32, u32, Vec<u8>) {
        let (conn, screen) = x11rb::connect(Some(&self.display)).expect("connect");
        let root = &conn.setup().roots[screen];
        let (w, h) = (root.width_in_pixels, root.height_in_pixels);
        let img = conn
            .get_image(ImageFormat::Z_PIXMAP, root.root, 0, 0, w, h, !0)
            .expect("get_image")
            .reply()
            .expect("image");
        assert_eq!(img.depth, 24);
        let rgb = img
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect();
        (w as u32, h as u32, rgb)
    }
}
