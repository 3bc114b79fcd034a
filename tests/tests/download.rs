//! The downloadable customer app, as a customer gets it: the join page's button, clicked in
//! Debian's Chromium, gives a file that a fresh unprivileged account runs with no arguments,
//! with a minimal environment and nothing of the build on its library path — and it joins the
//! right session, pixel-exact at the representative's viewer. The same file again after the
//! session says the code was used; a copy with one byte of its stamp changed is refused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tandem_e2e::browser::Browser;
use tandem_e2e::customer_window::{CustomerWindow, keep_png};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, binary, has_right, wait_pictures_match};

const T: Duration = Duration::from_secs(30);

/// Libraries every Linux desktop has (glibc's and GCC's runtime).
const EVERY_DESKTOP_HAS: [&str; 8] = [
    "linux-vdso.so.1",
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
];

/// The customer app as the portal serves it: the agent, stripped as the packages ship it.
fn downloads_folder(dir: &TempDir) -> PathBuf {
    let folder = dir.path("downloads");
    std::fs::create_dir_all(&folder).expect("downloads folder");
    let status = Command::new("strip")
        .arg("--strip-unneeded")
        .arg("-o")
        .arg(folder.join("tandem-agent-linux-x86_64"))
        .arg(binary("tandem-agent"))
        .status()
        .expect("run strip (binutils)");
    assert!(status.success(), "strip failed");
    folder
}

/// A Unix account made for one test and removed with its home afterwards.
struct Account {
    name: String,
    home: PathBuf,
}

impl Account {
    fn create() -> Account {
        let name = format!("tandem-cust-{}", std::process::id());
        let status = Command::new("useradd")
            .args(["--create-home", "--shell", "/bin/sh", &name])
            .status()
            .expect("run useradd: this test needs root, as CI runs");
        assert!(
            status.success(),
            "useradd {name} failed (this test needs root)"
        );
        // From here on the guard removes the account, whatever fails next.
        let mut account = Account {
            name,
            home: PathBuf::new(),
        };
        let entry = Command::new("getent")
            .args(["passwd", &account.name])
            .output()
            .expect("getent");
        let entry = String::from_utf8_lossy(&entry.stdout).into_owned();
        account.home = PathBuf::from(entry.trim().split(':').nth(5).unwrap_or_default());
        assert!(account.home.is_dir(), "no home folder in {entry}");
        account
    }

    /// Puts `file` in the account's Downloads folder, owned by it, executable (the customer's
    /// `chmod +x`, or ticking "Allow executing file as program").
    fn receive(&self, file: &Path, name: &str) -> PathBuf {
        let downloads = self.home.join("Downloads");
        std::fs::create_dir_all(&downloads).expect("Downloads");
        let to = downloads.join(name);
        std::fs::copy(file, &to).expect("copy the download");
        for path in [&downloads, &to] {
            let ok = Command::new("chown")
                .arg(format!("{0}:{0}", self.name))
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown {}", path.display());
        }
        let ok = Command::new("chmod")
            .arg("u+x")
            .arg(&to)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chmod +x");
        to
    }

    /// `program` with no arguments, as this account, in a minimal environment: a display, a
    /// home, the system's PATH and nothing else — no library path, no build folders. Two
    /// settings of the test machine ride along: loopback WebRTC (this machine has no other
    /// network) and the window's automation trace.
    fn run(&self, program: &Path, display: &str, trace: &Path) -> Proc {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid",
            &self.name,
            "--regid",
            &self.name,
            "--init-groups",
            "--",
        ])
        .arg("env")
        .arg("-i")
        .arg(format!("DISPLAY={display}"))
        .arg(format!("HOME={}", self.home.display()))
        .arg(format!("USER={}", self.name))
        .arg("PATH=/usr/bin:/bin")
        .arg("TANDEM_WEBRTC_BIND=127.0.0.1")
        .arg(format!("TANDEM_UI_TRACE={}", trace.display()))
        .arg(program)
        .current_dir(&self.home);
        Proc::spawn("downloaded customer app", cmd)
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .args(["-KILL", "-u", &self.name])
            .status();
        let _ = Command::new("userdel")
            .args(["--remove", &self.name])
            .output();
    }
}

