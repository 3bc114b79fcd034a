//! The browser harness itself: a real headless Chromium (through tests/web/driver.mjs)
//! drives the real portal's server-rendered pages in two independent pages.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_e2e::browser::Browser;
use tandem_e2e::{Portal, TempDir};

const WAIT: Duration = Duration::from_secs(10);

/// Adds, from the test's side (the portal's pages have no scripts), a button that copies a
/// text, hides itself and updates a status line, and a select and a checkbox.
const WIDGETS: &str = r#"(() => {
  const button = document.createElement('button');
  button.dataset.testid = 'copy';
  button.textContent = 'Copy';
  const status = document.createElement('p');
  status.dataset.testid = 'status';
  status.textContent = 'idle';
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText('copied 42');
    status.textContent = 'copied to the clipboard';
    status.dataset.state = 'done';
    button.hidden = true;
    console.log('copy clicked');
  });
  const select = document.createElement('select');
  select.dataset.testid = 'pick';
  for (const v of ['one', 'two', 'three']) select.append(new Option(v.toUpperCase(), v));
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.dataset.testid = 'agree';
  document.body.append(button, status, select, box);
  return document.querySelectorAll('[data-testid]').length;
})()"#;

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 1000,
        "{} is not a PNG ({} bytes)",
        path.display(),
        bytes.len()
    );
}

#[test]
fn browser_drives_the_portal_pages() {
    let t0 = Instant::now();
    let dir = TempDir::new("browser-smoke");
    let portal = Portal::start(&dir, &[]);
    // The portal serves HTTPS with a self-signed certificate (its URL carries the pin after
    // '#'): the browser is told to accept it.
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    assert!(base.starts_with("https://"), "an HTTPS portal: {base}");
    let mut b = Browser::launch_with(true);
    let launched = t0.elapsed();
    b.new_page("alice", Some(&base));
    b.new_page("bob", Some(&base));

    // Alice types a bad code into the customer form.
    assert_eq!(b.goto("alice", &format!("{base}/")), Some(200));
    assert_eq!(
        b.attr("alice", "#code", "placeholder").as_deref(),
        Some("123 456 789")
    );
    assert_eq!(
        b.eval("alice", "document.title"),
        json!("Start a support session · Tandem remote support")
    );
    b.fill("alice", "#code", "12345");
    b.press("alice", "#code", "Enter");
    let h1 = b.wait_text("alice", "h1", "That is not a support code", WAIT);
    assert_eq!(h1, "That is not a support code");
    assert!(
        b.url("alice").ends_with("/join?code=12345"),
        "{}",
        b.url("alice")
    );
    assert_eq!(
        b.text("alice", ".error"),
        "A support code has exactly 9 digits."
    );
    // The error page offers the form again.
    b.wait_visible("alice", "#code", WAIT);

    // Bob, in a context of his own, submits a well-formed code nobody issued.
    b.goto("bob", &format!("{base}/"));
    b.fill("bob", "#code", "123 456 789");
    b.click("bob", "button[type=submit]");
    b.wait_text("bob", "h1", "Code not valid", WAIT);
    assert!(
        b.url("bob").ends_with("/join/123456789"),
        "{}",
        b.url("bob")
    );

    // Same origin, separate contexts: nothing shared.
    b.eval("alice", "localStorage.setItem('who', 'alice')");
    assert_eq!(b.eval("bob", "localStorage.getItem('who')"), json!(null));
    assert_eq!(
        b.eval("alice", "localStorage.getItem('who')"),
        json!("alice")
    );

    // Clicks, texts, attributes, the clipboard, form controls, console.
    assert_eq!(b.eval("bob", WIDGETS), json!(4));
    assert_eq!(b.count("alice", "[data-testid=copy]"), 0);
    b.wait_count("bob", "[data-testid]", 4, WAIT);
    assert_eq!(b.text("bob", "[data-testid=status]"), "idle");
    b.click("bob", "[data-testid=copy]");
    b.wait_text("bob", "[data-testid=status]", "copied", WAIT);
    b.wait_hidden("bob", "[data-testid=copy]", WAIT);
    assert_eq!(
        b.attr("bob", "[data-testid=status]", "data-state")
            .as_deref(),
        Some("done")
    );
    assert_eq!(b.attr("bob", "[data-testid=status]", "data-none"), None);
    assert_eq!(b.clipboard("bob"), "copied 42");
    b.select("bob", "[data-testid=pick]", "two");
    assert_eq!(
        b.eval("bob", "document.querySelector('[data-testid=pick]').value"),
        json!("two")
    );
    b.check("bob", "[data-testid=agree]", true);
    assert_eq!(
        b.eval(
            "bob",
            "document.querySelector('[data-testid=agree]').checked"
        ),
        json!(true)
    );
    b.check("bob", "[data-testid=agree]", false);
    assert_eq!(
        b.eval(
            "bob",
            "document.querySelector('[data-testid=agree]').checked"
        ),
        json!(false)
    );
    assert!(
        b.console("bob").iter().any(|l| l.contains("copy clicked")),
        "{:?}",
        b.console("bob")
    );
    // Promises are awaited; undefined comes back as null.
    assert_eq!(b.eval("bob", "Promise.resolve(6 * 7)"), json!(42));
    assert_eq!(b.eval("bob", "undefined"), json!(null));

    // Screenshots.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-smoke");
    let a = b.screenshot("alice", &shots.join("alice.png"), false);
    let c = b.screenshot("bob", &shots.join("bob.png"), true);
    assert_png(&a);
    assert_png(&c);

    // Failures come back with Playwright's message from the low-level call.
    let err = b
        .call(json!({"cmd": "click", "page": "alice", "selector": "#nope", "timeout_ms": 300}))
        .expect_err("clicking nothing fails");
    assert!(err.contains("Timeout 300ms exceeded"), "{err}");
    let err = b
        .call(
            json!({"cmd": "wait_count", "page": "alice", "selector": "h1", "count": 2,
                     "timeout_ms": 200}),
        )
        .expect_err("one h1");
    assert!(err.contains("last seen: 1"), "{err}");
    assert!(b.call(json!({"cmd": "no_such"})).is_err());

    b.close_page("alice");
    assert!(b.call(json!({"cmd": "console", "page": "alice"})).is_err());
    drop(b);
    eprintln!(
        "browser smoke: launched after {launched:?}, done in {:?}",
        t0.elapsed()
    );
}

/// A failing convenience call panics with the command, Playwright's message and the page's
/// console log, and the browser is still torn down while the test unwinds.
#[test]
#[should_panic(expected = "console of page \"p\"")]
fn a_failed_step_panics_with_the_console_log() {
    let mut b = Browser::launch();
    b.goto("p", "about:blank");
    b.eval("p", "console.error('the page said so')");
    b.call(json!({"cmd": "wait_visible", "page": "p", "selector": "#x", "timeout_ms": 100}))
        .expect_err("nothing to see");
    b.wait_visible("p", "[data-testid=never]", Duration::from_millis(200));
}
