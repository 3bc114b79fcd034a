//! The Debian packages, installed on this machine as an administrator would: built by
//! `installers/linux/build-debs.sh`, installed with `dpkg -i`, their units checked with
//! `systemd-analyze verify`, the portal started exactly as its unit's `ExecStart=` and
//! `User=` say and asked for `/healthz` over TLS, upgraded from a previous build (the
//! representative created before is still there, and so is the edited configuration), and
//! purged to nothing. The customer app's package opens a `tandem-agent://` link as its desktop
//! entry says. Needs root, as CI runs; changes the machine's packages, so it is one test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use tandem_e2e::browser::repo_root;
use tandem_e2e::customer_window::CustomerWindow;
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir};

const T: Duration = Duration::from_secs(30);
const CONFIG: &str = "/etc/tandem/portal.toml";
const UNIT: &str = "/lib/systemd/system/tandem-portal.service";
const PACKAGES: [&str; 3] = ["tandem-portal", "tandem-agent", "tandem-viewer"];
/// Everything the packages put on the machine, or made there.
const LEFT_BEHIND: [&str; 15] = [
    "/usr/share/applications/tandem-viewer.desktop",
    "/usr/share/doc/tandem-portal",
    "/usr/share/doc/tandem-agent",
    "/usr/share/doc/tandem-viewer",
    "/etc/systemd/system/multi-user.target.wants/tandem-portal.service",
    "/etc/tandem",
    "/var/lib/tandem",
    "/usr/share/tandem",
    "/usr/lib/tandem",
    UNIT,
    "/usr/bin/tandem-portal",
    "/usr/bin/tandem-agent",
    "/usr/bin/tandem-viewer",
    "/usr/share/applications/tandem-agent.desktop",
    "/usr/lib/systemd/user/tandem-agent-resume.service",
];

fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Builds the three packages at `version` into `out`, from the binaries this test run built.
fn build_packages(version: &str, out: &Path) -> Vec<PathBuf> {
    let script = repo_root().join("installers/linux/build-debs.sh");
    let out_arg = out.to_string_lossy().into_owned();
    let args = [
        "--profile",
        "debug",
        "--compress",
        "gzip",
        "--version",
        version,
        "--out",
    ];
    let mut all: Vec<&str> = vec![script.to_str().expect("utf-8 path")];
    all.extend(args);
    all.push(&out_arg);
    run("bash", &all);
    let arch = String::from_utf8_lossy(&run("dpkg", &["--print-architecture"]).stdout)
        .trim()
        .to_owned();
    PACKAGES
        .iter()
        .map(|p| out.join(format!("{p}_{version}_{arch}.deb")))
        .inspect(|deb| assert!(deb.is_file(), "{} was not built", deb.display()))
        .collect()
}

