//! The front of house in a real headless Chromium against a real portal: customer portal
//! pages in every mode, the representatives' console (List View, codes, Web Chat), the
//! escalation to the customer app, and invitation mail through a real SMTP sink.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use tandem_e2e::browser::Browser;
use tandem_e2e::smtp::SmtpSink;
use tandem_e2e::{ADMIN_PASSWORD, Portal, TempDir, binary, wait_for};

const T: Duration = Duration::from_secs(20);
const T_MS: Duration = Duration::from_secs(15);

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/front-of-house");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A portal on plain HTTP (loopback) with `portals` defined: each is the `portal` command's
/// arguments after `--db`.
fn start(tag: &str, portals: &[&[&str]], extra: &[&str]) -> (TempDir, Portal, String) {
    let dir = TempDir::new(tag);
    let db = dir.path("portal.sqlite3");
    for args in portals {
        let out = Command::new(binary("tandem-portal"))
            .arg("portal")
            .arg("--db")
            .arg(&db)
            .args(*args)
            .output()
            .expect("run tandem-portal portal");
        assert!(
            out.status.success(),
            "portal {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut all = vec!["--no-tls"];
    all.extend_from_slice(extra);
    let portal = Portal::start(&dir, &all);
    let base = portal.url.split('#').next().unwrap_or_default().to_owned();
    (dir, portal, base)
}

/// Logs a representative's console in on `portal_name` in page `page`.
fn console(b: &mut Browser, base: &str, page: &str, user: &str, password: &str, portal: &str) {
    b.sign_in_console(base, page, (user, password), portal);
    b.wait_visible(page, "[data-testid=rep-name]", T_MS);
}

fn customer_page(b: &mut Browser, base: &str, page: &str, portal: &str) {
    b.new_page(page, Some(base));
    b.goto(page, &format!("{base}/p/{portal}"));
    b.wait_text(page, "[data-testid=portal-title]", "Acme", T_MS);
}

fn ask(b: &mut Browser, page: &str, name: &str) {
    b.fill(page, "[data-testid=customer-name]", name);
    b.click(page, "[data-testid=request-submit]");
    b.wait_visible(page, "[data-testid=request-state]", T_MS);
}

fn alerts(b: &mut Browser, page: &str) -> u64 {
    b.eval(page, "Number(document.body.dataset.alerts || 0)")
        .as_u64()
        .unwrap_or(0)
}

/// The request id shown in a List View row, from its `query-<id>` test id.
fn first_query(b: &mut Browser, page: &str) -> String {
    let id = b
        .eval(
            page,
            "document.querySelector('[data-testid^=query-]:not([data-testid=query-list])')?.dataset.testid ?? ''",
        )
        .as_str()
        .unwrap_or_default()
        .to_owned();
    id.trim_start_matches("query-").to_owned()
}

#[test]
fn smart_box_reaches_both_consoles_and_the_first_accept_wins() {
    let (dir, portal, base) = start(
        "foh-box",
        &[&[
            "--name",
            "acme",
            "--title",
            "Acme help",
            "--mode",
            "smart_box",
            "--chat-start",
            "web_chat",
            "--field",
            "Email:email:required",
            "--field",
            "Order number:number",
        ]],
        &[],
    );
    portal.add_rep("bob", "Bob Smith");
    let mut b = Browser::launch();
    // Nobody logged in yet: the page says so; it opens by itself when someone logs in.
    customer_page(&mut b, &base, "carol", "acme");
    b.wait_text(
        "carol",
        "[data-testid=unavailable]",
        "No one is available",
        T_MS,
    );
    b.screenshot("carol", &shots().join("nobody-online.png"), true);
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "acme");
    console(&mut b, &base, "bob", "bob", "bob-password", "acme");
    b.wait_visible("carol", "[data-testid=customer-name]", T_MS);
    b.screenshot("carol", &shots().join("smart-box-form.png"), true);
    b.fill(
        "carol",
        "[data-testid=question]",
        "My printer <b>prints</b> nothing",
    );
    // The server checks the form too: a bad email is refused with its reason.
    b.fill("carol", "[data-testid=field-0]", "carol-at-example");
    b.fill("carol", "[data-testid=customer-name]", "Carol");
    b.click("carol", "[data-testid=request-submit]");
    b.wait_visible("carol", "[data-testid=form-error]", T_MS);
    b.fill("carol", "[data-testid=field-0]", "carol@example.com");
    b.fill("carol", "[data-testid=field-1]", "4711");
    ask(&mut b, "carol", "Carol");
    for rep in ["admin", "bob"] {
        b.wait_text(rep, "[data-testid=query-list]", "Carol", T_MS);
        b.wait_text(rep, "[data-testid=query-list]", "Order number", T_MS);
        // Typed markup stays text.
        b.wait_text(rep, "[data-testid=query-list]", "<b>prints</b>", T_MS);
        wait_for("an alert", T_MS, || {
            (alerts(&mut b, rep) >= 1).then_some(())
        });
    }
    let submitted = b.eval("carol", "Number(document.body.dataset.submittedAt)");
    let alerted = b.eval("bob", "Number(document.body.dataset.lastAlertAt)");
    let ms = alerted.as_f64().unwrap_or(0.0) - submitted.as_f64().unwrap_or(0.0);
    eprintln!("customer submit → alert on the representative's screen: {ms:.0} ms");
    assert!(ms >= 0.0, "alert after submit: {ms}");
    b.screenshot("admin", &shots().join("list-view-alert.png"), true);
    b.screenshot("carol", &shots().join("smart-box-waiting.png"), true);

    let request = first_query(&mut b, "admin");
    b.click("admin", &format!("[data-testid=accept-{request}]"));
    // The other alert disappears at once.
    b.wait_count("bob", &format!("[data-testid=query-{request}]"), 0, T_MS);
    b.wait_visible("admin", &format!("[data-testid=chat-{request}]"), T_MS);
    b.wait_text(
        "carol",
        "[data-testid=request-state]",
        "Administrator",
        T_MS,
    );
    drop(portal);
    drop(dir);
}

#[test]
fn smart_match_alerts_only_the_chosen_representative() {
    let (_dir, portal, base) = start(
        "foh-match",
        &[&[
            "--name",
            "pick",
            "--title",
            "Acme experts",
            "--mode",
            "smart_match",
        ]],
        &[],
    );
    portal.add_rep("bob", "Bob Smith");
    let mut b = Browser::launch();
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "pick");
    console(&mut b, &base, "bob", "bob", "bob-password", "pick");
    customer_page(&mut b, &base, "dan", "pick");
    // Representatives by name (their handles are not their login names).
    let bob = "[data-testid^=rep-]:has-text('Bob Smith')";
    b.wait_visible("dan", bob, T_MS);
    b.wait_visible("dan", "[data-testid^=rep-]:has-text('Administrator')", T_MS);
    assert_eq!(b.count("dan", "[data-testid=rep-bob]"), 0, "no login names");
    b.screenshot("dan", &shots().join("smart-match.png"), true);
    b.fill("dan", "[data-testid=customer-name]", "Dan");
    b.click("dan", bob);
    b.click("dan", "[data-testid=request-submit]");
    b.wait_text("bob", "[data-testid=query-list]", "Dan", T_MS);
    // The other representative heard nothing: their list stayed empty all along.
    assert_eq!(alerts(&mut b, "admin"), 0);
    assert_eq!(
        b.count(
            "admin",
            "[data-testid^=query-]:not([data-testid=query-list])"
        ),
        0
    );
}

