//! The customer pages and the `tandem-portal` binary.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{Client, Server, TempDir, config, http_get, http_get_bytes};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

#[tokio::test]
async fn join_page_shows_the_command_and_escapes_names() {
    let dir = TempDir::new("page");
    let server = Server::start(config(&dir)).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("<script>alert(1)</script> & Co").await;
    let (status, head, body) =
        http_get(server.addr, &format!("/join/{}", info.code.digits())).await;
    assert_eq!(status, 200, "{body}");
    let command = format!(
        "tandem-agent --join &#39;{}/join/{}?t=",
        server.base_url(),
        info.code.digits()
    );
    assert!(body.contains(&command), "{body}");
    assert!(body.contains("Administrator"));
    assert!(body.contains(&info.code.digits()));
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
        "{body}"
    );
    assert!(!body.contains("<script>"), "{body}");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    assert!(head.contains("referrer-policy: no-referrer"));

    // Used, cancelled and unknown codes get clear error pages.
    let mut agent = Client::connect(server.addr).await;
    agent.redeem(info.code, "alice@pc").await;
    let (status, _, body) = http_get(server.addr, &format!("/join/{}", info.code.digits())).await;
    assert_eq!(status, 410);
    assert!(body.contains("this code was already used"), "{body}");
    assert!(!body.contains("tandem-agent --join"));
    let (status, _, body) = http_get(server.addr, "/join/000000000").await;
    assert_eq!(status, 404);
    assert!(body.contains("this code is not valid"), "{body}");
    let (status, _, _) = http_get(server.addr, "/join/12345").await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn index_form_redirect_and_health() {
    let dir = TempDir::new("index");
    let server = Server::start(config(&dir)).await;
    let (status, _, body) = http_get(server.addr, "/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<form action=\"/join\" method=\"get\">"),
        "{body}"
    );
    assert!(body.contains("name=\"code\""));
    let (status, head, _) = http_get(server.addr, "/join?code=012+345-678").await;
    assert_eq!(status, 303, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("location: /join/012345678"),
        "{head}"
    );
    let (status, _, body) = http_get(server.addr, "/join?code=12ab").await;
    assert_eq!(status, 400);
    assert!(body.contains("9 digits"));
    let (status, _, body) = http_get(server.addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    server.stop().await;
}

#[tokio::test]
async fn public_url_is_used_for_links() {
    let dir = TempDir::new("public-url");
    let cfg = tandem_portal::Config {
        public_url: Some("https://help.example.com/".into()),
        ..config(&dir)
    };
    let server = Server::start(cfg).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    assert!(
        info.join_url.starts_with(&format!(
            "https://help.example.com/join/{}?t=",
            info.code.digits()
        )),
        "{}",
        info.join_url
    );
    server.stop().await;
}

