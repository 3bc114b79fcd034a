//! TLS end to end with the real binaries: the portal's default self-signed certificate
//! trusted through the pin in its links, a private CA given with `--ca-file`, and the
//! refusals — a wrong pin, an expired certificate, plain HTTP on a public address.
//! (Every other end-to-end test also runs over the default pinned TLS.)

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, agent_with, binary};

const T: Duration = Duration::from_secs(30);

/// A private CA and a portal certificate for 127.0.0.1 it signed, valid or expired; files
/// in `dir`: `ca.pem`, `<name>-cert.pem`, `<name>-key.pem`.
fn private_ca(dir: &TempDir, expired: bool) -> (String, String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("leaf params");
    if expired {
        leaf.not_before = date_time_ymd(2020, 1, 1);
        leaf.not_after = date_time_ymd(2021, 1, 1);
    }
    let leaf_key = KeyPair::generate().expect("leaf key");
    let issuer = Issuer::new(ca, ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
    let name = if expired { "expired" } else { "portal" };
    let (ca_path, cert_path, key_path) = (
        dir.path("ca.pem"),
        dir.path(&format!("{name}-cert.pem")),
        dir.path(&format!("{name}-key.pem")),
    );
    std::fs::write(&ca_path, ca_cert.pem()).expect("write ca");
    std::fs::write(&cert_path, leaf_cert.pem()).expect("write cert");
    std::fs::write(&key_path, leaf_key.serialize_pem()).expect("write key");
    let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    (s(ca_path), s(cert_path), s(key_path))
}

/// A full session (code, agent, viewer connected, input reaching X) on `portal`, agent and
/// viewer given `extra` arguments (e.g. `--ca-file`).
fn full_session(portal: &Portal, extra: &[&str]) {
    let x = Xvfb::start(320, 240);
    let mut cmd = portal.viewer_command();
    cmd.args(extra)
        .args(["code", "new", "--json", "--customer", "Alice"]);
    let out = cmd.output().expect("viewer runs");
    assert!(
        out.status.success(),
        "code new: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let link = code["join_url"].as_str().expect("link").to_owned();
    assert!(link.starts_with("https://"), "{link}");
    assert!(link.contains("?t="), "links carry their token: {link}");
    let digits = code["code"].as_str().expect("code").to_owned();
    let mut cmd = portal.viewer_command();
    cmd.args(extra).args(["join", "--headless", &digits]);
    let mut viewer = tandem_e2e::Viewer {
        proc: Proc::spawn("viewer", cmd),
    };
    viewer.wait_event("waiting", T);
    let extra_os: Vec<&std::ffi::OsStr> = extra.iter().map(|a| a.as_ref()).collect();
    let _agent = agent_with(&x.display, &link, "control", &extra_os);
    viewer.wait_event("connected", T);
    viewer.move_pointer_and_check(&x, (77, 88), "input over a TLS-signalled session");
}

#[test]
fn a_session_over_the_default_self_signed_certificate_trusted_by_its_pin() {
    let dir = TempDir::new("tls-pin");
    let portal = Portal::start(&dir, &[]);
    assert!(
        portal.url.starts_with("https://") && portal.url.contains("#pin=sha256:"),
        "the portal serves TLS by default and says its pin: {}",
        portal.url
    );
    full_session(&portal, &[]);
}

#[test]
fn a_session_over_a_certificate_from_a_private_ca() {
    let dir = TempDir::new("tls-ca");
    let (ca, cert, key) = private_ca(&dir, false);
    let portal = Portal::start(&dir, &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(
        portal.url.starts_with("https://") && !portal.url.contains("#pin"),
        "a CA-signed portal needs no pin: {}",
        portal.url
    );
    full_session(&portal, &["--ca-file", &ca]);
}

/// `tandem-viewer code list` against `portal_url`; its stderr when it fails.
fn code_list_error(portal_url: &str, extra: &[&str]) -> String {
    let out = std::process::Command::new(binary("tandem-viewer"))
        .args(["--portal", portal_url, "--user", "admin"])
        .args(extra)
        .args(["code", "list"])
        .env("TANDEM_PASSWORD", tandem_e2e::ADMIN_PASSWORD)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("viewer runs");
    assert!(!out.status.success(), "must be refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_wrong_pin_an_unknown_issuer_and_an_expired_certificate_are_refused_clearly() {
    let dir = TempDir::new("tls-refuse");
    let portal = Portal::start(&dir, &[]);
    let wrong_pin = format!("https://{}#pin=sha256:{}", portal.addr(), "00".repeat(32));
    let err = code_list_error(&wrong_pin, &[]);
    assert!(err.contains("does not match the pin"), "{err}");
    // No pin, not in the system's roots: not trusted either.
    let err = code_list_error(&format!("https://{}", portal.addr()), &[]);
    assert!(err.contains("certificate"), "{err}");

    let dir = TempDir::new("tls-expired");
    let (ca, cert, key) = private_ca(&dir, true);
    let expired = Portal::start(&dir, &["--tls-cert", &cert, "--tls-key", &key]);
    let err = code_list_error(&expired.url, &["--ca-file", &ca]);
    assert!(err.contains("expired"), "{err}");
}

#[test]
fn plain_http_is_refused_on_a_public_address_unless_a_tls_proxy_is_in_front() {
    let dir = TempDir::new("tls-plain");
    let db = dir.path("portal.sqlite3");
    let out = std::process::Command::new(binary("tandem-portal"))
        .args(["--listen", "0.0.0.0:0", "--no-tls", "--db"])
        .arg(&db)
        .env("TANDEM_ADMIN_PASSWORD", tandem_e2e::ADMIN_PASSWORD)
        .output()
        .expect("portal runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to serve plain HTTP"), "{err}");
    // Loopback is fine, and so is any address behind a declared TLS proxy.
    let portal = Portal::start_in(
        None,
        &dir,
        "0.0.0.0:0",
        &["--behind-tls-proxy", "--trusted-proxy", "127.0.0.1"],
    );
    assert!(portal.url.starts_with("http://0.0.0.0:"), "{}", portal.url);
}