#[test]
fn the_join_pages_download_joins_its_session_once_and_refuses_a_changed_stamp() {
    let dir = TempDir::new("download");
    let x = Xvfb::start(1024, 700);
    x.set_background("#336699");
    let folder = downloads_folder(&dir);
    let folder_arg = folder.to_string_lossy().into_owned();
    let portal = Portal::start(&dir, &["--downloads-dir", &folder_arg]);
    let code = portal.create_code("Alice");
    let digits = code.code.digits();
    let mut viewer = portal.headless_viewer(&digits);
    viewer.wait_event("waiting", T);

    // The join page, in the customer's browser, offers the file for their system.
    let mut browser = Browser::launch_with(true);
    browser.new_page("customer", None);
    assert_eq!(browser.goto("customer", &code.join_url), Some(200));
    let page = browser.text("customer", "body");
    assert!(page.contains("Download Tandem Support for Linux"), "{page}");
    assert!(page.contains("Allow executing file as program"), "{page}");
    let installed = browser
        .attr("customer", "[data-testid=open-installed]", "href")
        .expect("the installed app's link");
    assert!(
        installed.starts_with("tandem-agent://") && installed.contains(&format!("/join/{digits}")),
        "{installed}"
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("download");
    browser.screenshot("customer", &shots.join("join-page.png"), true);
    let fetched = dir.path("fetched");
    std::fs::create_dir_all(&fetched).expect("fetched");
    let clicked = Instant::now();
    let suggested = browser.download("customer", "[data-testid=download]", &fetched.join("app"));
    assert_eq!(suggested, format!("tandem-support-{digits}"));
    let file = fetched.join("app");
    let downloaded = clicked.elapsed();
    let build_len = std::fs::metadata(folder.join("tandem-agent-linux-x86_64"))
        .expect("build")
        .len();
    let file_len = std::fs::metadata(&file).expect("download").len();
    assert!(
        file_len > build_len && file_len < build_len + 4200,
        "the download is the build and a stamp: {file_len} vs {build_len}"
    );

    // A fresh account runs it with no arguments; the customer allows viewing in the window.
    let customer = Account::create();
    let program = customer.receive(&file, &suggested);
    let window = CustomerWindow {
        trace: customer.home.join("window.json"),
    };
    let mut app = customer.run(&program, &x.display, &window.trace);
    let consent = window.wait("the consent dialog", T, |t| t["screen"] == "consent");
    let asked = clicked.elapsed();
    let words = CustomerWindow::texts(&consent);
    assert!(words.contains("asks to see your screen"), "{words}");
    keep_png(&x, "download", "consent-from-downloaded-app");
    window.click(&x, "allow-viewing", T);
    let allowed = clicked.elapsed();
    let connected = viewer.wait_event("connected", T);
    assert!(has_right(&connected["rights"], "view"), "{connected}");
    viewer.wait_event("frame", T);
    // Timing for the report, not a pass/fail: automation stands in for the customer's clicks.
    eprintln!(
        "download: click to first frame at the representative {:?} (download {:.1} MB saved \
         at {downloaded:?}, consent asked at {asked:?}, Allow clicked at {allowed:?})",
        clicked.elapsed(),
        file_len as f64 / 1e6
    );
    wait_pictures_match(&x, &mut viewer, &dir, T);
    keep_png(&x, "download", "session-from-downloaded-app");

    // The customer ends the session; the same file again finds its code used.
    window.click(&x, "end-session", T);
    viewer.wait_event("ended", T);
    assert_eq!(app.wait_exit(T), Some(0), "{}", app.stderr());
    let again = CustomerWindow {
        trace: customer.home.join("again.json"),
    };
    let mut second = customer.run(&program, &x.display, &again.trace);
    let ended = again.wait("the second run's answer", T, |t| t["screen"] == "ended");
    let words = CustomerWindow::texts(&ended);
    assert!(words.contains("already used"), "{words}");
    keep_png(&x, "download", "second-run-code-used");
    assert_eq!(second.wait_exit(T), Some(3), "{}", second.stderr());

    // One byte of the stamp changed (a digit of the code): refused before anything is sent.
    let mut bytes = std::fs::read(&file).expect("read");
    let at = find(&bytes[build_len as usize..], digits.as_bytes()).expect("the code in the stamp")
        + build_len as usize;
    bytes[at] = if bytes[at] == b'9' {
        b'8'
    } else {
        bytes[at] + 1
    };
    let changed = dir.path("changed");
    std::fs::write(&changed, &bytes).expect("write");
    let program = customer.receive(&changed, "tandem-support-changed");
    let refused = CustomerWindow {
        trace: customer.home.join("changed.json"),
    };
    let mut third = customer.run(&program, &x.display, &refused.trace);
    let shown = refused.wait("the refusal", T, |t| t["screen"] == "ended");
    let words = CustomerWindow::texts(&shown);
    assert!(words.contains("damaged or was changed"), "{words}");
    keep_png(&x, "download", "changed-stamp-refused");
    assert_eq!(third.wait_exit(T), Some(2), "{}", third.stderr());
    let _ = &portal;
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `ldd` of the file the portal serves: only what every desktop has.
#[test]
fn the_downloadable_app_needs_only_libraries_every_desktop_has() {
    let dir = TempDir::new("download-ldd");
    let folder = downloads_folder(&dir);
    let out = Command::new("ldd")
        .arg(folder.join("tandem-agent-linux-x86_64"))
        .output()
        .expect("run ldd");
    assert!(out.status.success(), "ldd failed");
    let listing = String::from_utf8_lossy(&out.stdout);
    let libraries: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(libraries.contains(&"libc.so.6"), "{listing}");
    for lib in &libraries {
        let name = lib.rsplit('/').next().unwrap_or(lib);
        assert!(
            EVERY_DESKTOP_HAS.contains(&name),
            "the customer app needs {lib}, which a desktop may not have:\n{listing}"
        );
    }
}
