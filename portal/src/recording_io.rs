//! The recording's connections: the agent's upload, written to the session's file, and a
//! console's one-use download. Part of `crate::recording`.

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

use super::{
    Attached, CHAT_KIND, LINK_KIND, MAGIC, MAX_MESSAGE, RECORD_HEADER, RecordingOp, RecordingRow,
    encode_record, kind_of,
};
use crate::App;
use crate::server::ConnHandle;

/// Who the audit trail says did it.
const ACTOR: &str = "customer app";
/// How often the file is flushed and its stored size and duration catch up while recording
/// (a killed portal loses at most this much of the recording).
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// The close reasons the agent reads: a recording at its limit is not asked for again.
pub const CLOSED_FULL: &str = "full";
/// The recording could not be written.
pub const CLOSED_FAILED: &str = "failed";

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `GET /record/<token>`: the agent of a session whose customer allowed recording.
pub(crate) async fn upload(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    handle: Option<Extension<ConnHandle>>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(session) = app.recordings.claim_upload(&token, Instant::now()) else {
        tracing::info!("recording refused: unknown, used or expired token");
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    // A valid one-use token is as good as a login: this connection is the session's agent.
    if let Some(Extension(h)) = &handle {
        h.identify();
    }
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            let _slot = handle;
            record(app, session, socket).await;
        })
}

/// The file being written, with its time zero and limit.
struct Writer {
    file: BufWriter<tokio::fs::File>,
    started_ms: i64,
    bytes: u64,
    last_ms: u64,
    max_bytes: u64,
}

/// Why a recording stopped.
enum Stop {
    /// The agent closed it (the session ended, or the machine restarts).
    Closed,
    /// The portal shuts down.
    Shutdown,
    /// It reached the portal's size limit.
    Full,
    /// Writing failed (a full disk…).
    Failed(std::io::Error),
    /// A newer upload of the same session took over.
    Superseded,
}

impl Writer {
    /// Writes one record stamped now; `Ok(false)` when it would pass the size limit.
    async fn write(&mut self, kind: u8, payload: &[u8]) -> std::io::Result<bool> {
        let elapsed = u64::try_from(unix_ms() - self.started_ms).unwrap_or(0);
        let ms = elapsed.max(self.last_ms);
        let record = encode_record(u32::try_from(ms).unwrap_or(u32::MAX), kind, payload);
        if self.bytes + record.len() as u64 > self.max_bytes {
            return Ok(false);
        }
        self.file.write_all(&record).await?;
        self.bytes += record.len() as u64;
        self.last_ms = ms;
        Ok(true)
    }
}

/// Opens (or reopens, after the agent came back) the session's file for appending: the
/// folder and file readable by the portal's user alone (they hold customers' screens), and
/// a record torn by a killed portal or a full disk cut off first, so what follows parses.
async fn open(dir: &FsPath, row: &RecordingRow, max_bytes: u64) -> std::io::Result<Writer> {
    let (dir, path) = (dir.to_owned(), dir.join(&row.file));
    let (file, bytes) = tokio::task::spawn_blocking(move || open_private(&dir, &path))
        .await
        .map_err(std::io::Error::other)??;
    let mut file = tokio::fs::File::from_std(file);
    let mut bytes = bytes;
    if bytes == 0 {
        file.write_all(MAGIC).await?;
        bytes = MAGIC.len() as u64;
    }
    Ok(Writer {
        file: BufWriter::with_capacity(64 * 1024, file),
        started_ms: row.started_ms,
        bytes,
        last_ms: row.duration_ms,
        max_bytes,
    })
}

fn open_private(dir: &FsPath, path: &FsPath) -> std::io::Result<(std::fs::File, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    let len = file.metadata()?.len();
    if len < MAGIC.len() as u64 {
        // Empty, or not even the magic was written whole: start afresh.
        file.set_len(0)?;
        return Ok((file, 0));
    }
    // Walk the record headers; keep everything up to the last whole record.
    let mut whole = MAGIC.len() as u64;
    let mut header = [0u8; RECORD_HEADER];
    file.seek(SeekFrom::Start(whole))?;
    while whole + RECORD_HEADER as u64 <= len {
        file.read_exact(&mut header)?;
        let payload = u64::from(u32::from_le_bytes([
            header[5], header[6], header[7], header[8],
        ]));
        let end = whole + RECORD_HEADER as u64 + payload;
        if end > len {
            break;
        }
        whole = end;
        file.seek(SeekFrom::Start(whole))?;
    }
    if whole < len {
        tracing::warn!(
            cut = len - whole,
            "a torn record at the end of a recording was cut off"
        );
        file.set_len(whole)?;
    }
    Ok((file, whole))
}

