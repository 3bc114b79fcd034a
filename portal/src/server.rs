//! The portal's accept loop: admission (see [`crate::admission`]), TLS with a handshake
//! deadline, HTTP/1 with a header deadline, the client's address (from a trusted proxy's
//! `X-Forwarded-For`), and eviction of anonymous connections when room is needed.
//!
//! ```text
//!  TcpListener ─accept─► Gate::admit ─no─► close
//!                          │yes (maybe evicting an old anonymous connection)
//!                          ▼
//!                 TLS handshake (≤ handshake_timeout) ─► hyper HTTP/1 (headers ≤ the same)
//!                          │ every request carries ConnectInfo(client address) and a ConnHandle
//!                          ▼
//!                 axum router ─► /ws, /relay: identify() once the peer proves who it is
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::admission::{Admission, AdmissionLimits, Admit, Ticket};
use crate::tls::PortalTls;

/// The shared admission state plus a way to close each connection it evicts.
pub(crate) struct Gate {
    state: Mutex<GateState>,
}

struct GateState {
    admission: Admission,
    closers: HashMap<Ticket, watch::Sender<bool>>,
}

impl Gate {
    pub(crate) fn new(limits: AdmissionLimits) -> Arc<Gate> {
        Arc::new(Gate {
            state: Mutex::new(GateState {
                admission: Admission::new(limits),
                closers: HashMap::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // Each method leaves the state whole before it can panic; a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a connection from `address` (`None`: a trusted proxy); closes the one it
    /// evicts.
    fn admit(self: &Arc<Gate>, address: Option<IpAddr>) -> Option<ConnHandle> {
        let mut state = self.lock();
        match state.admission.admit(address) {
            Admit::Yes { ticket, evict } => {
                if let Some(victim) = evict
                    && let Some(closer) = state.closers.remove(&victim)
                {
                    tracing::debug!("closing an anonymous connection to make room");
                    let _ = closer.send(true);
                }
                let (closer, closed) = watch::channel(false);
                state.closers.insert(ticket, closer);
                Some(ConnHandle(Arc::new(HandleInner {
                    ticket,
                    gate: Arc::clone(self),
                    closed,
                })))
            }
            Admit::No(why) => {
                tracing::debug!(%why, "connection refused");
                None
            }
        }
    }
}

/// One admitted connection; it is released when the last clone is dropped (the HTTP
/// connection's and, after an upgrade, the WebSocket's).
#[derive(Clone)]
pub(crate) struct ConnHandle(Arc<HandleInner>);

struct HandleInner {
    ticket: Ticket,
    gate: Arc<Gate>,
    closed: watch::Receiver<bool>,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.admission.release(self.ticket);
        state.closers.remove(&self.ticket);
    }
}

impl ConnHandle {
    /// The peer proved who it is: keep its connection out of eviction.
    pub(crate) fn identify(&self) {
        self.0.gate.lock().admission.identify(self.0.ticket);
    }

    /// Completes when the gate closes this connection to make room.
    pub(crate) async fn evicted(&self) {
        let mut closed = self.0.closed.clone();
        // An error means the gate forgot the connection: treat it as evicted too.
        let _ = closed.wait_for(|c| *c).await;
    }
}

/// Where requests come from and who may say otherwise.
#[derive(Debug, Clone, Default)]
pub(crate) struct Forwarding {
    /// Proxies whose `X-Forwarded-For` is believed (empty: nobody's).
    pub trusted: Arc<[IpAddr]>,
}

impl Forwarding {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        // A dual-stack listener sees an IPv4 proxy as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        self.trusted.iter().any(|t| t.to_canonical() == ip)
    }
}

/// The client's address: the peer's, or — when the peer is a trusted proxy — the rightmost
/// `X-Forwarded-For` entry that is not itself a trusted proxy. Entries further left were
/// written by the client and prove nothing.
pub(crate) fn client_address(
    peer: IpAddr,
    forwarded_for: &[&str],
    forwarding: &Forwarding,
) -> IpAddr {
    if !forwarding.is_trusted(peer) {
        return peer;
    }
    let hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|header| header.rsplit(','))
        .map(str::trim);
    for hop in hops {
        match hop.parse::<IpAddr>() {
            Ok(ip) if forwarding.is_trusted(ip) => continue,
            Ok(ip) => return ip.to_canonical(),
            // Garbage where an address should be: stop believing the chain.
            Err(_) => return peer,
        }
    }
    peer
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, asks
/// every HTTP connection to finish, and returns (WebSockets close on the portal's own
/// shutdown signal).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<PortalTls>>,
    gate: Arc<Gate>,
    forwarding: Forwarding,
    handshake_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (closing_tx, closing) = watch::channel(false);
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(Arc::clone(&t.config)));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let proxied = forwarding.is_trusted(peer.ip());
        let Some(handle) = gate.admit((!proxied).then_some(peer.ip())) else {
            drop(tcp);
            continue;
        };
        // Relayed input is a stream of tiny messages: Nagle would hold each one back until
        // the previous is acknowledged (measured: 20 ms per pointer move through the relay).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let conn = Connection {
            router: router.clone(),
            peer,
            handle,
            forwarding: forwarding.clone(),
            closing: closing.clone(),
            header_timeout: handshake_timeout,
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                None => conn.serve(tcp).await,
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(handshake_timeout, acceptor.accept(tcp));
                    let evicted = conn.handle.clone();
                    let mut closing = conn.closing.clone();
                    let shutting_down = async move {
                        let _ = closing.wait_for(|c| *c).await;
                    };
                    let done = tokio::select! {
                        done = handshake => Some(done),
                        () = evicted.evicted() => None,
                        // Shutting down: a half-done handshake is not waited for.
                        () = shutting_down => None,
                    };
                    match done {
                        Some(Ok(Ok(tls))) => conn.serve(tls).await,
                        Some(Ok(Err(e))) => tracing::debug!("TLS handshake failed: {e}"),
                        Some(Err(_)) => tracing::debug!("TLS handshake timed out"),
                        None => {}
                    }
                }
            }
        });
    }
    let _ = closing_tx.send(true);
}

