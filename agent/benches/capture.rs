//! Capture, encode and injection costs on a private 1920×1080 Xvfb. Prints a table.
//!
//! `cargo bench -p tandem-agent --bench capture`
//!
//! The screen: a flat background, an xterm showing a directory listing, a few coloured boxes.
//! Injection latency is the time from calling `inject` until another X client sees the effect
//! (QueryPointer polled in a tight loop: pointer position, button mask, Shift modifier).

#[cfg(target_os = "linux")]
#[path = "../tests/support/mod.rs"]
mod support;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the capture bench needs Xvfb (Linux)");
}

#[cfg(target_os = "linux")]
fn main() {
    bench::run();
}

#[cfg(target_os = "linux")]
mod bench {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use crate::support::{XClient, Xvfb, thread_cpu_ticks, wait_until, xterm};
    use tandem_agent::capture::{self, Rect, ScreenCapture};
    use tandem_agent::inject::{self, Injector};
    use tandem_protocol::input::{Button, InputEvent, keysym_by_name};
    use tandem_protocol::tiles::TileEncoder;
    use tandem_protocol::wire::EncodedTile;
    use x11rb::protocol::xproto::KeyButMask;

    const W: u16 = 1920;
    const H: u16 = 1080;
    const PATIENCE: Duration = Duration::from_secs(10);

