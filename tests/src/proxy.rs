//! A TCP proxy on 127.0.0.1 whose live connections a test can cut, to drop one process's
//! connection (say, the agent's to the portal) while everything else keeps running.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The proxy; stops accepting on drop.
pub struct Proxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    live: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Forwards every connection made to [`Proxy::addr`] to `target`.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let target = Arc::new(Mutex::new(target));
        let (conns, stopping, to) = (live.clone(), stop.clone(), target.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(addr) = to.lock().map(|t| *t) else {
                    continue;
                };
                let Ok(server) = TcpStream::connect(addr) else {
                    continue;
                };
                for s in [&client, &server] {
                    // Forward each piece as it comes: Nagle here would hold the second of two
                    // small writes (a TLS Finished, then the request) for a delayed ACK, 40 ms.
                    let _ = s.set_nodelay(true);
                    if let (Ok(c), Ok(mut l)) = (s.try_clone(), conns.lock()) {
                        l.push(c);
                    }
                }
                pump(&client, &server);
                pump(&server, &client);
            }
        });
        Proxy {
            addr,
            target,
            live,
            stop,
        }
    }

    /// New connections go to `target` from now on (a server restarted on another port).
    pub fn set_target(&self, target: SocketAddr) {
        if let Ok(mut t) = self.target.lock() {
            *t = target;
        }
    }

    /// Cuts every connection open now (new ones still pass).
    pub fn cut(&self) {
        if let Ok(mut live) = self.live.lock() {
            for s in live.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn pump(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut();
        // Wake the accept loop so it sees the stop flag.
        let _ = TcpStream::connect(self.addr);
    }
}
