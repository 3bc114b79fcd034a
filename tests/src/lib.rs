//! Harness for Tandem's end-to-end tests: real Xvfb, real portal/agent/viewer processes.
//! Every spawned process sits in a [`Proc`] guard that kills it on drop, so a failing test
//! leaves nothing behind. Waits poll a condition against a deadline; no bare sleeps.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tandem_protocol::signal::CodeInfo;

pub mod browser;
pub mod customer_window;
pub mod netns;
pub mod proxy;
pub mod smtp;
pub mod x;

/// The password the test portals' administrator gets.
pub const ADMIN_PASSWORD: &str = "e2e-admin-password";

/// Polls `f` every 20 ms until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The names in a rights value of a viewer event: every event shows rights as a list of
/// names (`["view","chat"]`). Panics on any other shape, so a test sees a regression to bits.
pub fn right_names(rights: &Value) -> Vec<&str> {
    rights
        .as_array()
        .unwrap_or_else(|| panic!("rights are not a list of names: {rights}"))
        .iter()
        .map(|n| {
            n.as_str()
                .unwrap_or_else(|| panic!("a right that is not a name: {rights}"))
        })
        .collect()
}

/// True when the rights value of a viewer event names `right`.
pub fn has_right(rights: &Value, right: &str) -> bool {
    right_names(rights).contains(&right)
}