struct Connection {
    router: Router,
    peer: SocketAddr,
    handle: ConnHandle,
    forwarding: Forwarding,
    closing: watch::Receiver<bool>,
    /// Time to send a request's headers (also between requests on a kept-alive connection).
    header_timeout: Duration,
}

impl Connection {
    async fn serve(self, io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
        let Connection {
            router,
            peer,
            handle,
            forwarding,
            mut closing,
            header_timeout,
        } = self;
        let evicted = handle.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            let forwarded: Vec<&str> = request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let client = client_address(peer.ip(), &forwarded, &forwarding);
            let client = SocketAddr::new(client, peer.port());
            request.extensions_mut().insert(ConnectInfo(client));
            request.extensions_mut().insert(handle.clone());
            router.clone().oneshot(request)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_buf_size(64 * 1024);
        let connection = builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        tokio::pin!(connection);
        let mut asked_to_finish = false;
        loop {
            tokio::select! {
                done = connection.as_mut() => {
                    if let Err(e) = done {
                        tracing::debug!("connection ended: {e}");
                    }
                    return;
                }
                () = evicted.evicted() => return,
                // Once: the signal stays set, and asking again would spin.
                _ = closing.wait_for(|c| *c), if !asked_to_finish => {
                    asked_to_finish = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy = Forwarding {
            trusted: Arc::from(vec![ip("10.0.0.1"), ip("10.0.0.2")]),
        };
        // Not a proxy: its header is ignored.
        assert_eq!(
            client_address(ip("192.0.2.9"), &["203.0.113.1"], &proxy),
            ip("192.0.2.9")
        );
        // A trusted proxy: the rightmost untrusted hop; what the client wrote further left
        // is ignored.
        assert_eq!(
            client_address(ip("10.0.0.1"), &["1.2.3.4, 203.0.113.7, 10.0.0.2"], &proxy),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &["1.2.3.4", "203.0.113.8"], &proxy),
            ip("203.0.113.8")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client_address(ip("10.0.0.1"), &[], &proxy), ip("10.0.0.1"));
        assert_eq!(
            client_address(ip("10.0.0.1"), &["not-an-ip"], &proxy),
            ip("10.0.0.1")
        );
        // An IPv4 proxy seen through a dual-stack socket is the same proxy.
        assert_eq!(
            client_address(ip("::ffff:10.0.0.1"), &["203.0.113.7"], &proxy),
            ip("203.0.113.7")
        );
        // Nobody trusted: never believed.
        assert_eq!(
            client_address(ip("10.0.0.1"), &["203.0.113.7"], &Forwarding::default()),
            ip("10.0.0.1")
        );
    }
}