fn purge_all() {
    run(
        "apt-get",
        &[
            "purge",
            "-y",
            "-q",
            "tandem-portal",
            "tandem-agent",
            "tandem-viewer",
        ],
    );
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// `systemd-analyze verify` of an installed unit, which must say nothing about it.
fn verify_unit(unit: &str, user: bool, runtime: &Path) {
    let mut cmd = Command::new("systemd-analyze");
    if user {
        cmd.arg("--user").env("XDG_RUNTIME_DIR", runtime);
    }
    let out = cmd
        .arg("verify")
        .arg(unit)
        .output()
        .expect("systemd-analyze");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    let name = Path::new(unit)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(unit);
    assert!(
        out.status.success() && !said.contains(name),
        "systemd-analyze verify {unit}:\n{said}"
    );
}

/// `key=` of a unit or desktop file.
fn entry(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in\n{text}"))
        .trim()
        .to_owned()
}

/// The portal as its unit starts it: the unit's user, its command line, no inherited
/// environment, the root folder as working directory.
/// Returns the portal, its address and the lines it printed before it.
fn start_as_the_unit_says() -> (Proc, String, Vec<String>) {
    let unit = std::fs::read_to_string(UNIT).expect("the unit");
    let user = entry(&unit, "User");
    let exec = entry(&unit, "ExecStart");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", &user, "--regid", &user, "--init-groups", "--"])
        .args(["env", "-i", "PATH=/usr/bin:/bin"])
        .args(exec.split_whitespace())
        .current_dir("/");
    let mut portal = Proc::spawn("installed portal", cmd);
    let mut before = Vec::new();
    let url = loop {
        let line = portal
            .next_line(T)
            .unwrap_or_else(|| panic!("the portal did not start: {}", portal.stderr()));
        if line.contains("listening on") {
            break line.rsplit(' ').next().expect("address").to_owned();
        }
        before.push(line);
    };
    (portal, url, before)
}

/// `/healthz` over TLS, the certificate checked against the portal's own self-signed one.
fn healthz(url: &str) -> String {
    let base = url.split('#').next().unwrap_or(url);
    let out = run(
        "curl",
        &[
            "--silent",
            "--show-error",
            "--cacert",
            "/var/lib/tandem/tls/portal-cert.pem",
            &format!("{base}/healthz"),
        ],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Representative `user` logs in (the viewer lists their codes): the account exists.
fn logs_in(url: &str, user: &str, password: &str) -> bool {
    let viewer = "/usr/bin/tandem-viewer";
    Command::new(viewer)
        .args(["--portal", url, "--user", user, "code", "list"])
        .env("TANDEM_PASSWORD", password)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Purges the packages when the test ends, passed or failed: the machine keeps nothing.
struct PurgeOnDrop;

impl Drop for PurgeOnDrop {
    fn drop(&mut self) {
        if PACKAGES.iter().any(|p| installed(p)) {
            let _ = Command::new("apt-get")
                .args(["purge", "-y", "-q"])
                .args(PACKAGES)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .output();
        }
    }
}

#[test]
fn packages_install_run_as_their_units_say_upgrade_keeping_data_and_purge_to_nothing() {
    let dir = TempDir::new("packages");
    let previous = build_packages("0.0.9", &dir.path("previous"));
    let version = env!("CARGO_PKG_VERSION");
    let current = build_packages(version, &dir.path("current"));
    // A machine with Tandem installed for real keeps it: its database is not ours to purge.
    if let Some(p) = PACKAGES.iter().find(|p| installed(p)) {
        panic!(
            "{p} is installed on this machine: this test installs and purges it; run it elsewhere"
        );
    }
    let _purge = PurgeOnDrop;

    // The previous build, installed; its units as systemd reads them.
    let mut install: Vec<&str> = vec!["-i", "--force-confold"];
    install.extend(previous.iter().map(|p| p.to_str().expect("utf-8")));
    run("dpkg", &install);
    let runtime = dir.path("runtime");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    verify_unit(UNIT, false, &runtime);
    verify_unit(
        "/usr/lib/systemd/user/tandem-agent-resume.service",
        true,
        &runtime,
    );
    let passwd = String::from_utf8_lossy(&run("getent", &["passwd", "tandem"]).stdout).into_owned();
    assert!(
        passwd.contains("/var/lib/tandem") && passwd.contains("nologin"),
        "{passwd}"
    );
    // The configuration: readable by the portal's group, writable by root only.
    let owner = run("stat", &["-c", "%U:%G %a", CONFIG]);
    assert_eq!(
        String::from_utf8_lossy(&owner.stdout).trim(),
        "root:tandem 640"
    );
    let state = run("stat", &["-c", "%U:%G %a", "/var/lib/tandem"]);
    assert_eq!(
        String::from_utf8_lossy(&state.stdout).trim(),
        "tandem:tandem 750"
    );

    // The administrator edits the configuration: a port of its own for this test.
    let config = std::fs::read_to_string(CONFIG).expect("the configuration");
    assert!(config.contains("listen = \"0.0.0.0:8470\""), "{config}");
    let edited = config.replace("listen = \"0.0.0.0:8470\"", "listen = \"127.0.0.1:0\"");
    std::fs::write(CONFIG, &edited).expect("edit the configuration");

    let (portal, url, printed) = start_as_the_unit_says();
    assert!(
        url.starts_with("https://127.0.0.1:") && url.contains("#pin=sha256:"),
        "{url}"
    );
    assert_eq!(healthz(&url), "ok");
    let announced = admin_password(&printed);
    assert!(
        logs_in(&url, "admin", &announced),
        "the announced password does not work"
    );
    let mut add = Command::new("setpriv");
    add.args([
        "--reuid",
        "tandem",
        "--regid",
        "tandem",
        "--init-groups",
        "--",
    ])
    .args(["/usr/bin/tandem-portal", "--config", CONFIG, "add-rep"])
    .args(["--user", "bob", "--name", "Bob Smith"])
    .env("TANDEM_REP_PASSWORD", "bob-password-1");
    let added = add.output().expect("add-rep");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(logs_in(&url, "bob", "bob-password-1"));
    drop(portal);

    // The upgrade keeps the database and the edited configuration.
    let mut upgrade: Vec<&str> = vec!["-i", "--force-confold"];
    upgrade.extend(current.iter().map(|p| p.to_str().expect("utf-8")));
    run("dpkg", &upgrade);
    let status =
        String::from_utf8_lossy(&run("dpkg-query", &["-W", "tandem-portal"]).stdout).into_owned();
    assert!(status.contains(version), "{status}");
    assert_eq!(std::fs::read_to_string(CONFIG).expect("config"), edited);
    let (portal, url, printed) = start_as_the_unit_says();
    assert_eq!(healthz(&url), "ok");
    assert!(
        !printed.iter().any(|l| l.contains("password")),
        "a second administrator password: {printed:?}"
    );
    assert!(
        logs_in(&url, "bob", "bob-password-1"),
        "the upgrade lost bob"
    );
    assert!(
        logs_in(&url, "admin", &announced),
        "the upgrade changed admin"
    );
    drop(portal);

    installed_app_opens_its_link(&dir);

    // Purge: nothing of the packages, their data or their user is left.
    purge_all();
    for path in LEFT_BEHIND {
        assert!(!Path::new(path).exists(), "purge left {path}");
    }
    let user = Command::new("getent")
        .args(["passwd", "tandem"])
        .output()
        .expect("getent");
    assert!(!user.status.success(), "purge left the user tandem");
    let group = Command::new("getent")
        .args(["group", "tandem"])
        .output()
        .expect("getent");
    assert!(!group.status.success(), "purge left the group tandem");
    for p in PACKAGES {
        assert!(!installed(p), "{p} still installed");
    }
}

/// The generated administrator password, printed once by the first start (the journal).
fn admin_password(printed: &[String]) -> String {
    let line = printed
        .iter()
        .find(|l| l.contains("created administrator account 'admin' with password:"))
        .unwrap_or_else(|| panic!("no generated password in {printed:?}"));
    line.rsplit(' ').next().expect("password").to_owned()
}

/// `text` as a URL query value (what the console's encodeURIComponent gives).
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// A desktop entry's command line for `link` (its `%u`), run with a desktop session's
/// environment (nothing inherited from the test).
fn desktop_command(entry_file: &str, link: &str, home: &Path, display: &str) -> Command {
    let desktop = std::fs::read_to_string(entry_file).expect("the desktop entry");
    let exec = entry(&desktop, "Exec");
    let argv: Vec<String> = exec
        .split_whitespace()
        .map(|a| {
            if a == "%u" {
                link.to_owned()
            } else {
                a.to_owned()
            }
        })
        .collect();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("DISPLAY", display)
        .env("TANDEM_WEBRTC_BIND", "127.0.0.1");
    cmd
}

/// The desktop entries, run as they say with the console's `tandem://` link (the viewer) and
/// the join page's `tandem-agent://` link (the customer app): both reach the right session.
fn installed_app_opens_its_link(dir: &TempDir) {
    let viewer_entry = "/usr/share/applications/tandem-viewer.desktop";
    let desktop = std::fs::read_to_string(viewer_entry).expect("the viewer's desktop entry");
    assert!(
        entry(&desktop, "MimeType").contains("x-scheme-handler/tandem;"),
        "{desktop}"
    );
    let desktop = std::fs::read_to_string("/usr/share/applications/tandem-agent.desktop")
        .expect("the desktop entry");
    assert!(
        entry(&desktop, "MimeType").contains("x-scheme-handler/tandem-agent"),
        "{desktop}"
    );
    let x = Xvfb::start(1024, 700);
    let portal = Portal::start(dir, &[]);
    let code = portal.create_code("Alice");
    let home = dir.path("home");
    std::fs::create_dir_all(&home).expect("home");
    // The console's "Open in viewer" link: code, portal (with its pin) and user.
    let console_link = format!(
        "tandem://join?code={}&portal={}&user=admin",
        code.code.digits(),
        query_value(&portal.url)
    );
    let mut viewer = desktop_command(viewer_entry, &console_link, &home, &x.display);
    // The representative's own settings: the link's portal is theirs, so the password from
    // the environment may go to it (a link naming another portal is refused).
    viewer
        .env("TANDEM_PORTAL", &portal.url)
        .env("TANDEM_PASSWORD", tandem_e2e::ADMIN_PASSWORD);
    let _viewer = Proc::spawn("installed viewer", viewer);
    let session = format!("session {}", spaced(&code.code.digits()));
    tandem_e2e::wait_for("the viewer waiting for the customer", T, || {
        portal
            .proc
            .stderr()
            .contains("host waiting for the customer")
            .then_some(())
    });
    let page = run(
        "curl",
        &[
            "--silent",
            "--insecure",
            code.join_url.split('#').next().unwrap_or(""),
        ],
    );
    let page = String::from_utf8_lossy(&page.stdout).into_owned();
    let link = page
        .split("data-testid=\"open-installed\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's link for an installed app")
        .replace("&amp;", "&");
    assert!(link.starts_with("tandem-agent://"), "{link}");
    let window = CustomerWindow {
        trace: dir.path("installed-window.json"),
    };
    let mut app = desktop_command(
        "/usr/share/applications/tandem-agent.desktop",
        &link,
        &home,
        &x.display,
    );
    app.env("TANDEM_UI_TRACE", &window.trace);
    let _app = Proc::spawn("installed customer app", app);
    let consent = window.wait("the consent dialog", T, |t| t["screen"] == "consent");
    let words = CustomerWindow::texts(&consent);
    assert!(
        words.contains("Administrator") && words.contains("asks to see your screen"),
        "{words}"
    );
    window.click(&x, "allow-viewing", T);
    // The viewer the console's link opened shows the session in its window.
    wait_title(
        &x,
        "the viewer connected",
        &format!("{session} — connected"),
    );
    let _ = &portal;
    window.wait("the customer told who sees the screen", T, |t| {
        CustomerWindow::texts(t).contains("sees your screen")
    });
}

/// Waits for a window whose title contains `part`.
fn wait_title(x: &Xvfb, what: &str, part: &str) {
    let deadline = std::time::Instant::now() + T;
    let mut titles = String::new();
    while std::time::Instant::now() < deadline {
        let out = x
            .command("xdotool")
            .args(["search", "--name", "Tandem", "getwindowname", "%@"])
            .output()
            .expect("xdotool");
        titles = String::from_utf8_lossy(&out.stdout).into_owned();
        if titles.lines().any(|t| t.contains(part)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no window titled '{part}' ({what}); the windows: {titles}");
}

/// "123 456 789".
fn spaced(digits: &str) -> String {
    format!("{} {} {}", &digits[0..3], &digits[3..6], &digits[6..9])
}
