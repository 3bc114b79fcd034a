//! The host's console panel over real WebSockets: a one-use ticket from the logged-in
//! console, a connection of its own that waits for the session, then sees and acts as the
//! host (chat, specialists, ending) while the agent never hears of it.

mod common;

use common::{Client, Server, TempDir, add_rep, config, error_kind};
use tandem_protocol::Rights;
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};

async fn ticket(console: &mut Client, code: tandem_protocol::SessionCode) -> String {
    match console.request(&ClientMessage::PanelTicket { code }).await {
        PortalMessage::PanelTicket { ticket, code: c } => {
            assert_eq!(c, code);
            ticket
        }
        other => panic!("expected a ticket, got {other:?}"),
    }
}

/// The next message of `c` that is not a roster.
async fn next_non_roster(c: &mut Client) -> PortalMessage {
    loop {
        match c.recv().await {
            PortalMessage::Roster { .. } => {}
            other => return other,
        }
    }
}

#[tokio::test]
async fn a_panel_waits_for_the_session_then_acts_as_its_host() {
    let dir = TempDir::new("panel");
    let bob = add_rep(&dir, "bob", "Bob Smith").await;
    let server = Server::start(config(&dir)).await;
    let mut console = Client::admin(server.addr).await;
    let code = console.create_code("Alice").await;

    // Another representative cannot get a ticket for it.
    let mut other = Client::rep(server.addr, "bob", &bob).await;
    let refused = other
        .request(&ClientMessage::PanelTicket { code: code.code })
        .await;
    assert_eq!(error_kind(&refused), ErrorKind::CodeUnknown);

    let t = ticket(&mut console, code.code).await;
    let mut panel = Client::connect(server.addr).await;
    let waiting = panel
        .request(&ClientMessage::OpenSessionPanel { ticket: t.clone() })
        .await;
    assert_eq!(waiting, PortalMessage::PanelWaiting { code: code.code });
    // A ticket works once.
    let mut again = Client::connect(server.addr).await;
    let reused = again
        .request(&ClientMessage::OpenSessionPanel { ticket: t })
        .await;
    assert_eq!(error_kind(&reused), ErrorKind::Unauthorized);

    let mut agent = Client::connect(server.addr).await;
    let redeemed = agent.redeem(code.code, "alice@laptop").await;
    assert!(
        matches!(redeemed, PortalMessage::Redeemed { .. }),
        "{redeemed:?}"
    );
    let session = match panel.recv().await {
        PortalMessage::Joined {
            session, customer, ..
        } => {
            assert_eq!(customer, "alice@laptop");
            session
        }
        other => panic!("expected joined, got {other:?}"),
    };
    // Chat from the panel speaks as the host and reaches the customer.
    panel
        .send(&ClientMessage::Chat {
            text: "Hello Alice".into(),
            reps_only: false,
        })
        .await;
    match next_non_roster(&mut agent).await {
        PortalMessage::Chat { name, text, .. } => {
            assert_eq!(
                (name.as_str(), text.as_str()),
                ("Administrator", "Hello Alice")
            );
        }
        other => panic!("{other:?}"),
    }
    match next_non_roster(&mut panel).await {
        PortalMessage::Chat { text, .. } => assert_eq!(text, "Hello Alice"),
        other => panic!("{other:?}"),
    }
    // Host actions: a specialist invitation.
    panel
        .send(&ClientMessage::InviteSpecialist {
            rights: Rights::VIEW,
        })
        .await;
    match next_non_roster(&mut panel).await {
        PortalMessage::SpecialistInvited(inv) => assert!(inv.email.contains("alice@laptop")),
        other => panic!("{other:?}"),
    }
    // Notes for the record.
    let saved = panel
        .request(&ClientMessage::SaveNotes {
            session,
            notes: "Printer driver reinstalled".into(),
            outcome: tandem_protocol::front_desk::Outcome::Resolved,
        })
        .await;
    assert_eq!(saved, PortalMessage::NotesSaved { session });
    // Ending from the panel ends the session for the customer.
    panel
        .send(&ClientMessage::EndSession {
            reason: "done".into(),
        })
        .await;
    match next_non_roster(&mut agent).await {
        PortalMessage::SessionEnded { reason } => assert_eq!(reason, "done"),
        other => panic!("{other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn a_panel_is_no_login_and_hears_when_its_code_is_cancelled() {
    let dir = TempDir::new("panel-limits");
    let server = Server::start(config(&dir)).await;
    let mut console = Client::admin(server.addr).await;
    let code = console.create_code("Mia").await;
    let t = ticket(&mut console, code.code).await;
    let mut panel = Client::connect(server.addr).await;
    let waiting = panel
        .request(&ClientMessage::OpenSessionPanel { ticket: t })
        .await;
    assert_eq!(waiting, PortalMessage::PanelWaiting { code: code.code });
    // Codes, the desk and tickets stay closed to it: it acts only as its session's host.
    let refused = panel
        .request(&ClientMessage::CreateCode {
            customer: "Other".into(),
            portal: None,
        })
        .await;
    assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);
    let refused = panel
        .request(&ClientMessage::PanelTicket { code: code.code })
        .await;
    assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);
    // The console cancels the code: the waiting panel is told.
    let cancelled = console
        .request(&ClientMessage::CancelCode { code: code.code })
        .await;
    assert_eq!(cancelled, PortalMessage::CodeCancelled { code: code.code });
    assert_eq!(error_kind(&panel.recv().await), ErrorKind::CodeCancelled);
    server.stop().await;
}