fn portal_command(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem-portal"));
    for var in [
        "TANDEM_LISTEN",
        "TANDEM_DB",
        "TANDEM_PUBLIC_URL",
        "TANDEM_CODE_TTL_SECS",
        "TANDEM_MAX_ACTIVE_CODES",
        "TANDEM_ADMIN_PASSWORD",
        "TANDEM_REP_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .kill_on_drop(true);
    cmd
}

struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn spawn(dir: &TempDir) -> Running {
        let mut cmd = portal_command(dir);
        cmd.args(["--listen", "127.0.0.1:0", "--no-tls", "--db"])
            .arg(dir.db());
        Running::spawn_command(cmd)
    }

    fn spawn_command(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        Running {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(common::STEP, self.lines.next_line())
            .await
            .expect("a line in time")
            .expect("stdout readable")
            .expect("the portal printed another line")
    }

    /// Reads lines up to the listening line; returns (lines before it, address).
    async fn until_listening(&mut self) -> (Vec<String>, std::net::SocketAddr) {
        let mut before = Vec::new();
        loop {
            let line = self.line().await;
            if let Some(addr) = line.strip_prefix("tandem-portal listening on http://") {
                return (before, addr.parse().expect("a socket address"));
            }
            before.push(line);
        }
    }

    #[cfg(unix)]
    /// Stops the portal with SIGTERM (a process this test started) and checks it exits 0.
    async fn terminate(mut self) {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = tokio::time::timeout(common::STEP, self.child.wait())
            .await
            .expect("portal exits in time")
            .expect("exit status");
        assert!(exit.success(), "{exit:?}");
    }
}

#[cfg(unix)] // stops the portal with SIGTERM via `kill`
#[tokio::test]
async fn binary_generates_the_admin_once_and_adds_representatives() {
    let dir = TempDir::new("binary");
    let mut portal = Running::spawn(&dir);
    let (before, addr) = portal.until_listening().await;
    let password = before
        .iter()
        .find_map(|l| l.strip_prefix("created administrator account 'admin' with password: "))
        .unwrap_or_else(|| panic!("no admin line in {before:?}"))
        .to_owned();
    assert!(password.len() >= 16, "{password}");
    assert_eq!(before.len(), 2, "admin line plus one hint line: {before:?}");
    Client::rep(addr, "admin", &password).await.close().await;
    portal.terminate().await;

    let added = portal_command(&dir)
        .args(["add-rep", "--user", "bob", "--name", "Bob Builder", "--db"])
        .arg(dir.db())
        .env("TANDEM_REP_PASSWORD", "bob's long password")
        .output()
        .await
        .expect("add-rep runs");
    assert!(added.status.success(), "{added:?}");
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "added representative 'bob' (Bob Builder)\n"
    );
    let again = portal_command(&dir)
        .args(["add-rep", "--user", "bob", "--name", "Bob", "--db"])
        .arg(dir.db())
        .env("TANDEM_REP_PASSWORD", "another long password")
        .output()
        .await
        .expect("add-rep runs");
    assert!(!again.status.success(), "a second 'bob' must be refused");

    let mut portal = Running::spawn(&dir);
    let (before, addr) = portal.until_listening().await;
    assert!(before.is_empty(), "admin must not be recreated: {before:?}");
    Client::rep(addr, "admin", &password).await.close().await;
    let mut bob = Client::rep(addr, "bob", "bob's long password").await;
    let code = bob.create_code("Alice").await;
    assert!(code.invitation.contains("with Bob Builder:"));
    bob.close().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    portal.terminate().await;
}

/// The customer app's download: the build and a stamp naming the code's join link, only for an
/// active code with its link token; never a stamped build twice over.
#[tokio::test]
async fn downloads_are_the_build_stamped_with_the_join_link_for_active_codes_only() {
    use tandem_protocol::stamp;
    let dir = TempDir::new("download");
    let builds = dir.db().with_file_name("downloads");
    std::fs::create_dir_all(&builds).expect("downloads");
    let build = b"\x7fELF a customer app build".to_vec();
    std::fs::write(builds.join("tandem-agent-linux-x86_64"), &build).expect("build");
    let mut cfg = config(&dir);
    cfg.downloads_dir = Some(builds.clone());
    let server = Server::start(cfg).await;
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let digits = info.code.digits();
    let token = info.join_url.split("?t=").nth(1).expect("a link token");
    let path = |platform: &str, t: &str| format!("/join/{digits}/download/{platform}?t={t}");

    let (status, head, body) = http_get_bytes(server.addr, &path("linux-x86_64", token)).await;
    assert_eq!(status, 200, "{head}");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/octet-stream"),
        "{head}"
    );
    assert!(
        head.contains(&format!("attachment; filename=\"tandem-support-{digits}\"")),
        "{head}"
    );
    assert_eq!(&body[..build.len()], &build[..]);
    let stamped = stamp::read_tail(&body).expect("sealed").expect("stamped");
    assert_eq!(stamped.join, info.join_url);

    // The page offers it (the test's client names no system: told so plainly instead).
    let (_, _, page) = http_get(server.addr, &format!("/join/{digits}")).await;
    assert!(page.contains("no support app for this computer"), "{page}");
    assert!(page.contains("tandem-agent:http://"), "{page}");

    // A wrong or missing token, another platform, a malformed code: nothing.
    for bad in [
        path("linux-x86_64", "00112233445566778899aabbccddeeff"),
        format!("/join/{digits}/download/linux-x86_64"),
        path("windows-x86_64", token),
        path("..%2f..%2fetc", token),
        format!("/join/12345/download/linux-x86_64?t={token}"),
    ] {
        let (status, _, body) = http_get(server.addr, &bad).await;
        assert_eq!(status, 404, "{bad}: {body}");
    }

    // A build that is itself stamped is refused (it would carry a stale link).
    let mut twice = build.clone();
    let elsewhere = stamp::Stamp {
        join: "https://elsewhere/join/1".into(),
    };
    twice.extend_from_slice(&stamp::append(&elsewhere).expect("short link"));
    std::fs::write(builds.join("tandem-agent-linux-x86_64"), &twice).expect("build");
    let (status, _, body) = http_get(server.addr, &path("linux-x86_64", token)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no support app for Linux"), "{body}");
    std::fs::write(builds.join("tandem-agent-linux-x86_64"), &build).expect("build");

    // Once the code is used, the download is gone too.
    let mut agent = Client::connect(server.addr).await;
    agent.redeem(info.code, "alice@pc").await;
    let (status, _, body) = http_get(server.addr, &path("linux-x86_64", token)).await;
    assert_eq!(status, 410, "{body}");
    assert!(body.contains("used, cancelled or has expired"), "{body}");
    server.stop().await;
}

