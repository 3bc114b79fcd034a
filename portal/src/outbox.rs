//! The bounded queue of messages waiting for one connection's socket.
//!
//! A member who does not read (a stalled or hostile client) must not make the portal buffer
//! what others send it: when its queue is full the connection is marked *overflowed* and its
//! own task closes it; nothing more is queued for it. Senders never wait.
//!
//! ```
//! use tandem_portal::outbox::Outbox;
//! use tandem_protocol::signal::PortalMessage;
//! let (tx, mut rx) = Outbox::with_capacity(1);
//! assert!(tx.send(PortalMessage::Welcome { version: 1 }));
//! assert!(!tx.send(PortalMessage::Welcome { version: 1 }), "full: overflowed");
//! assert!(rx.has_overflowed());
//! ```

use std::sync::Arc;

use tandem_protocol::signal::PortalMessage;
use tokio::sync::{mpsc, watch};

/// Messages queued per connection before it counts as not reading. Chat and signalling
/// come in bursts of tens at most (an SDP exchange is a handful of messages).
pub const OUTBOX_CAPACITY: usize = 512;

/// The sending side; cheap to clone (the hub keeps one per member).
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<PortalMessage>,
    overflow: Arc<watch::Sender<bool>>,
    /// Set when the portal closes the connection itself (a forced sign-out).
    kick: Arc<watch::Sender<bool>>,
}

/// The receiving side, owned by the connection's task.
#[derive(Debug)]
pub struct OutboxReceiver {
    rx: mpsc::Receiver<PortalMessage>,
    overflowed: watch::Receiver<bool>,
    kicked: watch::Receiver<bool>,
}

impl Outbox {
    /// A queue of [`OUTBOX_CAPACITY`].
    pub fn new() -> (Outbox, OutboxReceiver) {
        Outbox::with_capacity(OUTBOX_CAPACITY)
    }

    /// A queue of `capacity` messages.
    pub fn with_capacity(capacity: usize) -> (Outbox, OutboxReceiver) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (overflow, overflowed) = watch::channel(false);
        let (kick, kicked) = watch::channel(false);
        (
            Outbox {
                tx,
                overflow: Arc::new(overflow),
                kick: Arc::new(kick),
            },
            OutboxReceiver {
                rx,
                overflowed,
                kicked,
            },
        )
    }

    /// Closes the connection once what is queued (say, why) has been sent.
    pub fn kick(&self) {
        self.kick.send_replace(true);
    }

    /// Queues `msg`; `false` if the connection is gone or has stopped reading (then it is
    /// marked overflowed and will be closed).
    pub fn send(&self, msg: PortalMessage) -> bool {
        match self.tx.try_send(msg) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflow.send_replace(true);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

impl OutboxReceiver {
    /// The next queued message.
    pub async fn recv(&mut self) -> Option<PortalMessage> {
        self.rx.recv().await
    }

    /// A queued message, if there is one now.
    pub fn try_recv(&mut self) -> Option<PortalMessage> {
        self.rx.try_recv().ok()
    }

    /// Whether the queue ever ran full.
    pub fn has_overflowed(&self) -> bool {
        *self.overflowed.borrow()
    }

    /// A watch on the queue running full, to wait on beside [`OutboxReceiver::recv`].
    pub fn overflow(&self) -> Overflow {
        Overflow(self.overflowed.clone())
    }

    /// A watch on [`Outbox::kick`] (it completes like [`Overflow::wait`]).
    pub fn kicked(&self) -> Overflow {
        Overflow(self.kicked.clone())
    }
}

/// See [`OutboxReceiver::overflow`].
#[derive(Debug)]
pub struct Overflow(watch::Receiver<bool>);

impl Overflow {
    /// Completes once the queue has run full.
    pub async fn wait(&mut self) {
        if self.0.wait_for(|o| *o).await.is_err() {
            // Every sender is gone: nothing can overflow any more.
            std::future::pending::<()>().await;
        }
    }
}
