//! The front desk: customers asking for help on portal pages and the representatives' List
//! View, live. The rules (who is offered what, who wins, queue order, time-outs) are the pure
//! [`crate::routing::Router`]; this module keeps who is connected where, turns the router's
//! events into messages (every view is rebuilt from state, never patched), and keeps the
//! Web Chat of accepted requests. It does no IO but queueing messages on outboxes; the
//! WebSocket handlers (`ws/front.rs`) do the database work around its calls.
//!
//! ```text
//!  customer page ──open_portal──► watchers[portal] ◄── Portal(page) on every change
//!                ──request_help─► Router::submit ──► Queries to the reps it is offered to
//!  rep console   ──set_accepting► Router::rep_online
//!                ──accept───────► Router::accept ──► RequestTaken to the winner; the others'
//!                                                    Queries lose it at once
//! ```

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tandem_protocol::SessionCode;
use tandem_protocol::front_desk::{ChatStart, FieldValue, PortalMode};
use tandem_protocol::signal::{CodeInfo, PortalMessage};
use tokio::sync::Notify;

use crate::hub::ConnId;
use crate::outbox::Outbox;
use crate::routing::{AcceptError, Refusal, RepKey, RequestId, RouteMode, Router, RouterConfig};
use crate::storage::PortalRecord;

pub mod form;
mod leaving;
pub mod tickets;
mod timer;
mod views;

pub use timer::spawn_timer;

/// Sessions one representative takes from the queue at once.
pub const SESSION_LIMIT: u32 = 3;
/// The console of a request whose representative's consoles all closed while its session
/// runs (connection ids start at 1).
const NO_CONSOLE: ConnId = 0;
/// Web Chat lines one request keeps in memory for a representative who reloads (the
/// database keeps them all).
const MAX_CHAT_LINES: usize = 200;

/// A representative at the desk (their console sent `SetAccepting`).
#[derive(Debug)]
struct DeskRep {
    name: String,
    portal: String,
    accepting: bool,
    conns: HashMap<ConnId, Outbox>,
}

/// What happened to a request after a representative took it.
#[derive(Debug, Clone)]
struct Taken {
    rep: RepKey,
    rep_name: String,
    /// The console that accepted: chat and updates go there.
    rep_conn: ConnId,
    rep_tx: Outbox,
    /// The code the customer app joins with, once needed.
    code: Option<(CodeInfo, i64)>,
    /// The session its code started, once the customer app joined.
    session: Option<u64>,
    in_session: bool,
    /// The router was told this request's session is over (its load released).
    released: bool,
}

/// A request from submission until its chat is closed.
#[derive(Debug)]
struct Live {
    db_id: Option<i64>,
    portal: String,
    mode: PortalMode,
    chat_start: ChatStart,
    customer: String,
    question: String,
    fields: Vec<FieldValue>,
    customer_conn: Option<(ConnId, Outbox)>,
    taken: Option<Taken>,
    chat: Vec<PortalMessage>,
    /// The state the customer's page was last sent (repeats are not sent).
    shown: Option<tandem_protocol::front_desk::RequestState>,
}

#[derive(Debug)]
struct State {
    router: Router,
    requests: HashMap<RequestId, Live>,
    customers: HashMap<ConnId, RequestId>,
    reps: HashMap<RepKey, DeskRep>,
    rep_conns: HashMap<ConnId, RepKey>,
    watchers: HashMap<String, HashMap<ConnId, Outbox>>,
    portals: HashMap<String, PortalRecord>,
    /// Open (not yet taken) requests one portal holds at most.
    queue_cap: usize,
    /// Request rows that ended, with why, for the timer task to record.
    finished: Vec<(i64, String)>,
}

/// The live front desk; one per portal process.
#[derive(Debug)]
pub struct Desk {
    state: Mutex<State>,
    /// Woken when the router's next deadline may have moved.
    pub wake: Notify,
    /// Tickets opening console panels on sessions.
    pub tickets: Mutex<tickets::Tickets>,
}

/// What the customer submitted, checked.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The portal as stored.
    pub portal: PortalRecord,
    /// The checked form.
    pub form: form::CheckedForm,
    /// SmartMatch: the chosen representative's [`RepCard::handle`].
    pub rep: Option<String>,
    /// The request's database row (written before it is routed).
    pub db_id: i64,
}

