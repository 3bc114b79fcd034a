//! A minimal SMTP sink for tests: a real server on 127.0.0.1:0 speaking enough RFC 5321 for
//! lettre (greeting, EHLO/HELO without STARTTLS, MAIL, RCPT, DATA with dot-unstuffing, RSET,
//! NOOP, QUIT), keeping what it receives. It stops (every connection with it) when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tandem_portal::mail::{SmtpConfig, SmtpSecurity};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// The longest command or data line read (RFC 5321 allows 1000 with CRLF).
const MAX_LINE: usize = 4096;
/// The most data accepted in one message.
const MAX_MESSAGE: usize = 1 << 20;

/// How the sink answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Takes every message.
    Accept,
    /// Answers `554 5.7.1 rejected` to every `RCPT TO`.
    RejectRecipients,
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (inside the angle brackets).
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, lines ending in CRLF.
    pub data: String,
}

impl Received {
    /// The value of the first header called `name` (folded lines joined).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((field, rest)) = line.split_once(':')
                && field.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim().to_owned());
            }
        }
        value
    }

    /// The body as text, decoded from its Content-Transfer-Encoding (7bit, 8bit,
    /// quoted-printable, base64), line ends as `\n`.
    pub fn text(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => decode_base64(body),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes)
            .expect("the body is UTF-8")
            .replace("\r\n", "\n")
    }
}

fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn decode_base64(body: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = body.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let mut n: u32 = 0;
        for (k, s) in chunk.iter().enumerate() {
            n |= u32::from(*s) << (18 - 6 * k);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<Received>>,
    arrived: Notify,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Vec<Received>> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running sink; dropping it stops it.
pub struct SmtpSink {
    pub addr: SocketAddr,
    inbox: Arc<Inbox>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// A sink that takes every message.
    pub async fn start() -> SmtpSink {
        SmtpSink::with_mode(Mode::Accept).await
    }

    /// A sink that refuses every recipient.
    pub async fn rejecting() -> SmtpSink {
        SmtpSink::with_mode(Mode::RejectRecipients).await
    }

    pub async fn with_mode(mode: Mode) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("has an address");
        let inbox = Arc::new(Inbox::default());
        let kept = Arc::clone(&inbox);
        let task = tokio::spawn(async move {
            // Dropped with this task: aborting it aborts every connection too.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { return };
                        connections.spawn(serve(stream, mode, Arc::clone(&kept)));
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        SmtpSink { addr, inbox, task }
    }

    /// Settings for the portal to send through this sink (plain SMTP, no login).
    pub fn config(&self, timeout: Duration) -> SmtpConfig {
        SmtpConfig {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Tandem Support <support@example.com>".into(),
            timeout,
        }
    }

    /// Everything received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().clone()
    }

    /// Takes the oldest message not yet taken, waiting for one until `deadline`.
    pub async fn wait_for_message(&self, deadline: tokio::time::Instant) -> Received {
        loop {
            // Registered before looking, so an arrival in between is not missed.
            let arrived = self.inbox.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let mut messages = self.inbox.lock();
                if !messages.is_empty() {
                    return messages.remove(0);
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("no mail arrived at the sink in time");
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one line (CRLF or LF), at most [`MAX_LINE`] bytes; `None` at the end or when too
/// long.
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<String> {
    let mut line = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await
        .ok()?;
    if n == 0 || !line.ends_with(b"\n") {
        return None;
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// The address inside `<…>` after a `MAIL FROM:` or `RCPT TO:` prefix.
fn path(argument: &str) -> String {
    let inner = argument.trim();
    let end = inner.find('>').unwrap_or(inner.len());
    inner[..end].trim_start_matches('<').to_owned()
}

async fn serve(stream: TcpStream, mode: Mode, inbox: Arc<Inbox>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    macro_rules! say {
        ($text:expr) => {
            if write.write_all($text.as_bytes()).await.is_err() {
                return;
            }
        };
    }
    say!("220 sink.test ESMTP test sink\r\n");
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    while let Some(line) = read_line(&mut reader).await {
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");
        match verb {
            "EHLO" => say!(
                "250-sink.test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 1048576\r\n"
            ),
            "HELO" => say!("250 sink.test\r\n"),
            "NOOP" => say!("250 2.0.0 OK\r\n"),
            "RSET" => {
                from = None;
                to.clear();
                say!("250 2.0.0 OK\r\n");
            }
            "QUIT" => {
                say!("221 2.0.0 bye\r\n");
                return;
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                from = Some(path(&line["MAIL FROM:".len()..]));
                to.clear();
                say!("250 2.1.0 OK\r\n");
            }
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if from.is_none() {
                    say!("503 5.5.1 MAIL first\r\n");
                } else if mode == Mode::RejectRecipients {
                    say!("554 5.7.1 rejected\r\n");
                } else {
                    to.push(path(&line["RCPT TO:".len()..]));
                    say!("250 2.1.5 OK\r\n");
                }
            }
            "DATA" => {
                let Some(sender) = from.take() else {
                    say!("503 5.5.1 MAIL first\r\n");
                    continue;
                };
                if to.is_empty() {
                    say!("554 5.5.1 no valid recipients\r\n");
                    continue;
                }
                say!("354 end data with <CR><LF>.<CR><LF>\r\n");
                let mut data = String::new();
                loop {
                    let Some(line) = read_line(&mut reader).await else {
                        return;
                    };
                    if line == "." {
                        break;
                    }
                    // Dot-unstuffing (RFC 5321 4.5.2).
                    let line = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(line);
                    data.push_str("\r\n");
                    if data.len() > MAX_MESSAGE {
                        say!("552 5.3.4 too big\r\n");
                        return;
                    }
                }
                inbox.lock().push(Received {
                    from: sender,
                    to: std::mem::take(&mut to),
                    data,
                });
                inbox.arrived.notify_waiters();
                say!("250 2.0.0 queued\r\n");
            }
            _ => say!("502 5.5.2 command not recognised\r\n"),
        }
    }
}