async fn record(app: Arc<App>, session: u64, socket: WebSocket) {
    let subject = format!("session {session}");
    let now_ms = unix_ms();
    let begun = app
        .storage
        .call(move |b| b.recording(&RecordingOp::Begin { session, now_ms }))
        .await;
    let row = match begun {
        Ok(Ok(Some(row))) => row,
        Ok(Ok(None) | Err(_)) => return tracing::error!(session, "no recording row was made"),
        Err(e) => return tracing::error!(session, "cannot start the recording: {e}"),
    };
    let dir = app.config.recordings_dir();
    let mut w = match open(&dir, &row, app.config.recording_max_bytes).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(
                session,
                "cannot write the recording in {}: {e}",
                dir.display()
            );
            app.audit(ACTOR, "recording.failed", &subject, &e.to_string());
            let mut socket = socket;
            let _ = socket
                .send(Message::Close(Some(close_frame(CLOSED_FAILED))))
                .await;
            crate::ws::end_if_required(&app, session, REQUIRED_STOPPED).await;
            return;
        }
    };
    let (mut tx, mut rx) = socket.split();
    if tx.send(Message::text("paired")).await.is_err() {
        return;
    }
    let again = if w.bytes > MAGIC.len() as u64 {
        format!("goes on after {} bytes", w.bytes)
    } else {
        "started".to_owned()
    };
    tracing::info!(session, "recording {again}");
    app.audit(ACTOR, "recording.start", &subject, &again);
    let Attached {
        generation,
        mut chat,
        mut superseded,
    } = app.recordings.attach(session);
    let mut shutdown = app.shutdown.clone();
    let mut progress = tokio::time::interval(PROGRESS_EVERY);
    // Where this upload's stream starts: the replay starts its picture afresh here.
    let stop = match w.write(LINK_KIND, &[]).await {
        Err(e) => Stop::Failed(e),
        Ok(false) => Stop::Full,
        Ok(true) => loop {
            let written = tokio::select! {
                msg = rx.next() => match msg {
                    Some(Ok(Message::Binary(data))) => match kind_of(&data) {
                        Some((kind, payload)) => w.write(kind, payload).await,
                        None => Ok(true),
                    },
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break Stop::Closed,
                    Some(Ok(_)) => Ok(true),
                },
                Some(line) = chat.recv() => w.write(CHAT_KIND, &line).await,
                _ = progress.tick() => {
                    store_progress(&app, session, &mut w).await.map(|()| true)
                }
                () = shutting_down(&mut shutdown) => break Stop::Shutdown,
                () = told_to_stop(&mut superseded) => break Stop::Superseded,
            };
            match written {
                Ok(true) => {}
                Ok(false) => break Stop::Full,
                Err(e) => break Stop::Failed(e),
            }
        },
    };
    app.recordings.detach(session, generation);
    // Lines said before the end are kept, whichever the loop saw first.
    while let Ok(line) = chat.try_recv() {
        if !matches!(w.write(CHAT_KIND, &line).await, Ok(true)) {
            break;
        }
    }
    let stored = store_progress(&app, session, &mut w).await;
    let (action, detail) = match (&stop, &stored) {
        (_, Err(e)) | (Stop::Failed(e), _) => ("recording.failed", e.to_string()),
        (Stop::Full, _) => (
            "recording.cut",
            format!(
                "the recording reached the portal's limit of {} bytes",
                w.max_bytes
            ),
        ),
        (Stop::Closed | Stop::Shutdown | Stop::Superseded, _) => (
            "recording.stop",
            format!("{} bytes, {} s", w.bytes, w.last_ms / 1000),
        ),
    };
    tracing::info!(session, bytes = w.bytes, "{action}");
    app.audit(ACTOR, action, &subject, &detail);
    let reason = match action {
        "recording.cut" => CLOSED_FULL,
        "recording.failed" => CLOSED_FAILED,
        _ => "",
    };
    if !matches!(stop, Stop::Closed) {
        // The agent stops sending, and tells the customer the recording stopped.
        let _ = tx.send(Message::Close(Some(close_frame(reason)))).await;
    }
    if !reason.is_empty() {
        // A recording the policy requires is not replaced by an unrecorded session.
        crate::ws::end_if_required(&app, session, REQUIRED_STOPPED).await;
    }
}

fn close_frame(reason: &'static str) -> axum::extract::ws::CloseFrame {
    axum::extract::ws::CloseFrame {
        code: axum::extract::ws::close_code::NORMAL,
        reason: reason.into(),
    }
}

/// Why a session whose required recording stopped for good ends.
const REQUIRED_STOPPED: &str = "the recording this support portal requires stopped (it could not be written, or reached its size limit)";

/// A newer upload took over, or the session ended (the sender gone says the same).
async fn told_to_stop(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn shutting_down(rx: &mut tokio::sync::watch::Receiver<bool>) {
    // An error means the sender is gone, i.e. the server stopped: also a shutdown.
    let _ = rx.wait_for(|stopping| *stopping).await;
}

/// Flushes the file and stores its size and duration.
async fn store_progress(app: &App, session: u64, w: &mut Writer) -> std::io::Result<()> {
    w.file.flush().await?;
    let (bytes, duration_ms) = (w.bytes, w.last_ms);
    let stored = app
        .storage
        .call(move |b| {
            b.recording(&RecordingOp::Progress {
                session,
                bytes,
                duration_ms,
            })
        })
        .await;
    if let Err(e) = stored {
        tracing::warn!(session, "cannot store the recording's progress: {e}");
    }
    Ok(())
}

/// `GET /recordings/<ticket>`: a recording, once, for the console that asked for it.
pub(crate) async fn download(
    State(app): State<Arc<App>>,
    Path(ticket): Path<String>,
    handle: Option<Extension<ConnHandle>>,
) -> Response {
    let Some((session, file)) = app.recordings.claim_download(&ticket, Instant::now()) else {
        return (
            StatusCode::NOT_FOUND,
            "no such recording (each address works once, for a minute)",
        )
            .into_response();
    };
    // A valid ticket is a signed-in console's: a long download is not an anonymous one.
    if let Some(Extension(h)) = &handle {
        h.identify();
    }
    let path = app.config.recordings_dir().join(file);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(session, "cannot read the recording: {e}");
            return (StatusCode::NOT_FOUND, "the recording's file is gone").into_response();
        }
    };
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}