/// Path of one of the workspace's binaries (built by `cargo build --workspace --bins`), or of
/// the folder `TANDEM_E2E_BIN_DIR` names (e.g. target/release, to time the release build).
pub fn binary(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps, bench binaries in target/<profile>.
    let exe = std::env::current_exe().expect("current exe");
    let mut dir = exe.parent().expect("target dir").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    if let Some(chosen) = std::env::var_os("TANDEM_E2E_BIN_DIR") {
        dir = PathBuf::from(chosen);
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// A child process killed (and reaped) on drop.
pub struct Proc {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Proc {
    /// Spawns `cmd` with piped stdio; stdout lines are collected for [`Proc::next_line`].
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Ok(filter) = std::env::var("TANDEM_E2E_LOG") {
            cmd.env("RUST_LOG", filter);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let err_buf = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = err_buf.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let stdin = child.stdin.take();
        Proc {
            name: name.to_owned(),
            child,
            stdin,
            lines: rx,
            stderr: err_buf,
        }
    }

    /// The next stdout line, waiting up to `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Waits for a stdout line satisfying `pred`.
    pub fn wait_line(
        &mut self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        // The last lines seen, for the failure message.
        let mut seen = std::collections::VecDeque::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if pred(&line) => return line,
                Ok(line) => {
                    seen.push_back(line);
                    if seen.len() > 8 {
                        seen.pop_front();
                    }
                }
                Err(_) => panic!(
                    "{}: no line with {what} within {timeout:?}; last lines: {seen:?}; stderr:\n{}",
                    self.name,
                    self.stderr()
                ),
            }
        }
    }

    /// Writes one line to the process's stdin.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}")
            .and_then(|_| stdin.flush())
            .expect("write to stdin");
    }

    /// Closes stdin.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let name = self.name.clone();
        wait_for(&format!("{name} to exit"), timeout, || {
            self.child.try_wait().ok().flatten()
        })
        .code()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut rest = Vec::new();
            while let Ok(l) = self.lines.try_recv() {
                rest.push(l);
            }
            eprintln!(
                "--- {} stderr ---\n{}\n--- {} unread stdout ---\n{}",
                self.name,
                self.stderr(),
                self.name,
                rest.join("\n")
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tandem-e2e-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running portal on 127.0.0.1 with a temporary SQLite database.
pub struct Portal {
    pub url: String,
    pub proc: Proc,
    db: PathBuf,
    /// The network namespace the portal and the viewers started from here run in.
    netns: Option<String>,
}

impl Portal {
    pub fn start(dir: &TempDir, extra: &[&str]) -> Portal {
        Portal::start_in(None, dir, "127.0.0.1:0", extra)
    }

    /// A portal listening on `listen`, inside network namespace `netns` if given (its
    /// viewers too).
    pub fn start_in(
        netns: Option<&netns::Netns>,
        dir: &TempDir,
        listen: &str,
        extra: &[&str],
    ) -> Portal {
        let netns = netns.map(|n| n.name.clone());
        let mut cmd = Command::new(binary("tandem-portal"));
        cmd.args(["--listen", listen, "--db"])
            .arg(dir.path("portal.sqlite3"));
        cmd.args(extra).env("TANDEM_ADMIN_PASSWORD", ADMIN_PASSWORD);
        let mut proc = Proc::spawn("portal", netns::wrap_in(netns.as_deref(), cmd));
        let line = proc.wait_line("'listening on'", Duration::from_secs(20), |l| {
            l.contains("listening on")
        });
        let url = line.rsplit(' ').next().expect("address").to_owned();
        Portal {
            url,
            proc,
            db: dir.path("portal.sqlite3"),
            netns,
        }
    }

    /// `cmd` as it must run to reach this portal (inside its namespace, if any).
    pub fn wrap(&self, cmd: Command) -> Command {
        netns::wrap_in(self.netns.as_deref(), cmd)
    }

    /// The portal's socket address.
    pub fn addr(&self) -> std::net::SocketAddr {
        let rest = self.url.split_once("://").map_or(&*self.url, |(_, r)| r);
        rest.split('#')
            .next()
            .unwrap_or(rest)
            .parse()
            .expect("portal address")
    }

    /// This portal's address as seen at `addr` (a proxy in front of it): same scheme, same
    /// certificate pin.
    pub fn url_at(&self, addr: std::net::SocketAddr) -> String {
        let scheme = self.url.split("://").next().unwrap_or("http");
        let pin = self.url.split_once('#').map(|(_, p)| format!("#{p}"));
        format!("{scheme}://{addr}{}", pin.unwrap_or_default())
    }

    /// A join link for `digits` typed by hand (no link token), at `addr`.
    pub fn join_link_at(&self, addr: std::net::SocketAddr, digits: &str) -> String {
        let base = self.url_at(addr);
        match base.split_once('#') {
            Some((base, pin)) => format!("{base}/join/{digits}#{pin}"),
            None => format!("{base}/join/{digits}"),
        }
    }

    /// A headless viewer (as the administrator) that reaches the portal at `base_url`
    /// (e.g. through a [`proxy::Proxy`]).
    pub fn headless_viewer_via(&self, base_url: &str, code: &str) -> Viewer {
        let mut cmd = Command::new(binary("tandem-viewer"));
        cmd.args([
            "--portal",
            base_url,
            "--user",
            "admin",
            "--webrtc-bind",
            "127.0.0.1",
        ])
        .args(["join", "--headless", code])
        .env("TANDEM_PASSWORD", ADMIN_PASSWORD);
        Viewer {
            proc: Proc::spawn("viewer", self.wrap(cmd)),
        }
    }

    /// Adds a representative account (password = user name + "-password").
    pub fn add_rep(&self, user: &str, name: &str) {
        let out = Command::new(binary("tandem-portal"))
            .args(["add-rep", "--db"])
            .arg(&self.db)
            .args(["--user", user, "--name", name])
            .env("TANDEM_REP_PASSWORD", format!("{user}-password"))
            .output()
            .expect("run add-rep");
        assert!(
            out.status.success(),
            "add-rep: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A headless representative waiting for invitations.
    pub fn invitations(&self, user: &str) -> Viewer {
        self.invitations_via(&self.url, user)
    }

    /// The same, reaching the portal at `base_url` (e.g. through a [`proxy::Proxy`]).
    pub fn invitations_via(&self, base_url: &str, user: &str) -> Viewer {
        let mut cmd = Command::new(binary("tandem-viewer"));
        cmd.args([
            "--portal",
            base_url,
            "--user",
            user,
            "--webrtc-bind",
            "127.0.0.1",
            "invitations",
            "--headless",
        ]);
        cmd.env("TANDEM_PASSWORD", format!("{user}-password"));
        Viewer {
            proc: Proc::spawn(&format!("viewer {user}"), self.wrap(cmd)),
        }
    }

    /// A headless external specialist joining with a link.
    pub fn specialist(&self, link: &str, name: &str) -> Viewer {
        let mut cmd = Command::new(binary("tandem-viewer"));
        cmd.args([
            "--portal",
            &self.url,
            "--webrtc-bind",
            "127.0.0.1",
            "specialist",
            "join",
            link,
            "--name",
            name,
            "--headless",
        ]);
        Viewer {
            proc: Proc::spawn(&format!("specialist {name}"), self.wrap(cmd)),
        }
    }

    /// A `tandem-viewer` command logged in as the administrator.
    pub fn viewer_command(&self) -> Command {
        let mut cmd = Command::new(binary("tandem-viewer"));
        cmd.args([
            "--portal",
            &self.url,
            "--user",
            "admin",
            "--webrtc-bind",
            "127.0.0.1",
        ]);
        cmd.env("TANDEM_PASSWORD", ADMIN_PASSWORD)
            .stdin(Stdio::null());
        cmd
    }

    /// Creates a code; `Err(stderr)` when the portal refused.
    pub fn try_create_code(&self, customer: &str) -> Result<CodeInfo, String> {
        let mut cmd = self.viewer_command();
        cmd.args(["code", "new", "--json", "--customer", customer]);
        let out = self.wrap(cmd).output().expect("run viewer");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bad JSON from viewer: {e}"))
    }

    pub fn create_code(&self, customer: &str) -> CodeInfo {
        self.try_create_code(customer)
            .unwrap_or_else(|e| panic!("creating a code failed: {e}"))
    }

    /// Starts a headless viewer joining the session of `code`.
    pub fn headless_viewer(&self, code: &str) -> Viewer {
        self.headless_viewer_in(code, Path::new("."))
    }

    /// The same, saving fetched files in `downloads`.
    pub fn headless_viewer_in(&self, code: &str, downloads: &Path) -> Viewer {
        let mut cmd = self.viewer_command();
        cmd.arg("--download-dir")
            .arg(downloads)
            .args(["join", "--headless", code]);
        Viewer {
            proc: Proc::spawn("viewer", self.wrap(cmd)),
        }
    }
}

/// Starts an agent for `join_url` on `display`; `pre_authorize` is "view", "control" or "".
pub fn agent(display: &str, join_url: &str, pre_authorize: &str) -> Proc {
    agent_with(display, join_url, pre_authorize, &[])
}

/// The agent's arguments for a customer who accepts files into `inbox` and shares `share`
/// for browsing, both agreed in advance (the questions are tested elsewhere).
pub fn file_sharing_args<'a>(
    inbox: &'a std::path::Path,
    share: &'a std::path::Path,
) -> Vec<&'a std::ffi::OsStr> {
    vec![
        "--accept-files".as_ref(),
        "--allow-browse".as_ref(),
        "--files-dir".as_ref(),
        inbox.as_os_str(),
        "--share-dir".as_ref(),
        share.as_os_str(),
    ]
}

/// The same with extra arguments.
pub fn agent_with(
    display: &str,
    join_url: &str,
    pre_authorize: &str,
    extra: &[&std::ffi::OsStr],
) -> Proc {
    Proc::spawn(
        "agent",
        agent_command(display, join_url, pre_authorize, extra),
    )
}

/// The command [`agent_with`] runs.
pub fn agent_command(
    display: &str,
    join_url: &str,
    pre_authorize: &str,
    extra: &[&std::ffi::OsStr],
) -> Command {
    let mut cmd = customer_app_command(display, join_url, extra);
    // The terminal front-end (the window would cover the shared screen), log on stderr.
    cmd.args(["--no-window", "--log-file", "-"]);
    if !pre_authorize.is_empty() {
        cmd.args(["--pre-authorize", pre_authorize]);
    }
    cmd
}

/// The customer app as a customer starts it (with its window when `display` has one).
pub fn customer_app_command(display: &str, join_url: &str, extra: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = Command::new(binary("tandem-agent"));
    cmd.args(extra);
    cmd.args([
        "--join",
        join_url,
        "--display",
        display,
        "--webrtc-bind",
        "127.0.0.1",
        "--name",
        "alice@e2e",
    ]);
    cmd
}

/// A headless viewer: JSON commands in, JSON events out.
pub struct Viewer {
    pub proc: Proc,
}

impl Viewer {
    pub fn send(&mut self, cmd: Value) {
        self.proc.send_line(&cmd.to_string());
    }

    /// Waits for an event whose `"event"` is `name`, returning it.
    pub fn wait_event(&mut self, name: &str, timeout: Duration) -> Value {
        let line = self.proc.wait_line(&format!("event {name}"), timeout, |l| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| v["event"] == name)
        });
        serde_json::from_str(&line).expect("json")
    }

    /// Waits for a portal event of this type (`{"event":"portal","type":…}`).
    pub fn wait_portal(&mut self, kind: &str, timeout: Duration) -> Value {
        self.wait_portal_where(kind, timeout, |_| true)
    }

    /// Waits for a portal event of this type that satisfies `pred`.
    pub fn wait_portal_where(
        &mut self,
        kind: &str,
        timeout: Duration,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Value {
        let line = self
            .proc
            .wait_line(&format!("portal event {kind}"), timeout, |l| {
                serde_json::from_str::<Value>(l)
                    .is_ok_and(|v| v["event"] == "portal" && v["type"] == kind && pred(&v))
            });
        serde_json::from_str(&line).expect("json")
    }

    /// Moves the remote pointer and waits until X reports it there: proof that input flows.
    pub fn move_pointer_and_check(&mut self, x: &x::Xvfb, to: (i32, i32), what: &str) {
        self.send(serde_json::json!({"cmd": "move", "x": to.0, "y": to.1}));
        wait_for(what, Duration::from_secs(30), || {
            (x.pointer() == to).then_some(())
        });
    }

    /// Asks for a screenshot and returns it as (width, height, RGB bytes); an empty picture
    /// when the viewer has none yet (callers compare in a loop and try again).
    pub fn screenshot(&mut self, dir: &TempDir) -> (u32, u32, Vec<u8>) {
        let path = dir.path("viewer.png");
        self.send(serde_json::json!({"cmd": "screenshot", "path": path}));
        let line = self
            .proc
            .wait_line("event screenshot", Duration::from_secs(10), |l| {
                serde_json::from_str::<Value>(l)
                    .is_ok_and(|v| v["event"] == "screenshot" || v["event"] == "error")
            });
        if line.contains("\"error\"") {
            return (0, 0, Vec::new());
        }
        read_png(&path)
    }
}

/// Waits until the viewer's picture equals X's own screenshot, pixel for pixel; returns it.
pub fn wait_pictures_match(
    x: &x::Xvfb,
    viewer: &mut Viewer,
    dir: &TempDir,
    timeout: Duration,
) -> Vec<u8> {
    let mut last_diff = 0;
    let mut attempts = 0;
    let deadline = Instant::now() + timeout;
    loop {
        let (xw, xh, xs) = x.screenshot();
        let (vw, vh, vs) = viewer.screenshot(dir);
        attempts += 1;
        if (xw, xh) == (vw, vh) && xs == vs {
            return vs;
        }
        if xs.len() == vs.len() {
            last_diff = xs.iter().zip(&vs).filter(|(a, b)| a != b).count();
        }
        assert!(
            Instant::now() < deadline,
            "viewer picture never matched X after {attempts} tries: X {xw}x{xh}, viewer {vw}x{vh}, {last_diff} bytes differ"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads an 8-bit RGB PNG.
pub fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(BufReader::new(std::fs::File::open(path).expect("open png")));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}