/// Why a request could not be submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// The router refused.
    Refused(Refusal),
    /// This connection has a request already.
    AlreadyWaiting,
}

/// What the winner of an accept needs to go on.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The request's database row.
    pub db_id: Option<i64>,
    /// The customer's name.
    pub customer: String,
    /// The portal.
    pub portal: String,
    /// Web Chat, or the customer app at once.
    pub chat_start: ChatStart,
}

/// The request is not one this connection took (or it is over).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotTaken;

/// A Web Chat line to store.
#[derive(Debug, Clone)]
pub struct ChatLine {
    /// The request's database row.
    pub db_id: Option<i64>,
    /// Written by the customer.
    pub from_customer: bool,
    /// The writer's name.
    pub name: String,
}

impl Default for Desk {
    fn default() -> Self {
        Desk::new(RouterConfig::default())
    }
}

impl Desk {
    /// An empty desk.
    pub fn new(config: RouterConfig) -> Desk {
        let queue_cap = config.queue_cap;
        Desk {
            state: Mutex::new(State {
                router: Router::new(config),
                requests: HashMap::new(),
                customers: HashMap::new(),
                reps: HashMap::new(),
                rep_conns: HashMap::new(),
                watchers: HashMap::new(),
                portals: HashMap::new(),
                queue_cap,
                finished: Vec::new(),
            }),
            wake: Notify::new(),
            tickets: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change below is applied whole before views are sent; a panic midway leaves
        // at worst a stale view, which the next change rebuilds.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the state, then sends every view it changed and wakes the timer.
    fn with<R>(&self, now: Instant, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.lock();
        let r = f(&mut state);
        state.flush(now);
        drop(state);
        self.wake.notify_one();
        r
    }

    /// A customer's page opened `portal` (as stored): it gets the page now and on changes.
    pub fn open_portal(&self, conn: ConnId, tx: Outbox, portal: PortalRecord, now: Instant) {
        self.with(now, |s| {
            let name = portal.name.clone();
            s.portals.insert(name.clone(), portal);
            for watchers in s.watchers.values_mut() {
                watchers.remove(&conn);
            }
            if let Some(page) = s.portal_page(&name) {
                let _ = tx.send(PortalMessage::Portal(page));
            }
            s.watchers.entry(name).or_default().insert(conn, tx);
        });
    }

    /// A customer asks for help; answered with a `RequestStatus` on success.
    pub fn submit(
        &self,
        conn: ConnId,
        tx: Outbox,
        sub: Submission,
        now: Instant,
    ) -> Result<RequestId, SubmitError> {
        self.with(now, |s| {
            if s.customers.contains_key(&conn) {
                return Err(SubmitError::AlreadyWaiting);
            }
            let name = sub.portal.name.clone();
            // Every open request alerts people: a portal holds as many as its queue would.
            let open = s
                .requests
                .values()
                .filter(|l| l.portal == name && l.taken.is_none())
                .count();
            if open >= s.queue_cap {
                return Err(SubmitError::Refused(Refusal::QueueFull));
            }
            let mode = match (sub.portal.mode, &sub.rep) {
                (PortalMode::Queue, _) => RouteMode::Queue,
                (PortalMode::SmartMatch, Some(handle)) => {
                    let on_portal = s.router.reps_on(&name);
                    let chosen = on_portal
                        .into_iter()
                        .find(|r| views::rep_handle(*r) == *handle);
                    match chosen {
                        Some(rep) => RouteMode::Match { rep },
                        None => return Err(SubmitError::Refused(Refusal::RepNotAvailable)),
                    }
                }
                _ => RouteMode::Broadcast,
            };
            let id = s
                .router
                .submit(&name, mode, now)
                .map_err(SubmitError::Refused)?;
            s.portals.insert(name.clone(), sub.portal.clone());
            s.requests.insert(
                id,
                Live {
                    db_id: Some(sub.db_id),
                    portal: name,
                    mode: sub.portal.mode,
                    chat_start: sub.portal.chat_start,
                    customer: sub.form.customer,
                    question: sub.form.question,
                    fields: sub.form.fields,
                    customer_conn: Some((conn, tx)),
                    taken: None,
                    chat: Vec::new(),
                    shown: None,
                },
            );
            s.customers.insert(conn, id);
            s.send_status(id, now);
            Ok(id)
        })
    }

    /// The customer withdraws a request nobody took yet; false if it is not theirs or taken.
    pub fn withdraw(&self, conn: ConnId, request: RequestId, now: Instant) -> bool {
        self.with(now, |s| {
            let open = s.requests.get(&request).is_some_and(|l| l.taken.is_none());
            if s.customers.get(&conn) != Some(&request) || !open {
                return false;
            }
            s.customer_gone(conn, "the customer withdrew the request", now);
            true
        })
    }

    /// Request rows that ended since the last call, with why (the timer task records them).
    pub fn take_finished(&self) -> Vec<(i64, String)> {
        std::mem::take(&mut self.lock().finished)
    }

    /// A representative's console joins the desk or changes whether it takes queue requests.
    #[allow(clippy::too_many_arguments)]
    pub fn set_accepting(
        &self,
        rep: &crate::storage::Representative,
        portal: &str,
        portal_record: Option<PortalRecord>,
        conn: ConnId,
        tx: Outbox,
        accepting: bool,
        now: Instant,
    ) {
        self.with(now, |s| {
            if let Some(record) = portal_record {
                s.portals.insert(record.name.clone(), record);
            }
            let entry = s.reps.entry(rep.id).or_insert_with(|| DeskRep {
                name: rep.name.clone(),
                portal: portal.to_owned(),
                accepting,
                conns: HashMap::new(),
            });
            let fresh = entry.conns.is_empty() || entry.portal != portal;
            entry.portal = portal.to_owned();
            entry.accepting = accepting;
            entry.conns.insert(conn, tx);
            s.rep_conns.insert(conn, rep.id);
            if fresh {
                s.router.rep_online(rep.id, portal, SESSION_LIMIT, now);
            }
            s.router.set_accepting(rep.id, accepting, now);
            s.send_queries(rep.id, now);
        });
    }

    /// A connection closed: a customer's request is withdrawn (or its chat told), a
    /// representative leaves the desk when their last console goes; the requests a console
    /// took move to the representative's other console, or end.
    pub fn conn_closed(&self, conn: ConnId, now: Instant) {
        self.with(now, |s| {
            for watchers in s.watchers.values_mut() {
                watchers.remove(&conn);
            }
            s.watchers.retain(|_, w| !w.is_empty());
            if let Some(rep) = s.rep_conns.remove(&conn) {
                let gone = s.reps.get_mut(&rep).is_some_and(|d| {
                    d.conns.remove(&conn);
                    d.conns.is_empty()
                });
                if gone {
                    s.reps.remove(&rep);
                    s.router.rep_offline(rep, now);
                }
                s.console_gone(rep, conn, now);
            }
            s.customer_gone(conn, "the customer closed the page", now);
        })
    }

    /// A representative at the desk accepts `request`.
    pub fn accept(
        &self,
        rep: RepKey,
        conn: ConnId,
        tx: Outbox,
        request: RequestId,
        now: Instant,
    ) -> Result<Accepted, AcceptError> {
        self.with(now, |s| {
            let rep_name = s
                .reps
                .get(&rep)
                .map(|d| d.name.clone())
                .ok_or(AcceptError::NotOffered)?;
            s.router.accept(rep, request, now)?;
            let live = s.requests.get_mut(&request).ok_or(AcceptError::Unknown)?;
            live.taken = Some(Taken {
                rep,
                rep_name,
                rep_conn: conn,
                rep_tx: tx,
                code: None,
                session: None,
                in_session: false,
                released: false,
            });
            let accepted = Accepted {
                db_id: live.db_id,
                customer: live.customer.clone(),
                portal: live.portal.clone(),
                chat_start: live.chat_start,
            };
            s.send_taken(request);
            s.send_status(request, now);
            Ok(accepted)
        })
    }

    /// The request `conn` (its representative) took, if it did.
    pub fn taken_by(&self, conn: ConnId, request: RequestId) -> Option<Accepted> {
        let s = self.lock();
        let live = s.requests.get(&request)?;
        let taken = live.taken.as_ref()?;
        (taken.rep_conn == conn).then(|| Accepted {
            db_id: live.db_id,
            customer: live.customer.clone(),
            portal: live.portal.clone(),
            chat_start: live.chat_start,
        })
    }

    /// The customer app is needed: the request's code is `code` (row `code_id`).
    pub fn attach_code(&self, request: RequestId, code: CodeInfo, code_id: i64, now: Instant) {
        self.with(now, |s| {
            if let Some(taken) = s.requests.get_mut(&request).and_then(|l| l.taken.as_mut()) {
                taken.code = Some((code, code_id));
                s.send_taken(request);
                s.send_status(request, now);
            }
        });
    }

    /// A code was redeemed, opening `session`: if a request waits for it, its customer app
    /// has joined.
    pub fn code_redeemed(&self, code_id: i64, session: u64, now: Instant) {
        self.with(now, |s| {
            let found = s.requests.iter_mut().find_map(|(id, l)| {
                let t = l.taken.as_mut()?;
                (t.code.as_ref().map(|(_, c)| *c) == Some(code_id)).then(|| {
                    t.in_session = true;
                    t.session = Some(session);
                    *id
                })
            });
            if let Some(id) = found {
                s.send_status(id, now);
            }
        });
    }

    /// `session` ended: a request it came from frees its representative for the queue, and
    /// its customer's page says so (the request stays for the representative's notes).
    pub fn session_over(&self, session: u64, now: Instant) {
        self.with(now, |s| {
            let State {
                requests,
                router,
                customers,
                finished,
                ..
            } = s;
            let mut orphans = Vec::new();
            for (id, live) in requests.iter_mut() {
                let Some(t) = live.taken.as_mut() else {
                    continue;
                };
                if t.session != Some(session) || t.released {
                    continue;
                }
                t.released = true;
                router.session_ended(t.rep, now);
                let ended = tandem_protocol::front_desk::RequestState::Ended {
                    reason: "The support session has ended. Thank you for contacting us."
                        .to_owned(),
                };
                if let Some((_, tx)) = &live.customer_conn {
                    let _ = tx.send(PortalMessage::RequestStatus {
                        request: *id,
                        state: ended.clone(),
                    });
                }
                live.shown = Some(ended);
                if t.rep_conn == NO_CONSOLE {
                    orphans.push(*id);
                }
            }
            // Nobody is left to close these: they end here.
            for id in orphans {
                if let Some(live) = requests.remove(&id) {
                    if let Some((c, _)) = live.customer_conn {
                        customers.remove(&c);
                    }
                    if let Some(db) = live.db_id {
                        finished.push((db, "the session ended".to_owned()));
                    }
                }
            }
        });
    }

    /// A Web Chat line from `conn` (the customer or the representative who took the
    /// request): sent to both. `None` if `conn` is neither or the chat has not begun.
    pub fn chat(
        &self,
        conn: ConnId,
        request: RequestId,
        text: &str,
        now: Instant,
    ) -> Option<ChatLine> {
        self.with(now, |s| s.chat(conn, request, text))
    }

    /// The representative closes a request they took; returns its row.
    pub fn close(
        &self,
        conn: ConnId,
        request: RequestId,
        reason: &str,
        now: Instant,
    ) -> Result<Option<i64>, NotTaken> {
        self.with(now, |s| {
            let owns = s
                .requests
                .get(&request)
                .and_then(|l| l.taken.as_ref())
                .is_some_and(|t| t.rep_conn == conn);
            if !owns {
                return Err(NotTaken);
            }
            let live = s.requests.remove(&request).ok_or(NotTaken)?;
            if let Some((c, tx)) = &live.customer_conn {
                s.customers.remove(c);
                let _ = tx.send(PortalMessage::RequestStatus {
                    request,
                    state: tandem_protocol::front_desk::RequestState::Ended {
                        reason: reason.to_owned(),
                    },
                });
            }
            if let Some(t) = live.taken.as_ref().filter(|t| !t.released) {
                s.router.session_ended(t.rep, now);
            }
            Ok(live.db_id)
        })
    }

    /// When the router next needs [`Desk::handle_timeout`].
    pub fn next_timeout(&self) -> Option<Instant> {
        self.lock().router.poll_timeout()
    }

    /// Moves queue offers whose time ran out.
    pub fn handle_timeout(&self, now: Instant) {
        self.with(now, |s| s.router.handle_timeout(now));
    }

    /// The code of a request, for tests and the console.
    pub fn code_of(&self, request: RequestId) -> Option<SessionCode> {
        let s = self.lock();
        let t = s.requests.get(&request)?.taken.as_ref()?;
        t.code.as_ref().map(|(c, _)| c.code)
    }
}
