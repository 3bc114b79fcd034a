//! A real headless Chromium for end-to-end tests of the web front-ends, driven through
//! playwright-core by `tests/web/driver.mjs` (a JSON-lines RPC on the driver's stdin/stdout).
//!
//! ```no_run
//! use tandem_e2e::browser::Browser;
//! let mut b = Browser::launch();
//! b.new_page("rep", Some("http://127.0.0.1:8080"));
//! b.goto("rep", "http://127.0.0.1:8080/");
//! b.fill("rep", "#code", "123456789");
//! ```
//!
//! Every page lives in its own browser context (own cookies, storage and permissions).
//! The convenience methods panic with the command, Playwright's message and the page's
//! console log; [`Browser::call`] returns the driver's error instead.
//!
//! Where things come from: the driver is `<repo>/tests/web/driver.mjs` (found from this
//! crate's `CARGO_MANIFEST_DIR`), run by `node` from `PATH`; playwright-core from
//! `$TANDEM_PLAYWRIGHT` or `<repo>/web/node_modules`; the browser is `/usr/bin/chromium` or
//! `$TANDEM_CHROMIUM`.
//!
//! Nothing is left running: dropping a [`Browser`] closes the driver's stdin (the driver then
//! closes the browser and exits) and waits for it, then kills it ([`Proc`]). A killed driver's
//! Chromium exits by itself when its DevTools pipe closes; a killed test closes the driver's
//! stdin, and SIGTERM/SIGINT make the driver close the browser too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Proc;

/// How long a command may take beyond its own `timeout_ms` before the driver is deemed stuck.
pub const CALL_DEADLINE: Duration = Duration::from_secs(30);
/// How long the browser may take to start (slow under load).
const LAUNCH_DEADLINE: Duration = Duration::from_secs(90);
/// How long a dropped driver gets to close its browser before it is killed.
const QUIT_GRACE: Duration = Duration::from_secs(10);

const TOOLS_HINT: &str = "run scripts/test.sh, which installs chromium and runs npm ci in web/";

/// The repository's root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// `tests/web/driver.mjs`.
pub fn driver_script() -> PathBuf {
    repo_root().join("tests").join("web").join("driver.mjs")
}

/// The Chromium the driver launches: `$TANDEM_CHROMIUM`, else `/usr/bin/chromium`.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("TANDEM_CHROMIUM")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// The playwright-core package directory the driver loads: `$TANDEM_PLAYWRIGHT` (the
/// package directory, or a `node_modules` holding it), else `<repo>/web/node_modules/playwright-core`.
pub fn playwright_path() -> PathBuf {
    match std::env::var_os("TANDEM_PLAYWRIGHT").filter(|p| !p.is_empty()) {
        Some(p) => {
            let p = PathBuf::from(p);
            let nested = p.join("playwright-core");
            if nested.join("package.json").exists() {
                nested
            } else {
                p
            }
        }
        None => repo_root()
            .join("web")
            .join("node_modules")
            .join("playwright-core"),
    }
}

/// Asserts that node, Chromium and playwright-core are there, saying how to get them if not.
pub fn ensure_browser_tools() {
    let chromium = chromium_path();
    assert!(
        chromium.is_file(),
        "no Chromium at {} (TANDEM_CHROMIUM overrides the path): {TOOLS_HINT}",
        chromium.display()
    );
    let playwright = playwright_path();
    assert!(
        playwright.join("package.json").is_file(),
        "no playwright-core at {} (TANDEM_PLAYWRIGHT overrides the path): {TOOLS_HINT}",
        playwright.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "cannot run node ({:?}): {TOOLS_HINT}",
        node.err()
    );
    let driver = driver_script();
    assert!(
        driver.is_file(),
        "the browser driver {} is missing",
        driver.display()
    );
}

/// A headless Chromium behind `tests/web/driver.mjs`.
pub struct Browser {
    proc: Proc,
    next_id: u64,
    /// What `hello` said: browser version and executable.
    pub version: Value,
}

impl Browser {
    /// Launches Chromium (certificate errors are errors).
    pub fn launch() -> Browser {
        Browser::launch_with(false)
    }

    /// Launches Chromium; with `ignore_https_errors` it accepts any certificate
    /// (`--ignore-certificate-errors`, and every context ignores HTTPS errors).
    pub fn launch_with(ignore_https_errors: bool) -> Browser {
        Browser::launch_with_args(ignore_https_errors, &[])
    }

    /// Launches Chromium with extra command-line switches (e.g. a WebRTC IP handling policy).
    pub fn launch_with_args(ignore_https_errors: bool, chromium_args: &[&str]) -> Browser {
        Browser::launch_in(None, ignore_https_errors, chromium_args)
    }