    /// One table row: a label, its samples and a free-form note.
    struct Row(&'static str, Vec<Duration>, String);

    fn print(rows: &mut [Row]) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "\n{:<44} {:>5} {:>10} {:>10}  note",
            "1920x1080", "n", "median ms", "p95 ms"
        );
        println!("{}", "-".repeat(104));
        for Row(what, samples, note) in rows.iter_mut() {
            samples.sort();
            let n = samples.len();
            let at = |q: f64| samples[((n as f64 - 1.0) * q).round() as usize];
            let (median, p95) = (ms(at(0.5)), ms(at(0.95)));
            println!("{what:<44} {n:>5} {median:>10.3} {p95:>10.3}  {note}");
        }
    }

    fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
        let start = Instant::now();
        let out = f();
        (start.elapsed(), out)
    }

    pub fn run() {
        let xvfb = Xvfb::start(W, H);
        let x = XClient::connect(&xvfb.display);
        x.fill(0, 0, W, H, 0x2e_34_40);
        let colours = [0xbf_61_6a, 0xa3_be_8c, 0xeb_cb_8b, 0x88_c0_d0];
        for (i, rgb) in (0i16..).zip(colours) {
            x.fill(1200 + 150 * i, 80, 120, 90, rgb);
        }
        // A shell in an xterm: text on screen, and somewhere to type.
        let script = "ls -l /usr/bin | head -n 25; exec sh";
        let _xterm = xterm(&xvfb.display, "100x30+40+40", script, Path::new(""));
        assert!(wait_until(PATIENCE, || x.has_viewable_child()), "no xterm");

        let mut cap = capture::open(Some(&xvfb.display)).expect("open capture");
        let mut injector = inject::open(Some(&xvfb.display)).expect("open injector");
        let focus = InputEvent::PointerMove { x: 300, y: 200 };
        injector.inject(&focus).expect("focus the xterm");
        settle(cap.as_mut());

        let mut rows = vec![grab_row(cap.as_mut())];
        rows.extend(idle_rows(cap.as_mut()));
        rows.extend(encode_rows(cap.as_mut(), injector.as_mut()));
        rows.extend(inject_rows(&x, injector.as_mut()));
        rows.extend(text_rows(injector.as_mut()));
        print(&mut rows);
    }

    /// Waits until the screen has been quiet for 300 ms (the xterm finished drawing).
    fn settle(cap: &mut dyn ScreenCapture) {
        let deadline = Instant::now() + PATIENCE;
        while !cap
            .wait_for_damage(Duration::from_millis(300))
            .expect("wait")
            .is_empty()
        {
            assert!(Instant::now() < deadline, "screen never settled");
        }
    }

    fn grab_row(cap: &mut dyn ScreenCapture) -> Row {
        let samples = (0..200).map(|_| time(|| cap.grab().map(|_| ()).expect("grab")).0);
        Row(
            "grab (MIT-SHM into memfd)",
            samples.collect(),
            "8,294,400 B per frame".into(),
        )
    }

    fn idle_rows(cap: &mut dyn ScreenCapture) -> Vec<Row> {
        let mut polls = Vec::new();
        for _ in 0..1000 {
            let (d, rects) = time(|| cap.wait_for_damage(Duration::ZERO).expect("wait"));
            assert!(rects.is_empty(), "screen not idle: {rects:?}");
            polls.push(d);
        }
        let cpu_before = thread_cpu_ticks();
        let (slept, rects) = time(|| cap.wait_for_damage(Duration::from_secs(1)).expect("wait"));
        assert!(rects.is_empty(), "screen not idle: {rects:?}");
        let cpu_ms = (thread_cpu_ticks() - cpu_before) * 10;
        vec![
            Row("wait_for_damage(0), idle", polls, "no X request".into()),
            Row(
                "wait_for_damage(1 s), idle",
                vec![slept],
                format!("CPU used: {cpu_ms} ms"),
            ),
        ]
    }

    fn summary(tiles: &[EncodedTile]) -> String {
        let bytes: usize = tiles.iter().map(|t| t.data.len()).sum();
        format!("{} tiles, {bytes} B", tiles.len())
    }

    fn encode_rows(cap: &mut dyn ScreenCapture, injector: &mut dyn Injector) -> Vec<Row> {
        let mut encoder = TileEncoder::new();
        let frame = cap.grab().expect("grab");
        let (first, tiles) = time(|| encoder.encode(frame, None).expect("encode"));
        let first = Row(
            "encode: first frame (every tile)",
            vec![first],
            summary(&tiles),
        );

        let (mut with_damage, mut full_compare) = (Vec::new(), Vec::new());
        for _ in 0..50 {
            let rects = cap.wait_for_damage(Duration::ZERO).expect("wait");
            let frame = cap.grab().expect("grab");
            let (d, tiles) = time(|| encoder.encode(frame, Some(&rects)).expect("encode"));
            assert!(tiles.is_empty());
            with_damage.push(d);
            let frame = cap.grab().expect("grab");
            let (d, tiles) = time(|| encoder.encode(frame, None).expect("encode"));
            assert!(tiles.is_empty());
            full_compare.push(d);
        }

        // Typing into the shell one character at a time, as a remote user would.
        let (mut typing, mut rect_count, mut tile_count, mut bytes) = (Vec::new(), 0, 0, 0);
        let line = "echo the quick brown fox jumps over the lazy dog";
        for c in line.chars() {
            injector
                .inject(&InputEvent::Text(c.to_string()))
                .expect("type");
            let rects = wait_for_change(cap);
            let frame = cap.grab().expect("grab");
            let (d, tiles) = time(|| encoder.encode(frame, Some(&rects)).expect("encode"));
            typing.push(d);
            rect_count += rects.len();
            tile_count += tiles.len();
            bytes += tiles.iter().map(|t| t.data.len()).sum::<usize>();
        }
        let n = line.chars().count() as f64;
        let per_key = format!(
            "per key: {:.1} rects, {:.1} tiles, {:.0} B",
            rect_count as f64 / n,
            tile_count as f64 / n,
            bytes as f64 / n
        );
        vec![
            first,
            Row(
                "encode: idle, with damage (no rects)",
                with_damage,
                "0 tiles".into(),
            ),
            Row(
                "encode: idle, without damage (compare all)",
                full_compare,
                "0 tiles".into(),
            ),
            Row("encode: one typed character, with damage", typing, per_key),
        ]
    }

    fn wait_for_change(cap: &mut dyn ScreenCapture) -> Vec<Rect> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let rects = cap.wait_for_damage(PATIENCE).expect("wait");
            if !rects.is_empty() {
                return rects;
            }
            assert!(Instant::now() < deadline, "no damage after typing");
        }
    }

    /// Time from `inject` until `seen` holds.
    fn latency(
        injector: &mut dyn Injector,
        event: &InputEvent,
        mut seen: impl FnMut() -> bool,
    ) -> Duration {
        let start = Instant::now();
        injector.inject(event).expect("inject");
        while !seen() {
            assert!(start.elapsed() < PATIENCE, "X never saw {event:?}");
        }
        start.elapsed()
    }

    fn inject_rows(x: &XClient, injector: &mut dyn Injector) -> Vec<Row> {
        let (mut moves, mut clicks, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        let shift = keysym_by_name("Shift_L").expect("keysym");
        let button = |down| InputEvent::PointerButton {
            button: Button::RIGHT,
            down,
        };
        let key = |down| InputEvent::Key {
            keysym: shift,
            down,
        };
        let mask = || x.pointer().2;
        for i in 0..100u16 {
            // Right of and below the xterm, so no client reacts to the clicks.
            let (px, py) = (1000 + i * 7, 500 + i * 3);
            let to = InputEvent::PointerMove { x: px, y: py };
            moves.push(latency(injector, &to, || {
                let (qx, qy, _) = x.pointer();
                (qx, qy) == (px as i16, py as i16)
            }));
            let press = latency(injector, &button(true), || {
                mask().contains(KeyButMask::BUTTON3)
            });
            let release = latency(injector, &button(false), || {
                !mask().contains(KeyButMask::BUTTON3)
            });
            clicks.push(press + release);
            keys.push(latency(injector, &key(true), || {
                mask().contains(KeyButMask::SHIFT)
            }));
            latency(injector, &key(false), || {
                !mask().contains(KeyButMask::SHIFT)
            });
        }
        vec![
            Row("inject: pointer move → seen by X", moves, String::new()),
            Row(
                "inject: click → seen by X",
                clicks,
                "press + release, button 3".into(),
            ),
            Row(
                "inject: key press → seen by X",
                keys,
                "Shift_L, via QueryPointer mask".into(),
            ),
        ]
    }

    /// Time of `n` calls injecting `text`, each typed at the root window (under the pointer,
    /// where nobody listens).
    fn type_repeatedly(injector: &mut dyn Injector, text: &str, n: usize) -> Vec<Duration> {
        let event = InputEvent::Text(text.into());
        (0..n)
            .map(|_| time(|| injector.inject(&event).expect("text")).0)
            .collect()
    }

    fn text_rows(injector: &mut dyn Injector) -> Vec<Row> {
        let on_keymap = type_repeatedly(injector, "a", 50);
        // Capitals and most punctuation are not in the keymap's unshifted column: enigo binds
        // them to spare keycodes. Time per character of a typical sentence:
        let sentence = "Hello, World! Meet at 10:30 (room B-12), bring \"notes\"; thanks.";
        let chars = sentence.chars().count() as u32;
        let per_char = type_repeatedly(injector, sentence, 10)
            .into_iter()
            .map(|d| d / chars);
        let per_char = per_char.collect();
        // The same spare-keycode character typed in quick succession, then a plain one.
        let spare_keycode = type_repeatedly(injector, "€", 50);
        let after_spare = type_repeatedly(injector, "a", 50);
        vec![
            Row(
                "inject: Text(\"a\"), call",
                on_keymap,
                "key on the keymap".into(),
            ),
            Row(
                "inject: Text(sentence), per character",
                per_char,
                format!("{chars} chars, mixed case"),
            ),
            Row(
                "inject: Text(\"€\"), call",
                spare_keycode,
                "bound to a spare keycode".into(),
            ),
            Row(
                "inject: Text(\"a\") after \"€\", call",
                after_spare,
                "enigo's 12 ms XTEST delay lingers".into(),
            ),
        ]
    }
}