/// `--config portal.toml`: the file's keys are the flags; the command line wins over it; an
/// unknown key stops the portal naming it. `set-password` reads the password from stdin.
#[cfg(unix)]
#[tokio::test]
async fn the_settings_file_is_the_flags_and_set_password_replaces_a_password() {
    use tokio::io::AsyncWriteExt;
    let dir = TempDir::new("settings");
    let file = dir.db().with_file_name("portal.toml");
    let db = dir.db().to_string_lossy().into_owned();
    std::fs::write(
        &file,
        format!(
            "# what an administrator writes\nlisten = \"192.0.2.1:9\"\ndb = \"{db}\"\n\
             no-tls = true\ncode-ttl-secs = 42\nadmin-password = \"first long password\"\n"
        ),
    )
    .expect("settings file");
    let mut cmd = portal_command(&dir);
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0"]);
    let mut portal = Running::spawn_command(cmd);
    let (_, addr) = portal.until_listening().await;
    let mut admin = Client::rep(addr, "admin", "first long password").await;
    let code = admin.create_code("Alice").await;
    assert!(
        code.expires_in_secs <= 42,
        "the file's code-ttl-secs: {code:?}"
    );
    admin.close().await;
    portal.terminate().await;

    let mut set = portal_command(&dir)
        .arg("--config")
        .arg(&file)
        .args(["set-password", "--user", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("set-password runs");
    let mut stdin = set.stdin.take().expect("stdin");
    stdin
        .write_all(b"second long password\n")
        .await
        .expect("write");
    drop(stdin);
    let out = set.wait_with_output().await.expect("set-password ends");
    assert!(out.status.success(), "{out:?}");
    let nobody = portal_command(&dir)
        .arg("--config")
        .arg(&file)
        .args(["set-password", "--user", "nobody"])
        .env("TANDEM_REP_PASSWORD", "a long password here")
        .output()
        .await
        .expect("runs");
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no account 'nobody'"));

    let mut cmd = portal_command(&dir);
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0"]);
    let mut portal = Running::spawn_command(cmd);
    let (_, addr) = portal.until_listening().await;
    Client::rep(addr, "admin", "second long password")
        .await
        .close()
        .await;
    portal.terminate().await;

    std::fs::write(&file, "lissen = \"127.0.0.1:0\"\n").expect("settings file");
    let wrong = portal_command(&dir)
        .arg("--config")
        .arg(&file)
        .output()
        .await
        .expect("runs");
    assert_eq!(wrong.status.code(), Some(2));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("unknown key 'lissen'") && said.contains("portal.toml"),
        "{said}"
    );
}