    /// Launches Chromium inside network namespace `netns` (e.g. one where UDP is blocked).
    pub fn launch_in(
        netns: Option<&crate::netns::Netns>,
        ignore_https_errors: bool,
        chromium_args: &[&str],
    ) -> Browser {
        ensure_browser_tools();
        let mut cmd = Command::new("node");
        cmd.arg(driver_script());
        if ignore_https_errors {
            cmd.arg("--ignore-https-errors");
        }
        for arg in chromium_args {
            cmd.arg(format!("--chromium-arg={arg}"));
        }
        // The driver resolves these the same way; pass the resolved ones so both agree.
        cmd.env("TANDEM_CHROMIUM", chromium_path())
            .env("TANDEM_PLAYWRIGHT", playwright_path());
        let cmd = crate::netns::wrap_in(netns.map(|n| n.name.as_str()), cmd);
        let mut browser = Browser {
            proc: Proc::spawn("browser driver", cmd),
            next_id: 1,
            version: Value::Null,
        };
        let started = Instant::now();
        browser.version = browser
            .call_within(json!({"cmd": "hello"}), LAUNCH_DEADLINE)
            .unwrap_or_else(|e| {
                panic!(
                    "the browser did not start: {e}\n--- driver stderr ---\n{}",
                    browser.proc.stderr()
                )
            });
        eprintln!("browser: {} up in {:?}", browser.version, started.elapsed());
        browser
    }

    /// Sends one command (`{"cmd": ..., ...}`; the id is added) and returns the driver's
    /// value or error message. Panics, with the driver's stderr, if the driver does not answer
    /// within [`CALL_DEADLINE`] (plus the command's own `timeout_ms`), or has exited.
    pub fn call(&mut self, cmd: Value) -> Result<Value, String> {
        let own = cmd
            .get("timeout_ms")
            .and_then(Value::as_u64)
            .map_or(Duration::ZERO, Duration::from_millis);
        self.call_within(cmd, CALL_DEADLINE + own)
    }