#[test]
fn queue_mode_assigns_round_robin_and_shows_positions() {
    let (_dir, portal, base) = start(
        "foh-queue",
        &[&[
            "--name",
            "line",
            "--title",
            "Acme queue",
            "--mode",
            "queue",
            "--chat-start",
            "web_chat",
        ]],
        &[],
    );
    portal.add_rep("bob", "Bob Smith");
    let mut b = Browser::launch();
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "line");
    console(&mut b, &base, "bob", "bob", "bob-password", "line");
    for (page, name) in [("c1", "First"), ("c2", "Second"), ("c3", "Third")] {
        customer_page(&mut b, &base, page, "line");
        b.fill(page, "[data-testid=question]", "Help");
        ask(&mut b, page, name);
        // One at a time, so the queue's order is the order of asking.
        b.wait_visible(page, "[data-testid=withdraw]", T_MS);
    }
    // Two representatives, one offer each: the first two customers ring, the third waits
    // first in line.
    b.wait_text("c3", "[data-testid=queue-position]", "1", T_MS);
    wait_for("one offer per representative", T_MS, || {
        let a = b.text("admin", "[data-testid=query-list]");
        let o = b.text("bob", "[data-testid=query-list]");
        let one_each = (a.contains("First") && o.contains("Second"))
            || (a.contains("Second") && o.contains("First"));
        one_each.then_some(())
    });
    b.wait_text("admin", "[data-testid=queue-length-line]", "3", T_MS);
    b.screenshot("c3", &shots().join("queue-position.png"), true);
    b.screenshot("bob", &shots().join("queue-console.png"), true);
    // Whoever has "First" accepts; the third customer is offered to them next (their turn
    // comes after the other representative's), and no longer waits in line.
    let first_at = if b
        .text("admin", "[data-testid=query-list]")
        .contains("First")
    {
        "admin"
    } else {
        "bob"
    };
    let request = first_query(&mut b, first_at);
    b.click(first_at, &format!("[data-testid=accept-{request}]"));
    b.wait_text(first_at, "[data-testid=query-list]", "Third", T_MS);
    b.wait_hidden("c3", "[data-testid=queue-position]", T_MS);
}

