//! The router's vocabulary: settings, modes, refusals, events and what each party sees.

use std::time::Duration;

/// A customer's request, numbered by the router from 1; numbers are never reused, so a
/// stale number from a page or a click can never name someone else's request.
pub type RequestId = u64;

/// A representative: their account id.
pub type RepKey = i64;

/// Settings of a [`Router`](super::Router).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterConfig {
    /// How long a representative has to accept a queue offer before it moves on (clamped to
    /// a day). Also how long finished requests are remembered for late accepts.
    pub offer_timeout: Duration,
    /// Queue requests allowed per portal before new ones are refused: a customer is better
    /// told at once than left waiting behind a queue nobody will reach.
    pub queue_cap: usize,
    /// The handle time estimates start from, before any routed session has ended.
    pub default_handle_time: Duration,
}

impl Default for RouterConfig {
    /// 30 s to accept, 50 waiting per portal, 10 minutes per session.
    fn default() -> Self {
        RouterConfig {
            offer_timeout: Duration::from_secs(30),
            queue_cap: 50,
            default_handle_time: Duration::from_secs(600),
        }
    }
}

/// How a portal routes its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteMode {
    /// Offered to every representative logged in on the portal (SmartButton, SmartBox).
    Broadcast,
    /// Offered only to `rep`, whom the customer chose (SmartMatch).
    Match {
        /// The chosen representative.
        rep: RepKey,
    },
    /// Waits its turn, offered to one available representative at a time.
    Queue,
}

/// Why [`Router::submit`](super::Router::submit) refused a request; the customer is told
/// so at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No representative is logged in on the portal.
    #[error("no representative is online")]
    NobodyAvailable,
    /// The chosen representative is not logged in on the portal.
    #[error("that representative is not online")]
    RepNotAvailable,
    /// The portal's queue holds [`RouterConfig::queue_cap`] requests already.
    #[error("the queue is full")]
    QueueFull,
}

/// Why [`Router::accept`](super::Router::accept) did not give the request to the representative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    /// No such request, or it ended without being accepted (the customer left).
    #[error("no such request")]
    Unknown,
    /// The request is not (or no longer) offered to this representative.
    #[error("this request is not offered to you")]
    NotOffered,
    /// Someone accepted it first.
    #[error("another representative took this request")]
    AlreadyTaken,
}

/// How a request's routing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The customer withdrew it (closed the page).
    Withdrawn,
    /// The SmartMatch representative it was for logged out or moved to another portal.
    RepLeft,
    /// A representative accepted it. Reported by [`Router::state`](super::Router::state);
    /// the customer's page gets [`CustomerStatus::Accepted`], which names them.
    Accepted,
}

/// Whether a request is still being routed ([`Router::state`](super::Router::state)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Waiting or offered.
    Open,
    /// Routing is over.
    Ended(EndReason),
}

/// Whose view changed: the shell re-renders that and nothing else. Each names one thing;
/// a thing is never queued twice, so the queue stays as small as what it names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouterEvent {
    /// The representative's [`Router::offers`](super::Router::offers) changed (a request
    /// came or went, or a queue offer's deadline moved).
    RepChanged(RepKey),
    /// The request's [`Router::customer_status`](super::Router::customer_status) changed.
    CustomerChanged(RequestId),
    /// The portal's [`Router::reps_on`](super::Router::reps_on) or
    /// [`Router::queue_length`](super::Router::queue_length) changed.
    PortalChanged(String),
}

/// One line of a representative's list of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// The request.
    pub request: RequestId,
    /// How long the customer has been waiting.
    pub waiting: Duration,
    /// For a queue offer, the time left to accept it before it moves on.
    pub expires_in: Option<Duration>,
}

/// What the customer's waiting page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerStatus {
    /// Nobody is looking at the request yet.
    Waiting {
        /// In a queue, the place among requests not yet offered (1 = next); `None` for
        /// broadcast requests.
        position: Option<u32>,
        /// In a queue, `position × average handle time / representatives online`.
        estimated_wait: Option<Duration>,
        /// Representatives logged in on the portal (0: "nobody is online right now").
        reps_online: u32,
    },
    /// Offered to at least one representative (in a queue: offered right now).
    Ringing,
    /// The representative who took it.
    Accepted {
        /// Who.
        rep: RepKey,
    },
    /// Routing ended without an accept.
    Ended(EndReason),
}
