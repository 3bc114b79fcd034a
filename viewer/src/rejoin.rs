//! Coming back after the portal connection drops: log in again if needed and send the join
//! message again, remembering from each `Joined` where to return (the session an invited
//! representative has a seat in, the seat token that puts a specialist back in its own seat
//! with the rights it holds, not the key's).

use std::time::{Duration, Instant};

use tandem_protocol::AttendeeId;
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};
use tandem_transport::signalling::PortalConnection;
use tokio::sync::mpsc;

use crate::session::UiEvent;

/// What it takes to join the session again on a new portal connection.
#[derive(Debug, Clone)]
pub struct Rejoin {
    /// Portal base URL.
    pub portal: String,
    /// Representative credentials and portal name (None for a specialist).
    pub login: Option<(String, String, Option<String>)>,
    /// The join message to send again (`ReturnToSession` is given the session's number
    /// once it is known, a specialist's `JoinAsSpecialist` its seat token).
    pub join: ClientMessage,
}

/// What the portal said when we joined: the session, our id and, for a specialist that took
/// a new seat, the token that gets it back into that seat.
pub(crate) type JoinedAs = (u64, AttendeeId, Option<String>);

impl Rejoin {
    /// Remembers what a `Joined` told us, so the next rejoin goes back to the same place:
    /// the session an invited representative returns to, the seat a specialist returns to
    /// (with the rights it holds then, not its key's).
    pub fn remember(&mut self, session: u64, seat: Option<String>) {
        match &mut self.join {
            ClientMessage::ReturnToSession { session: s } => *s = session,
            ClientMessage::JoinAsSpecialist { seat_token, .. } if seat.is_some() => {
                *seat_token = seat;
            }
            _ => {}
        }
    }

    /// Connects, logs in if needed and joins; returns the connection and what `Joined`
    /// said. A refusal that will not change by retrying (a cancelled key, a seat that is
    /// gone) is `Err((reason, true))`.
    async fn attempt(&self) -> Result<(PortalConnection, JoinedAs), (String, bool)> {
        let mut conn = match &self.login {
            Some((user, password, portal_name)) => {
                crate::rep::login(&self.portal, user, password, portal_name.clone())
                    .await
                    .map_err(|e| (e.to_string(), false))?
                    .0
            }
            None => {
                let client = concat!("tandem-viewer ", env!("CARGO_PKG_VERSION"));
                PortalConnection::connect(&self.portal, client)
                    .await
                    .map_err(|e| (e.to_string(), false))?
            }
        };
        conn.send(self.join.clone())
            .map_err(|e| (e.to_string(), false))?;
        loop {
            match conn.recv().await.map_err(|e| (e.to_string(), false))? {
                PortalMessage::Joined {
                    session,
                    you,
                    seat_token,
                    ..
                } => return Ok((conn, (session, you, seat_token))),
                PortalMessage::Error { kind, message } => {
                    let final_ =
                        matches!(kind, ErrorKind::CodeCancelled | ErrorKind::InvitationGone);
                    return Err((message, final_));
                }
                PortalMessage::SessionEnded { reason } => return Err((reason, false)),
                _ => {}
            }
        }
    }
}

/// Retries [`Rejoin::attempt`] with growing pauses for up to five minutes, or until the
/// portal refuses for good; `None` then.
pub(crate) async fn rejoin(
    how: &Rejoin,
    ui: &mpsc::UnboundedSender<UiEvent>,
) -> Option<(PortalConnection, JoinedAs)> {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut pause = Duration::from_millis(250);
    loop {
        match how.attempt().await {
            Ok(joined) => return Some(joined),
            Err((e, true)) => {
                tracing::info!("rejoining refused: {e}");
                let _ = ui.send(UiEvent::Error(e));
                return None;
            }
            Err((e, false)) => tracing::info!("rejoining: {e}"),
        }
        if Instant::now() + pause > deadline {
            let _ = ui.send(UiEvent::Error(
                "the portal did not come back within five minutes".into(),
            ));
            return None;
        }
        // Backoff between attempts, not a wait for a condition.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_protocol::SessionCode;

    fn specialist() -> Rejoin {
        let key: SessionCode = "123456789".parse().expect("a key");
        Rejoin {
            portal: "https://portal".into(),
            login: None,
            join: ClientMessage::JoinAsSpecialist {
                key,
                name: "Sam".into(),
                link_token: Some("t".into()),
                seat_token: None,
            },
        }
    }

    fn seat_of(r: &Rejoin) -> Option<&str> {
        match &r.join {
            ClientMessage::JoinAsSpecialist { seat_token, .. } => seat_token.as_deref(),
            other => panic!("not a specialist's join: {other:?}"),
        }
    }

    #[test]
    fn a_specialist_rejoins_with_the_seat_token_it_was_given() {
        let mut r = specialist();
        r.remember(4, Some("abc".into()));
        assert_eq!(seat_of(&r), Some("abc"));
        // Back in the seat, the portal sends no new token: the old one is kept.
        r.remember(4, None);
        assert_eq!(seat_of(&r), Some("abc"));
        assert!(matches!(
            &r.join,
            ClientMessage::JoinAsSpecialist { link_token: Some(t), name, .. } if t == "t" && name == "Sam"
        ));
    }

    #[test]
    fn an_invited_representative_returns_to_its_session() {
        let mut r = Rejoin {
            portal: "https://portal".into(),
            login: Some(("carol".into(), "pw".into(), None)),
            join: ClientMessage::ReturnToSession { session: 0 },
        };
        r.remember(7, None);
        assert_eq!(r.join, ClientMessage::ReturnToSession { session: 7 });
    }
}