#[tokio::test]
async fn a_panel_that_watches_takes_the_hosts_seat_once() {
    let dir = TempDir::new("panel-watch");
    let server = Server::start(config(&dir)).await;
    let mut console = Client::admin(server.addr).await;
    let code = console.create_code("Alice").await;
    let mut agent = Client::connect(server.addr).await;
    let redeemed = agent.redeem(code.code, "alice@laptop").await;
    assert!(
        matches!(redeemed, PortalMessage::Redeemed { .. }),
        "{redeemed:?}"
    );

    // A connection that is no panel cannot watch.
    let mut stranger = Client::connect(server.addr).await;
    let refused = stranger.request(&ClientMessage::WatchSession).await;
    assert_eq!(error_kind(&refused), ErrorKind::BadRequest);

    let mut panels = Vec::new();
    for _ in 0..2 {
        let t = ticket(&mut console, code.code).await;
        let mut panel = Client::connect(server.addr).await;
        panel
            .send(&ClientMessage::OpenSessionPanel { ticket: t })
            .await;
        assert!(matches!(
            next_non_roster(&mut panel).await,
            PortalMessage::Joined { .. }
        ));
        panels.push(panel);
    }
    // The first to watch becomes the host attendee: the agent hears of it (and offers a link).
    panels[0].send(&ClientMessage::WatchSession).await;
    match next_non_roster(&mut panels[0]).await {
        PortalMessage::Joined { you, .. } => assert_eq!(you, tandem_protocol::AttendeeId::HOST),
        other => panic!("expected joined, got {other:?}"),
    }
    match next_non_roster(&mut agent).await {
        PortalMessage::AttendeeJoined(info) => {
            assert_eq!(info.id, tandem_protocol::AttendeeId::HOST);
            assert_eq!(info.name, "Administrator");
        }
        other => panic!("expected the host to join, got {other:?}"),
    }
    // The seat is taken: the second panel stays a panel and is told why.
    panels[1].send(&ClientMessage::WatchSession).await;
    let taken = next_non_roster(&mut panels[1]).await;
    assert!(
        matches!(&taken, PortalMessage::Error { message, .. } if message.contains("already connected")),
        "{taken:?}"
    );
    server.stop().await;
}