#[test]
fn smart_pin_and_the_global_page_take_the_right_codes() {
    let (_dir, portal, base) = start(
        "foh-pin",
        &[&[
            "--name",
            "phone",
            "--title",
            "Acme phone support",
            "--mode",
            "smart_pin",
        ]],
        &[],
    );
    let mut b = Browser::launch();
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "phone");
    b.fill("admin", "[data-testid=code-customer]", "Erin");
    b.click("admin", "[data-testid=code-create]");
    b.wait_count("admin", "[data-testid=code-row]", 1, T_MS);
    let code = b
        .attr("admin", "[data-testid=code-row]", "data-code")
        .expect("a code");
    // A code of another portal, made the way the native tools make it.
    let other = portal.create_code("Frank").code.digits();
    customer_page(&mut b, &base, "erin", "phone");
    b.screenshot("erin", &shots().join("smart-pin.png"), true);
    b.fill("erin", "[data-testid=code-input]", &other);
    b.click("erin", "[data-testid=code-submit]");
    b.wait_text("erin", "h1", "does not work here", T_MS);
    b.goto("erin", &format!("{base}/p/phone"));
    b.fill("erin", "[data-testid=code-input]", "123");
    b.click("erin", "[data-testid=code-submit]");
    b.wait_visible("erin", "[data-testid=form-error]", T_MS);
    b.fill("erin", "[data-testid=code-input]", &code);
    b.click("erin", "[data-testid=code-submit]");
    b.wait_text("erin", "h1", "Remote support with", T_MS);
    // The global page takes a code from any portal.
    b.goto("erin", &format!("{base}/"));
    b.fill("erin", "#code", &other);
    b.click("erin", "button[type=submit]");
    b.wait_text("erin", "h1", "Remote support with", T_MS);
    b.goto("erin", &format!("{base}/"));
    b.fill("erin", "#code", "000000001");
    b.click("erin", "button[type=submit]");
    b.wait_text("erin", "h1", "not valid", T_MS);
    // No such portal: a clear page.
    b.goto("erin", &format!("{base}/p/nowhere"));
    b.wait_visible("erin", "[data-testid=no-portal]", T_MS);
    b.screenshot("erin", &shots().join("no-portal.png"), true);
}

