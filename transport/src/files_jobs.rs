//! The two halves of one transfer, each a task fed by its route.

use super::*;

/// What reaches a running transfer task.
#[derive(Debug)]
pub(super) enum Route {
    /// A message from the other side.
    Peer(Message),
    /// Our side stops it (customer or representative cancelled).
    Cancel(String),
}

/// Receiving one file.
pub(super) struct Receive {
    pub(super) id: u32,
    pub(super) name: FileName,
    pub(super) size: u64,
    pub(super) sha256: [u8; 32],
    pub(super) dir: PathBuf,
}

/// Sending one file.
pub(super) struct Send {
    pub(super) id: u32,
    pub(super) path: PathBuf,
    /// Refuse symbolic links (files of the customer's shared folder).
    pub(super) strict: bool,
}

struct Ends {
    id: u32,
    link: LinkSender,
    events: mpsc::UnboundedSender<TransferEvent>,
}

impl Ends {
    async fn send(&self, message: Message) -> bool {
        self.link
            .send(Channel::Files, &message.encode())
            .await
            .is_ok()
    }

    /// Stops the transfer: tells the other side (unless it told us) and the front end.
    async fn fail(&self, reason: String, tell_peer: bool) {
        if tell_peer {
            self.send(Message::FileFailed {
                id: self.id,
                reason: reason.clone(),
            })
            .await;
        }
        let _ = self.events.send(TransferEvent::Failed {
            id: self.id,
            reason,
        });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Receive {
    pub(super) async fn run(
        self,
        link: LinkSender,
        mut rx: mpsc::UnboundedReceiver<Route>,
        events: mpsc::UnboundedSender<TransferEvent>,
        allowed: watch::Receiver<bool>,
    ) {
        let ends = Ends {
            id: self.id,
            link,
            events,
        };
        let partial = self.dir.join(format!(".{}.tandem-partial", self.name));
        let meta = self.dir.join(format!(".{}.tandem-partial.meta", self.name));
        let (mut file, offset) = match self.open_partial(&partial, &meta) {
            Ok(v) => v,
            Err(e) => {
                return ends
                    .fail(
                        format!("cannot store {}: {}", self.name, describe_io(&e)),
                        true,
                    )
                    .await;
            }
        };
        if !ends
            .send(Message::FileAccept {
                id: self.id,
                offset,
            })
            .await
        {
            return ends.fail("connection lost".into(), false).await;
        }
        let mut done = offset;
        let mut progress = Progress {
            id: self.id,
            total: self.size,
            last: Instant::now(),
        };
        progress.report(&ends.events, done);
        while done < self.size {
            match rx.recv().await {
                Some(Route::Peer(Message::FileChunk { offset, data, .. })) => {
                    if !*allowed.borrow() {
                        return ends
                            .fail("file transfer is no longer allowed".into(), true)
                            .await;
                    }
                    if offset != done || done + data.len() as u64 > self.size {
                        return ends.fail("chunks arrived out of order".into(), true).await;
                    }
                    if let Err(e) = file.write_all(&data) {
                        if e.raw_os_error() == Some(28) {
                            // Nothing to resume on a full disk: free the space.
                            let _ = std::fs::remove_file(&partial);
                            let _ = std::fs::remove_file(&meta);
                        }
                        return ends
                            .fail(
                                format!("cannot store {}: {}", self.name, describe_io(&e)),
                                true,
                            )
                            .await;
                    }
                    done += data.len() as u64;
                    progress.report(&ends.events, done);
                }
                Some(Route::Peer(Message::FileFailed { reason, .. })) => {
                    return ends.fail(reason, false).await;
                }
                Some(Route::Cancel(reason)) => return ends.fail(reason, true).await,
                Some(Route::Peer(_)) => {}
                // The connection is gone: keep the partial file for a resume.
                None => {
                    return ends
                        .fail(
                            "connection lost; the transfer resumes when the file is sent again"
                                .into(),
                            false,
                        )
                        .await;
                }
            }
        }
        if let Err(e) = file.flush().and_then(|_| file.sync_all()) {
            return ends
                .fail(
                    format!("cannot store {}: {}", self.name, describe_io(&e)),
                    true,
                )
                .await;
        }
        drop(file);
        let check = partial.clone();
        let digest = tokio::task::spawn_blocking(move || sha256_of(&check)).await;
        if !matches!(digest, Ok(Ok(d)) if d == self.sha256) {
            let _ = std::fs::remove_file(&partial);
            let _ = std::fs::remove_file(&meta);
            return ends
                .fail(
                    format!("{} arrived damaged (checksum mismatch)", self.name),
                    true,
                )
                .await;
        }
        match place(&partial, &self.dir, &self.name) {
            Ok(final_path) => {
                let _ = std::fs::remove_file(&partial);
                let _ = std::fs::remove_file(&meta);
                ends.send(Message::FileComplete { id: self.id }).await;
                let _ = ends.events.send(TransferEvent::Completed {
                    id: self.id,
                    file: final_path.display().to_string(),
                    size: self.size,
                    sha256: self.sha256,
                    received: true,
                });
            }
            Err(e) => {
                ends.fail(
                    format!("cannot store {}: {}", self.name, describe_io(&e)),
                    true,
                )
                .await
            }
        }
    }

    /// Opens the partial file; resumes when it belongs to the same file (size and hash).
    fn open_partial(&self, partial: &Path, meta: &Path) -> std::io::Result<(std::fs::File, u64)> {
        let want = format!("{} {}", self.size, hex(&self.sha256));
        // Our hidden names are ours: something else there (a link planted by another
        // program) is removed rather than followed.
        if std::fs::symlink_metadata(partial).is_ok_and(|m| !m.is_file()) {
            std::fs::remove_file(partial)?;
        }
        let mut file = private_file(partial, false)?;
        let len = file.metadata()?.len();
        let same = std::fs::read_to_string(meta).is_ok_and(|m| m == want);
        let offset = if same && len <= self.size { len } else { 0 };
        if offset == 0 {
            file.set_len(0)?;
            private_file(meta, true)?.write_all(want.as_bytes())?;
        }
        file.seek(SeekFrom::Start(offset))?;
        Ok((file, offset))
    }
}

/// Opens (creating if needed) a file only the receiving user may read or write (0600),
/// whatever the umask says: a received file may be anything the other side sends (a
/// customer's document, a fetched key file), and the sender's mode does not travel. Also
/// applied to a file that exists already (a partial file from an older version, 0644). The
/// final name is a hard link to the same inode, so the file keeps this mode.
fn private_file(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(truncate).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // `mode` applies only when the file is created.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(file)
}

/// Links the verified partial file under `name` (or "name (2)" …) without ever replacing
/// an existing file.
fn place(partial: &Path, dir: &Path, name: &FileName) -> std::io::Result<PathBuf> {
    let (stem, ext) = match name.as_str().rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.as_str().to_owned(), String::new()),
    };
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(name.as_str())
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match std::fs::hard_link(partial, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many files with that name"))
}

impl Send {
    pub(super) async fn run(
        self,
        link: LinkSender,
        mut rx: mpsc::UnboundedReceiver<Route>,
        events: mpsc::UnboundedSender<TransferEvent>,
        allowed: watch::Receiver<bool>,
    ) {
        let ends = Ends {
            id: self.id,
            link,
            events,
        };
        let meta = if self.strict {
            std::fs::symlink_metadata(&self.path)
        } else {
            std::fs::metadata(&self.path)
        };
        let meta = match meta {
            Ok(m) if m.is_file() => m,
            Ok(_) => {
                return ends
                    .fail(
                        format!("{} is not a regular file", self.path.display()),
                        true,
                    )
                    .await;
            }
            Err(e) => {
                return ends
                    .fail(
                        format!("{}: {}", self.path.display(), describe_io(&e)),
                        true,
                    )
                    .await;
            }
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (size, modified) = (meta.len(), meta.modified().ok());
        let hashed = self.path.clone();
        let sha256 = match tokio::task::spawn_blocking(move || sha256_of(&hashed)).await {
            Ok(Ok(d)) => d,
            _ => {
                return ends
                    .fail(format!("cannot read {}", self.path.display()), true)
                    .await;
            }
        };
        if !ends
            .send(Message::FileOffer {
                id: self.id,
                name: name.clone(),
                size,
                sha256,
            })
            .await
        {
            return ends.fail("connection lost".into(), false).await;
        }
        let offset = loop {
            match rx.recv().await {
                Some(Route::Peer(Message::FileAccept { offset, .. })) => break offset,
                Some(Route::Peer(Message::FileFailed { reason, .. })) => {
                    return ends.fail(reason, false).await;
                }
                Some(Route::Cancel(reason)) => return ends.fail(reason, true).await,
                Some(Route::Peer(_)) => {}
                None => return ends.fail("connection lost".into(), false).await,
            }
        };
        let mut file = match std::fs::File::open(&self.path)
            .and_then(|mut f| f.seek(SeekFrom::Start(offset)).map(|_| f))
        {
            Ok(f) => f,
            Err(e) => return ends.fail(describe_io(&e), true).await,
        };
        let mut done = offset;
        let mut progress = Progress {
            id: self.id,
            total: size,
            last: Instant::now(),
        };
        let mut buf = vec![0u8; CHUNK];
        while done < size {
            match rx.try_recv() {
                Ok(Route::Peer(Message::FileFailed { reason, .. })) => {
                    return ends.fail(reason, false).await;
                }
                Ok(Route::Cancel(reason)) => return ends.fail(reason, true).await,
                _ => {}
            }
            if !*allowed.borrow() {
                return ends
                    .fail("file transfer is no longer allowed".into(), true)
                    .await;
            }
            let want = CHUNK.min((size - done) as usize);
            if let Err(e) = file.read_exact(&mut buf[..want]) {
                return ends
                    .fail(format!("{} changed during the transfer ({e})", name), true)
                    .await;
            }
            if !ends
                .send(Message::FileChunk {
                    id: self.id,
                    offset: done,
                    data: buf[..want].to_vec(),
                })
                .await
            {
                return ends
                    .fail(
                        "connection lost; send the file again to resume".into(),
                        false,
                    )
                    .await;
            }
            done += want as u64;
            progress.report(&ends.events, done);
        }
        let now = std::fs::metadata(&self.path).ok();
        if now.as_ref().map(|m| (m.len(), m.modified().ok())) != Some((size, modified)) {
            return ends
                .fail(
                    format!("{name} changed during the transfer; send it again"),
                    true,
                )
                .await;
        }
        loop {
            match rx.recv().await {
                Some(Route::Peer(Message::FileComplete { .. })) => {
                    let _ = ends.events.send(TransferEvent::Completed {
                        id: self.id,
                        file: name,
                        size,
                        sha256,
                        received: false,
                    });
                    return;
                }
                Some(Route::Peer(Message::FileFailed { reason, .. })) => {
                    return ends.fail(reason, false).await;
                }
                Some(Route::Cancel(reason)) => return ends.fail(reason, true).await,
                Some(Route::Peer(_)) => {}
                None => {
                    return ends
                        .fail(
                            "connection lost before the other side confirmed".into(),
                            false,
                        )
                        .await;
                }
            }
        }
    }
}

#[cfg(test)]
pub(super) fn place_for_tests(
    partial: &Path,
    dir: &Path,
    name: &FileName,
) -> std::io::Result<PathBuf> {
    place(partial, dir, name)
}
