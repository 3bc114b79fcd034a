//! The real viewer window (winit + softbuffer) on its own X server: it connects and shows the
//! customer's screen, as checked by reading the window's pixels back from X.

use std::process::Command;
use std::time::Duration;

use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, agent, wait_for};

const T: Duration = Duration::from_secs(30);

#[test]
fn the_window_viewer_shows_the_customers_screen() {
    let dir = TempDir::new("window");
    let customer = Xvfb::start(640, 400);
    customer.set_background("#2a6f97");
    let rep_display = Xvfb::start(1024, 768);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice");
    let mut cmd = portal.viewer_command();
    cmd.env("DISPLAY", &rep_display.display)
        .args(["join", &code.code.digits()]);
    let _window = Proc::spawn("window viewer", cmd);
    let _agent = agent(&customer.display, &code.join_url, "view");

    wait_for("a window titled as connected", T, || {
        let out = Command::new("xdotool")
            .env("DISPLAY", &rep_display.display)
            .args(["search", "--name", "Tandem .* connected"])
            .output()
            .ok()?;
        (out.status.success() && !out.stdout.is_empty()).then_some(())
    });
    // No window manager: the window sits at 0,0 and shows a 640x400 picture 1:1, with the
    // customer's pointer (at the screen's centre, where X starts it) drawn over it.
    let background = [0x2a, 0x6f, 0x97];
    wait_for(
        "the customer's background and pointer in the window",
        T,
        || {
            let (w, _, rgb) = rep_display.screenshot();
            let at = |x: u32, y: u32| {
                let i = ((y * w + x) * 3) as usize;
                [rgb[i], rgb[i + 1], rgb[i + 2]]
            };
            let screen = [at(100, 300), at(10, 10), at(630, 390)]
                .iter()
                .all(|p| *p == background);
            let pointer = (316..=324).any(|x| (196..=204).any(|y| at(x, y) != background));
            (screen && pointer).then_some(())
        },
    );
}
