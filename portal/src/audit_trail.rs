//! The audit trail's shell: one task appends events to the database in the order they were
//! handed over (see [`crate::audit`] for the chain), and writes the chain's new head to the
//! log after each, so the journal keeps a copy of the head outside the database.

use tokio::sync::mpsc;

use crate::audit::{Event, Record};
use crate::storage::{Storage, StorageError, unix_now};
use crate::{App, Error};

/// Events waiting to be written, at most: a flood (of failed logins, say) is also held by
/// the attempt limits long before it gets here.
const QUEUE: usize = 10_000;

/// Hands events to the writer task.
#[derive(Debug, Clone)]
pub(crate) struct AuditLog {
    events: mpsc::Sender<Event>,
}

impl AuditLog {
    /// Starts the writer; it stops when the last `AuditLog` is dropped and the queue is empty.
    /// Await the handle before the process exits, so that queued events are written.
    pub(crate) fn start(storage: Storage) -> (AuditLog, tokio::task::JoinHandle<()>) {
        let (events, mut rx) = mpsc::channel::<Event>(QUEUE);
        let writer = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let action = event.action.clone();
                match storage.call(move |b| b.append_audit(&event)).await {
                    Ok(record) => log_head(&record),
                    Err(e) => {
                        tracing::error!(%action, error = %e, "could not write an audit record")
                    }
                }
            }
        });
        (AuditLog { events }, writer)
    }

    /// Queues `event` (never waits: called from the connections' handlers).
    pub(crate) fn record(&self, event: Event) {
        if let Err(e) = self.events.try_send(event) {
            tracing::error!(error = %e, "audit trail queue full or closed: an event was not recorded");
        }
    }
}

/// The log target of the head lines: always on (see [`crate::log_filter`]).
pub const HEAD_TARGET: &str = "tandem_portal::audit";

fn log_head(record: &Record) {
    tracing::info!(
        target: HEAD_TARGET,
        action = %record.event.action,
        head = %record.head(),
        "audit"
    );
}

impl App {
    /// Records a security event now: `actor` did `action` to `subject`.
    pub(crate) fn audit(&self, actor: &str, action: &str, subject: &str, detail: &str) {
        self.audit_log
            .record(Event::new(unix_now(), actor, action, subject, detail));
    }
}

/// Appends `event` to the trail of `storage` at once (for the command line's account changes).
pub(crate) async fn append_now(storage: &Storage, event: Event) -> Result<Record, StorageError> {
    let record = storage.call(move |b| b.append_audit(&event)).await?;
    log_head(&record);
    Ok(record)
}

/// The whole audit trail of the database at `db_path`, in the order written. A missing file
/// is an error (opening would make an empty database that "verifies").
pub async fn records_in(db_path: &std::path::Path) -> Result<Vec<Record>, Error> {
    if !db_path.is_file() {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("there is no database at {}", db_path.display()),
        )));
    }
    let storage = Storage::open_sqlite(db_path).await?;
    Ok(storage.call(|b| b.audit_records()).await?)
}
