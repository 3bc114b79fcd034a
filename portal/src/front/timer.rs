//! The desk's clock and pen: the one task that moves queue offers on when they time out and
//! records the requests that ended (the desk itself does no IO and has no clock).

use std::time::Instant;

use super::Desk;

/// Calls [`Desk::handle_timeout`] when the router's next deadline comes, and records the
/// requests that ended, until shutdown. (The desk itself has no clock and does no IO; this
/// task is its clock and its pen.)
pub fn spawn_timer(
    desk: std::sync::Arc<Desk>,
    storage: crate::storage::Storage,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            let finished = desk.take_finished();
            if !finished.is_empty() {
                let at = crate::storage::unix_now();
                let stored = storage
                    .call(move |b| {
                        for (row, why) in finished {
                            let end = crate::storage::RequestEnd {
                                reason: why,
                                notes: String::new(),
                                outcome: None,
                            };
                            b.end_request(row, &end, at)?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = stored {
                    tracing::error!(error = %e, "could not record ended help requests");
                }
            }
            let next = desk.next_timeout();
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = sleep => desk.handle_timeout(Instant::now()),
                () = desk.wake.notified() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
        }
    });
}
