//! The customer app's window, driven as the customer would: its buttons are clicked with
//! xdotool at the positions the app's own layout reports (the `--ui-trace` / `TANDEM_UI_TRACE`
//! automation file, rewritten every 200 ms).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::wait_for;
use crate::x::Xvfb;

/// A customer app window whose trace is written to `trace`.
pub struct CustomerWindow {
    pub trace: PathBuf,
}

impl CustomerWindow {
    /// Waits until the window's trace satisfies `pred`; returns it.
    pub fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        wait_for(what, timeout, || {
            let text = std::fs::read_to_string(&self.trace).ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            pred(&v).then_some(v)
        })
    }

    /// Every text the window shows, one per line.
    pub fn texts(trace: &Value) -> String {
        trace["texts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    /// Waits for a button to be on screen and stay where it is (two traces in a row agree:
    /// a question arriving moves the buttons below it), then clicks its centre with xdotool.
    pub fn click(&self, x: &Xvfb, button: &str, timeout: Duration) {
        let last = std::cell::RefCell::new(Value::Null);
        let trace = wait_for(&format!("the '{button}' button, settled"), timeout, || {
            let text = std::fs::read_to_string(&self.trace).ok()?;
            let t: Value = serde_json::from_str(&text).ok()?;
            let rect = t["buttons"][button].clone();
            let settled = rect.is_array() && *last.borrow() == rect;
            *last.borrow_mut() = rect;
            if !settled {
                // The trace is rewritten every 200 ms: look again after the next one.
                std::thread::sleep(Duration::from_millis(250));
            }
            settled.then_some(t)
        });
        let r = &trace["buttons"][button];
        let f = |i: usize| r[i].as_f64().unwrap_or(0.0);
        let (ox, oy) = window_origin(x, timeout);
        let cx = ox + (f(0) + f(2) / 2.0) as i32;
        let cy = oy + (f(1) + f(3) / 2.0) as i32;
        x.xdotool(&["mousemove", &cx.to_string(), &cy.to_string(), "click", "1"]);
    }
}

/// Where the customer app's window is on the screen.
fn window_origin(x: &Xvfb, timeout: Duration) -> (i32, i32) {
    let id = wait_for("the customer app's window", timeout, || {
        let out = x
            .command("xdotool")
            .args(["search", "--name", "^Tandem remote support$"])
            .output()
            .ok()?;
        let id = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()?
            .to_owned();
        (!id.is_empty()).then_some(id)
    });
    let geometry = x.xdotool(&["getwindowgeometry", "--shell", &id]);
    let field = |k: &str| {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("X="), field("Y="))
}

/// Keeps X's whole screen as `target/tmp/<folder>/<name>.png`, an artefact to look at.
pub fn keep_png(x: &Xvfb, folder: &str, name: &str) {
    let (w, h, rgb) = x.screenshot();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tmp")
        .join(folder);
    std::fs::create_dir_all(&dir).expect("artefacts");
    let file = std::fs::File::create(dir.join(format!("{name}.png"))).expect("png");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .and_then(|mut wr| wr.write_image_data(&rgb))
        .expect("write png");
}