#[test]
fn code_management_counts_down_copies_and_mails() {
    let sink = SmtpSink::start();
    let smtp = sink.addr.to_string();
    let (host, port) = smtp.rsplit_once(':').expect("host:port");
    let (_dir, _portal, base) = start(
        "foh-codes",
        &[],
        &[
            "--smtp-host",
            host,
            "--smtp-port",
            port,
            "--smtp-security",
            "none",
            "--mail-from",
            "Tandem Support <support@example.com>",
        ],
    );
    let mut b = Browser::launch();
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "default");
    b.fill("admin", "[data-testid=code-customer]", "Grace");
    b.click("admin", "[data-testid=code-create]");
    b.wait_count("admin", "[data-testid=code-row]", 1, T_MS);
    let code = b
        .attr("admin", "[data-testid=code-row]", "data-code")
        .expect("a code");
    let seconds = |text: &str| -> u64 {
        let (m, s) = text.trim().split_once(':').expect("m:ss");
        m.parse::<u64>().expect("minutes") * 60 + s.parse::<u64>().expect("seconds")
    };
    let first = seconds(&b.text("admin", "[data-testid=countdown]"));
    let started = Instant::now();
    let later = wait_for("the countdown to move", T_MS, || {
        let now = seconds(&b.text("admin", "[data-testid=countdown]"));
        (now < first).then_some(now)
    });
    assert!(first <= 600 && later < first, "{first} then {later}");
    assert!(started.elapsed() < Duration::from_secs(5));
    b.click("admin", "[data-testid=copy-url]");
    let url = b.clipboard("admin");
    assert!(url.contains(&format!("/join/{code}")), "{url}");
    b.click("admin", "[data-testid=copy-text]");
    let text = b.clipboard("admin");
    assert!(text.starts_with("Dear Grace"), "{text}");
    assert!(text.contains(&code), "{text}");
    b.fill("admin", "[data-testid=email-to]", "grace@example.com");
    b.click("admin", "[data-testid=email-send]");
    b.wait_text(
        "admin",
        "[data-testid=code-status]",
        "grace@example.com",
        T_MS,
    );
    let mail = sink.wait_for_mail(1, T);
    assert!(
        mail.to.iter().any(|t| t.contains("grace@example.com")),
        "{mail:?}"
    );
    assert!(
        mail.text().contains(&format!("/join/{code}")),
        "{}",
        mail.text()
    );
    b.screenshot("admin", &shots().join("code-management.png"), true);
}

#[test]
fn web_chat_escalates_to_the_customer_app_and_the_viewer_shows_the_screen() {
    let x = tandem_e2e::x::Xvfb::start(800, 600);
    x.set_background("#3366aa");
    let (dir, portal, base) = start(
        "foh-chat",
        &[&[
            "--name",
            "chat",
            "--title",
            "Acme chat",
            "--mode",
            "smart_button",
            "--chat-start",
            "web_chat",
        ]],
        &[],
    );
    let mut b = Browser::launch();
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "chat");
    customer_page(&mut b, &base, "hana", "chat");
    ask(&mut b, "hana", "Hana");
    b.wait_text("admin", "[data-testid=query-list]", "Hana", T_MS);
    let request = first_query(&mut b, "admin");
    b.click("admin", &format!("[data-testid=accept-{request}]"));
    let pane = format!("[data-testid=chat-{request}]");
    b.wait_visible("admin", &pane, T_MS);
    b.wait_visible("hana", "[data-testid=chat-input]", T_MS);
    // Both ways.
    b.fill("hana", "[data-testid=chat-input]", "My screen is all blue");
    b.click("hana", "[data-testid=chat-send]");
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=chat-log]"),
        "all blue",
        T_MS,
    );
    b.fill(
        "admin",
        &format!("{pane} [data-testid=chat-input]"),
        "Let me have a look",
    );
    b.click("admin", &format!("{pane} [data-testid=chat-send]"));
    b.wait_text("hana", "[data-testid=chat-log]", "Let me have a look", T_MS);
    b.screenshot("admin", &shots().join("session-pane-chat.png"), true);

    // Escalation: the page guides the customer to the customer app; the chat stays.
    b.click("admin", &format!("{pane} [data-testid=escalate]"));
    b.wait_visible("hana", "[data-testid=app-needed]", T_MS);
    let join_url = b
        .attr("hana", "[data-testid=app-link]", "href")
        .expect("a link to the customer app");
    let code = b.text("admin", &format!("{pane} [data-testid=taken-code]"));
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    assert!(
        join_url.contains(&format!("/join/{code}")),
        "{join_url} / {code}"
    );
    b.screenshot("hana", &shots().join("web-chat-app-needed.png"), true);

    let mut viewer = portal.headless_viewer(&code);
    viewer.wait_event("waiting", T);
    let _agent = tandem_e2e::agent(&x.display, &join_url, "view");
    viewer.wait_event("connected", T);
    b.wait_text("hana", "[data-testid=request-state]", "shared", T_MS);
    // The representative's viewer shows the customer's screen.
    let (w, h, pixels) = wait_for("the customer's screen in the viewer", T, || {
        let (w, h, px) = viewer.screenshot(&dir);
        // RGB pixels; most of the screen is the background colour X shows.
        let blue = px
            .chunks(3)
            .filter(|p| p[0] == 0x33 && p[1] == 0x66 && p[2] == 0xaa)
            .count();
        (w == 800 && h == 600 && blue > px.len() / 3 / 2).then_some((w, h, px))
    });
    assert_eq!(pixels.len(), (w * h * 3) as usize);
    // The chat goes on in the same page.
    b.fill("hana", "[data-testid=chat-input]", "I see you now");
    b.click("hana", "[data-testid=chat-send]");
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=chat-log]"),
        "I see you now",
        T_MS,
    );
}