    /// [`Browser::call`] with an explicit deadline.
    pub fn call_within(&mut self, mut cmd: Value, deadline: Duration) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        match cmd.as_object_mut() {
            Some(obj) => obj.insert("id".into(), json!(id)),
            None => panic!("a browser command is a JSON object: {cmd}"),
        };
        let line = cmd.to_string();
        self.proc.send_line(&line);
        let until = Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let Some(reply) = self.proc.next_line(left) else {
                let why = if Instant::now() < until {
                    "the driver exited".to_owned()
                } else {
                    format!("no answer within {deadline:?}")
                };
                panic!(
                    "browser command {line}: {why}\n--- driver stderr ---\n{}",
                    self.proc.stderr()
                );
            };
            let Ok(reply) = serde_json::from_str::<Value>(&reply) else {
                eprintln!("browser driver said on stdout: {reply}");
                continue;
            };
            if reply["id"] != json!(id) {
                eprintln!("browser driver: an answer to another command: {reply}");
                continue;
            }
            return if reply["ok"] == json!(true) {
                Ok(reply.get("value").cloned().unwrap_or(Value::Null))
            } else {
                Err(reply["error"]
                    .as_str()
                    .map_or_else(|| reply.to_string(), str::to_owned))
            };
        }
    }

    /// [`Browser::call`] for a command on `page`; panics with the page's console log on error.
    fn page_call(&mut self, page: &str, mut cmd: Value) -> Value {
        cmd["page"] = json!(page);
        match self.call(cmd.clone()) {
            Ok(v) => v,
            Err(e) => {
                let log = self.console_lines(page);
                panic!(
                    "browser page {page:?}: {cmd} failed: {e}\n--- console of page {page:?} ---\n{log}"
                );
            }
        }
    }

    /// The page's console log as text, or why there is none.
    fn console_lines(&mut self, page: &str) -> String {
        match self.call(json!({"cmd": "console", "page": page})) {
            Ok(Value::Array(lines)) => lines
                .iter()
                .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join("\n"),
            Ok(other) => other.to_string(),
            Err(e) => format!("(no console log: {e})"),
        }
    }

    /// A new page in a context of its own; with `origin` (e.g. `http://127.0.0.1:1234`),
    /// the context may read/write the clipboard and show notifications there. (Pages named
    /// by other commands before are created without permissions.)
    pub fn new_page(&mut self, page: &str, origin: Option<&str>) {
        self.page_call(page, json!({"cmd": "new_page", "origin": origin}));
    }

    /// Closes the page and its context.
    pub fn close_page(&mut self, page: &str) {
        self.page_call(page, json!({"cmd": "close_page"}));
    }

    /// Loads `url`; returns the main response's HTTP status (None for e.g. `about:blank`).
    pub fn goto(&mut self, page: &str, url: &str) -> Option<u16> {
        let v = self.page_call(page, json!({"cmd": "goto", "url": url}));
        v["status"].as_u64().and_then(|s| u16::try_from(s).ok())
    }

    /// The page's current URL.
    pub fn url(&mut self, page: &str) -> String {
        let v = self.eval(page, "location.href");
        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
    }

    /// Clicks the one element matching `selector` (a Playwright selector).
    pub fn click(&mut self, page: &str, selector: &str) {
        self.page_call(page, json!({"cmd": "click", "selector": selector}));
    }

    /// Opens `page` on the console of the portal at `base` and signs in as `user` on customer
    /// portal `portal` (the caller waits for what it expects next).
    pub fn sign_in_console(&mut self, base: &str, page: &str, user: (&str, &str), portal: &str) {
        self.new_page(page, Some(base));
        self.goto(page, &format!("{base}/console"));
        self.fill(page, "[data-testid=login-user]", user.0);
        self.fill(page, "[data-testid=login-password]", user.1);
        self.fill(page, "[data-testid=login-portal]", portal);
        self.click(page, "[data-testid=login-submit]");
    }

    /// Replaces the value of an input, textarea or contenteditable.
    pub fn fill(&mut self, page: &str, selector: &str, value: &str) {
        self.page_call(
            page,
            json!({"cmd": "fill", "selector": selector, "value": value}),
        );
    }

    /// Presses `key` ("Enter", "Control+A", "a") on the element.
    pub fn press(&mut self, page: &str, selector: &str, key: &str) {
        self.page_call(
            page,
            json!({"cmd": "press", "selector": selector, "key": key}),
        );
    }

    /// Selects the `<option>` with this value (or label) in a `<select>`.
    pub fn select(&mut self, page: &str, selector: &str, value: &str) {
        self.page_call(
            page,
            json!({"cmd": "select", "selector": selector, "value": value}),
        );
    }

    /// Checks or unchecks a checkbox or radio button.
    pub fn check(&mut self, page: &str, selector: &str, checked: bool) {
        self.page_call(
            page,
            json!({"cmd": "check", "selector": selector, "checked": checked}),
        );
    }

    /// Waits until at least one element matching `selector` is visible.
    pub fn wait_visible(&mut self, page: &str, selector: &str, timeout: Duration) {
        self.page_call(
            page,
            json!({"cmd": "wait_visible", "selector": selector, "timeout_ms": ms(timeout)}),
        );
    }

    /// Waits until no element matching `selector` is visible (none, or all hidden).
    pub fn wait_hidden(&mut self, page: &str, selector: &str, timeout: Duration) {
        self.page_call(
            page,
            json!({"cmd": "wait_hidden", "selector": selector, "timeout_ms": ms(timeout)}),
        );
    }

    /// Waits until the textContent of an element matching `selector` contains `contains`
    /// (case-sensitive); returns that text.
    pub fn wait_text(
        &mut self,
        page: &str,
        selector: &str,
        contains: &str,
        timeout: Duration,
    ) -> String {
        let v = self.page_call(
            page,
            json!({"cmd": "wait_text", "selector": selector, "contains": contains,
                   "timeout_ms": ms(timeout)}),
        );
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until exactly `count` elements match `selector`.
    pub fn wait_count(&mut self, page: &str, selector: &str, count: usize, timeout: Duration) {
        self.page_call(
            page,
            json!({"cmd": "wait_count", "selector": selector, "count": count,
                   "timeout_ms": ms(timeout)}),
        );
    }

    /// The textContent of the one element matching `selector` (waits for it to exist).
    pub fn text(&mut self, page: &str, selector: &str) -> String {
        let v = self.page_call(page, json!({"cmd": "text", "selector": selector}));
        v.as_str().unwrap_or_default().to_owned()
    }

    /// How many elements match `selector` now.
    pub fn count(&mut self, page: &str, selector: &str) -> usize {
        let v = self.page_call(page, json!({"cmd": "count", "selector": selector}));
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or_else(|| panic!("count of {selector}: not a number: {v}"))
    }

    /// An attribute of the one element matching `selector`; None when it has none.
    pub fn attr(&mut self, page: &str, selector: &str, name: &str) -> Option<String> {
        let v = self.page_call(
            page,
            json!({"cmd": "attr", "selector": selector, "name": name}),
        );
        v.as_str().map(str::to_owned)
    }

    /// The JSON value of a page-side expression (promises are awaited; undefined is null),
    /// e.g. `document.body.dataset.alerts`.
    pub fn eval(&mut self, page: &str, expr: &str) -> Value {
        self.page_call(page, json!({"cmd": "eval", "expr": expr}))
    }

    /// Types `text` key by key on whatever has the page's focus.
    pub fn keyboard_type(&mut self, page: &str, text: &str) {
        self.page_call(page, json!({"cmd": "keyboard_type", "text": text}));
    }

    /// Presses and releases one key or chord (`"Control+U"`, `"ü"`) on the focused element.
    pub fn keyboard_press(&mut self, page: &str, key: &str) {
        self.page_call(page, json!({"cmd": "keyboard_press", "key": key}));
    }

    /// Picks `paths` in the file input `selector`.
    pub fn set_files(&mut self, page: &str, selector: &str, paths: &[&Path]) {
        self.page_call(
            page,
            json!({"cmd": "set_files", "selector": selector, "paths": paths}),
        );
    }

    /// Clicks `selector`, which starts a download, and saves the file to `path`; returns the
    /// file name the page suggested.
    pub fn download(&mut self, page: &str, selector: &str, path: &Path) -> String {
        let v = self.page_call(
            page,
            json!({"cmd": "download", "selector": selector, "path": path}),
        );
        v["suggested"].as_str().unwrap_or_default().to_owned()
    }

    /// Clicks the customer's pixel `at` on the viewer's screen canvas (`[data-testid=screen]`,
    /// scrolled into view and scaled), for a customer screen of `screen` pixels.
    pub fn click_on_screen(&mut self, page: &str, screen: (u32, u32), at: (u32, u32)) {
        let rect = self.eval(
            page,
            "(() => { const c = document.querySelector('[data-testid=screen]'); \
             c.scrollIntoView({ block: 'center' }); const r = c.getBoundingClientRect(); \
             return [r.left, r.top, r.width, r.height]; })()",
        );
        let r: Vec<f64> = rect
            .as_array()
            .expect("the screen's rectangle")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let (sx, sy) = (r[2] / f64::from(screen.0), r[3] / f64::from(screen.1));
        self.mouse_click(
            page,
            r[0] + (f64::from(at.0) + 0.5) * sx,
            r[1] + (f64::from(at.1) + 0.5) * sy,
        );
    }

    /// Clicks at page coordinates (CSS pixels).
    pub fn mouse_click(&mut self, page: &str, x: f64, y: f64) {
        self.page_call(page, json!({"cmd": "mouse_click", "x": x, "y": y}));
    }

    /// The clipboard's text as the page reads it (needs a page made with an origin).
    pub fn clipboard(&mut self, page: &str) -> String {
        let v = self.page_call(page, json!({"cmd": "clipboard"}));
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG of the viewport (or the whole page) to `path` (directories are created);
    /// returns the absolute path.
    pub fn screenshot(&mut self, page: &str, path: &Path, full_page: bool) -> PathBuf {
        let v = self.page_call(
            page,
            json!({"cmd": "screenshot", "path": path, "full_page": full_page}),
        );
        PathBuf::from(v.as_str().unwrap_or_default())
    }

    /// The page's console messages, page errors, failed requests and crashes so far.
    pub fn console(&mut self, page: &str) -> Vec<String> {
        let v = self.page_call(page, json!({"cmd": "console"}));
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|l| l.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Everything the driver wrote to stderr so far.
    pub fn driver_stderr(&self) -> String {
        self.proc.stderr()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // stdin EOF: the driver closes the browser and exits, which closes its stdout.
        // Nothing here may panic (this also runs while a failed test unwinds).
        self.proc.close_stdin();
        let until = Instant::now() + QUIT_GRACE;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if self.proc.next_line(left).is_none() {
                break;
            }
        }
        // Then Proc's drop kills node if it is still there.
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Decodes standard base64 (what the page's `btoa` makes); `None` if it is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let keep = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes_every_padding() {
        assert_eq!(super::decode_base64("").as_deref(), Some(&b""[..]));
        assert_eq!(super::decode_base64("TQ==").as_deref(), Some(&b"M"[..]));
        assert_eq!(super::decode_base64("TWE=").as_deref(), Some(&b"Ma"[..]));
        assert_eq!(
            super::decode_base64("TWFu/w==").as_deref(),
            Some(&b"Man\xff"[..])
        );
        assert_eq!(super::decode_base64("T"), None);
        assert_eq!(super::decode_base64("TW!u"), None);
    }
}