#[test]
fn the_session_panel_chats_invites_a_specialist_removes_and_ends() {
    let x = tandem_e2e::x::Xvfb::start(640, 480);
    let (_dir, portal, base) = start("foh-panel", &[], &[]);
    let mut b = Browser::launch();
    console(&mut b, &base, "admin", "admin", ADMIN_PASSWORD, "default");
    b.fill("admin", "[data-testid=code-customer]", "Kim");
    b.click("admin", "[data-testid=code-create]");
    b.wait_count("admin", "[data-testid=code-row]", 1, T_MS);
    let code = b
        .attr("admin", "[data-testid=code-row]", "data-code")
        .expect("a code");
    b.click("admin", "[data-testid=copy-url]");
    let join_url = b.clipboard("admin");
    b.click("admin", "[data-testid=open-session]");
    let pane = format!("[data-testid=session-{code}]");
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=session-status]"),
        "Waiting",
        T_MS,
    );

    // The representative watches in the viewer; the customer app joins; the panel follows
    // (it is not an attendee: the agent sets up no link for it). The customer app takes chat
    // only from people it was told about and allowed, so the host's viewer is there.
    let mut viewer = portal.headless_viewer(&code);
    viewer.wait_event("waiting", T);
    let mut agent = tandem_e2e::agent(&x.display, &join_url, "view");
    viewer.wait_event("connected", T);
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=session-status]"),
        "connected",
        T,
    );
    // The native viewer holds the host's seat: watching here too is refused, and the pane
    // offers it again.
    b.click("admin", &format!("{pane} [data-testid=watch-screen]"));
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=session-error]"),
        "already connected from another window",
        T_MS,
    );
    b.wait_visible("admin", &format!("{pane} [data-testid=watch-screen]"), T_MS);
    b.fill(
        "admin",
        &format!("{pane} [data-testid=session-chat-input]"),
        "Hello Kim, this is support",
    );
    b.click("admin", &format!("{pane} [data-testid=session-chat-send]"));
    agent.wait_line("the chat line at the customer", T, |l| {
        l.contains("Hello Kim, this is support")
    });

    // An external specialist: invitation, join, shown with rights, removed.
    b.click("admin", &format!("{pane} [data-testid=invite-specialist]"));
    b.wait_visible("admin", &format!("{pane} [data-testid^=specialist-]"), T_MS);
    let link = b.text("admin", &format!("{pane} [data-testid=specialist-link]"));
    let mut sam = portal.specialist(link.trim(), "Sam Specialist");
    sam.wait_event("joined", T);
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=attendees]"),
        "Sam Specialist",
        T_MS,
    );
    b.screenshot("admin", &shots().join("session-panel.png"), true);
    let id = b
        .eval(
            "admin",
            "document.querySelector('[data-testid^=remove-]')?.dataset.testid ?? ''",
        )
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("remove-")
        .to_owned();
    assert!(!id.is_empty(), "a remove button for the specialist");
    b.click("admin", &format!("{pane} [data-testid=remove-{id}]"));
    sam.wait_event("ended", T);
    wait_for("the specialist gone from the panel", T_MS, || {
        (!b.text("admin", &format!("{pane} [data-testid=attendees]"))
            .contains("Sam"))
        .then_some(())
    });

    // Notes for the record, then the end of the session from the console.
    b.fill(
        "admin",
        &format!("{pane} [data-testid=session-notes]"),
        "Printer fixed",
    );
    b.click("admin", &format!("{pane} [data-testid=save-notes]"));
    b.wait_text(
        "admin",
        &format!("{pane} [data-testid=notes-status]"),
        "saved",
        T_MS,
    );
    b.click("admin", &format!("{pane} [data-testid=end-session]"));
    viewer.wait_event("ended", T);
    assert!(
        agent.wait_exit(T).is_some(),
        "the customer app ends with the session"
    );
}
