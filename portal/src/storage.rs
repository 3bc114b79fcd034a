//! Persistent records: representatives, codes, sessions, consent and specialist keys.
//!
//! [`Backend`] is the storage contract, written as plain blocking calls with `now` passed in;
//! [`SqliteBackend`] is the one implementation today (PostgreSQL can implement the same
//! trait for several portal nodes). [`Storage`] is the async handle the server uses: it runs
//! each call on tokio's blocking pool with the backend behind a mutex.
//!
//! ```text
//!  ws.rs / web.rs ──► Storage::call(|b| b.redeem_code(..)) ──► spawn_blocking ──► SQLite (WAL)
//! ```

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tandem_protocol::front_desk::Outcome;
use tandem_protocol::signal::AttendeeInfo;
use tandem_protocol::{AttendeeId, Rights, SessionCode};

use crate::audit::Record as AuditRecord;
use crate::auth;
use crate::codes::{CodeRefusal, StoredState};

mod front_desk;
mod sqlite;

pub use front_desk::{NewHelpRequest, PortalRecord, RequestEnd};

pub use sqlite::SqliteBackend;

/// Seconds since the Unix epoch, as stored in every time column.
pub type UnixTime = i64;

/// The current time as [`UnixTime`].
pub fn unix_now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// `add_representative` with a user name that is taken.
    #[error("a representative named '{0}' exists already")]
    UserExists(String),
    /// A stored value does not parse (a hand-edited or newer database).
    #[error("the database holds an invalid value: {0}")]
    Corrupt(String),
    /// The database was written by a newer portal.
    #[error("the database has schema version {0}, newer than this portal understands")]
    SchemaTooNew(i64),
    /// The blocking task running the call panicked or was cancelled.
    #[error("the database task failed: {0}")]
    Task(String),
    /// Too many password checks are waiting ([`crate::auth::PasswordChecks`]).
    #[error("{0}")]
    Busy(String),
}

/// A representative account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representative {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub user: String,
    /// Name shown to customers.
    pub name: String,
    /// May manage other accounts.
    pub is_admin: bool,
}

/// One issued code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// Row id (codes repeat over time; the row id does not).
    pub id: i64,
    /// The 9 digits.
    pub code: SessionCode,
    /// Who issued it.
    pub rep_id: i64,
    /// The issuing representative's display name.
    pub rep_name: String,
    /// The customer's name as the representative typed it.
    pub customer: String,
    /// The customer portal.
    pub portal: String,
    /// Issue time.
    pub created_at: UnixTime,
    /// First second at which it no longer works.
    pub expires_at: UnixTime,
    /// Stored state (expiry follows from `expires_at`).
    pub state: StoredState,
    /// When it was redeemed.
    pub redeemed_at: Option<UnixTime>,
}

/// A session's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Session number (the `session` in signalling messages).
    pub id: u64,
    /// The redeemed code's row id.
    pub code_id: i64,
    /// The host representative.
    pub rep_id: i64,
    /// Who is at the customer's machine, as the agent reported it.
    pub customer: String,
    /// The customer portal.
    pub portal: String,
    /// When the code was redeemed.
    pub started_at: UnixTime,
    /// When it ended (`None` while running).
    pub ended_at: Option<UnixTime>,
    /// Why it ended.
    pub end_reason: Option<String>,
}

/// A code to issue with [`Backend::issue_code`].
#[derive(Debug, Clone, Copy)]
pub struct NewCode<'a> {
    /// The issuing representative.
    pub rep_id: i64,
    /// Freshly drawn digits.
    pub code: SessionCode,
    /// The customer's name.
    pub customer: &'a str,
    /// The customer portal.
    pub portal: &'a str,
    /// First second at which the code no longer works.
    pub expires_at: UnixTime,
    /// The representative's limit of active codes.
    pub max_active: usize,
}

/// What [`Backend::issue_code`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Stored and active.
    Issued(CodeRecord),
    /// Another active code has the same digits; draw again.
    Collision,
    /// The representative already has the maximum number of active codes.
    TooMany,
}

/// A successful redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// The new session's number.
    pub session_id: u64,
    /// The code, now in state `Redeemed`.
    pub code: CodeRecord,
}

/// Stored state of a specialist's support key. A key also stops working when its session
/// ends; that follows from the session record and is not stored here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Admits specialists while the session runs.
    Active,
    /// Withdrawn by the host; admits nobody new.
    Cancelled,
}

impl KeyState {
    /// The value in the `specialist_keys.state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Cancelled => "cancelled",
        }
    }

    /// Parses the `specialist_keys.state` column.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(KeyState::Active),
            "cancelled" => Some(KeyState::Cancelled),
            _ => None,
        }
    }
}

/// A support key that invites external specialists into one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialistKey {
    /// Row id.
    pub id: i64,
    /// The 9 digits (they share the `/join/<digits>` space with codes).
    pub key: SessionCode,
    /// The session it admits to.
    pub session_id: u64,
    /// Rights a specialist joining with it gets.
    pub rights: Rights,
    /// Issue time.
    pub created_at: UnixTime,
    /// Stored state.
    pub state: KeyState,
    /// When the host cancelled it.
    pub cancelled_at: Option<UnixTime>,
    /// The session's record says it has ended.
    pub session_ended: bool,
    /// The host representative's display name.
    pub host_name: String,
    /// The customer's name from the session record.
    pub customer: String,
}

impl SpecialistKey {
    /// Admits specialists now: active and its session not over.
    pub fn is_live(&self) -> bool {
        self.state == KeyState::Active && !self.session_ended
    }
}

/// What [`Backend::issue_specialist_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyIssue {
    /// Stored and active.
    Issued(SpecialistKey),
    /// The digits belong to an active code or a live key; draw again.
    Collision,
}

/// What a running session needs to come back, suspended, after the portal restarts.
#[derive(Clone, PartialEq)]
pub struct LiveState {
    /// Session number.
    pub session_id: u64,
    /// The redeemed code's row id.
    pub code_id: i64,
    /// Whose code it was, on which portal (the sessions table has it; `save_live` does not
    /// write it).
    pub owner: crate::hub::Owner,
    /// The customer's name.
    pub customer: String,
    /// The host's entry as the agent was told in `Redeemed`.
    pub host: AttendeeInfo,
    /// The digest of the agent's resume secret (never the secret).
    pub resume_digest: Vec<u8>,
    /// Grants sent to the agent so far (the last `Grant::seq`).
    pub grants: u64,
    /// The id the next invited attendee gets.
    pub next_attendee: u32,
    /// The agent is away (the session is suspended).
    pub away: bool,
    /// Everyone in the session but the customer, with their current rights.
    pub attendees: Vec<AttendeeInfo>,
    /// Invited representatives' places (present or not), to return to after a restart.
    pub seats: Vec<Seat>,
    /// External specialists' places (present or not), to return to after a restart.
    pub specialist_seats: Vec<SpecialistSeat>,
}

/// An invited representative's place in a session: its account and attendee entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    /// The representative's account.
    pub rep_id: i64,
    /// Attendee id, name, rights and masking as granted.
    pub info: AttendeeInfo,
}

/// An external specialist's place in a session: the key it joined with, what the portal
/// keeps of its seat token, and its attendee entry with the rights in force.
#[derive(Clone, PartialEq)]
pub struct SpecialistSeat {
    /// The support key it joined with.
    pub key: SessionCode,
    /// The digest of its seat token (never the token).
    pub token_digest: Vec<u8>,
    /// Attendee id, name and rights as last granted.
    pub info: AttendeeInfo,
}

impl std::fmt::Debug for SpecialistSeat {
    /// Like a derived `Debug` (the key's own `Debug` is redacted), without the digest.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpecialistSeat")
            .field("key", &self.key)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for LiveState {
    /// Like a derived `Debug`, but the digest is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveState")
            .field("session_id", &self.session_id)
            .field("code_id", &self.code_id)
            .field("owner", &self.owner)
            .field("customer", &self.customer)
            .field("host", &self.host)
            .field("grants", &self.grants)
            .field("next_attendee", &self.next_attendee)
            .field("away", &self.away)
            .field("attendees", &self.attendees)
            .finish_non_exhaustive()
    }
}

/// A session found running at start-up that is still within its resume window.
#[derive(Debug, Clone, PartialEq)]
pub struct Restorable {
    /// What was stored (`away` is true: it comes back suspended).
    pub state: LiveState,
    /// The last time it was known to run with its agent (or when the agent left).
    pub last_live: UnixTime,
}

/// The storage contract. Every call is blocking and takes the current time as a parameter.
pub trait Backend: Send {
    /// Number of representative accounts.
    fn representative_count(&mut self) -> Result<u64, StorageError>;
    /// Adds an account; `UserExists` if the name is taken.
    fn add_representative(
        &mut self,
        user: &str,
        name: &str,
        password_hash: &str,
        is_admin: bool,
        now: UnixTime,
    ) -> Result<Representative, StorageError>;
    /// Appends an event to the audit trail (see [`crate::audit`]).
    fn append_audit(&mut self, event: &crate::audit::Event) -> Result<AuditRecord, StorageError>;
    /// The whole audit trail, in the order written.
    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StorageError>;
    /// Applies a checked management change (if any) and returns teams and policy after it;
    /// the inner error is the refusal's words (`PolicyRows::check`).
    fn manage_policy(
        &mut self,
        asker: Option<(crate::policy::RepId, bool)>,
        change: Option<&crate::management::PolicyChange>,
        now: UnixTime,
    ) -> Result<crate::management::Managed, StorageError>;
    /// Reads or changes `rep`'s second factor (`crate::totp`).
    fn second_factor(
        &mut self,
        rep: crate::policy::RepId,
        op: &crate::totp::FactorOp,
    ) -> Result<crate::totp::StoredFactor, StorageError>;
    /// The sessions of a report `asker` (account, administrator) may see.
    fn session_report(
        &mut self,
        asker: (crate::policy::RepId, bool),
        filter: &tandem_protocol::reports::ReportFilter,
    ) -> Result<crate::reports::ReportRows, StorageError>;
    /// Starts, updates or finds a session's recording (`crate::recording`).
    fn recording(
        &mut self,
        op: &crate::recording::RecordingOp,
    ) -> Result<crate::recording::RecordingAnswer, StorageError>;
    /// Replaces an account's password hash; `false` when there is no such account.
    fn set_password_hash(&mut self, user: &str, password_hash: &str) -> Result<bool, StorageError>;
    /// The account and its password hash.
    fn representative(
        &mut self,
        user: &str,
    ) -> Result<Option<(Representative, String)>, StorageError>;
    /// Stores a code unless its representative has `max_active` active codes or the digits
    /// belong to another active code. Both checks and the insert are atomic.
    fn issue_code(
        &mut self,
        new: &NewCode<'_>,
        now: UnixTime,
    ) -> Result<IssueOutcome, StorageError>;
    /// The representative's active codes, newest first.
    fn active_codes(&mut self, rep_id: i64, now: UnixTime)
    -> Result<Vec<CodeRecord>, StorageError>;
    /// The record the digits refer to: the active one if any, else the most recent.
    fn find_code(
        &mut self,
        code: SessionCode,
        now: UnixTime,
    ) -> Result<Option<CodeRecord>, StorageError>;
    /// Cancels the representative's active code.
    fn cancel_code(
        &mut self,
        rep_id: i64,
        code: SessionCode,
        now: UnixTime,
    ) -> Result<Result<CodeRecord, CodeRefusal>, StorageError>;
    /// Redeems an active code exactly once and opens its session record, atomically.
    fn redeem_code(
        &mut self,
        code: SessionCode,
        customer: &str,
        now: UnixTime,
    ) -> Result<Result<Redemption, CodeRefusal>, StorageError>;
    /// The session opened by redeeming code row `code_id`.
    fn session_for_code(&mut self, code_id: i64) -> Result<Option<SessionRecord>, StorageError>;
    /// A session by number.
    fn session(&mut self, id: u64) -> Result<Option<SessionRecord>, StorageError>;
    /// Marks a running session ended; false if it had ended already.
    fn end_session(&mut self, id: u64, reason: &str, now: UnixTime) -> Result<bool, StorageError>;
    /// Ends every session still marked running (after a restart nobody is connected).
    fn end_open_sessions(&mut self, reason: &str, now: UnixTime) -> Result<usize, StorageError>;
    /// Records what the customer allowed an attendee.
    fn record_consent(
        &mut self,
        session: u64,
        attendee: AttendeeId,
        allowed: Rights,
        now: UnixTime,
    ) -> Result<(), StorageError>;
    /// Stores a specialist key for `session` unless the digits belong to an active code or
    /// a live key. The check and the insert are atomic.
    fn issue_specialist_key(
        &mut self,
        session: u64,
        key: SessionCode,
        rights: Rights,
        now: UnixTime,
    ) -> Result<KeyIssue, StorageError>;
    /// The key the digits refer to: the live one if any, else the most recent.
    fn find_specialist_key(
        &mut self,
        key: SessionCode,
    ) -> Result<Option<SpecialistKey>, StorageError>;
    /// Cancels `session`'s key with these digits (already cancelled stays cancelled).
    /// `None` when the session has no such key.
    fn cancel_specialist_key(
        &mut self,
        session: u64,
        key: SessionCode,
        now: UnixTime,
    ) -> Result<Option<SpecialistKey>, StorageError>;
    /// Every specialist key of a session, oldest first (part of the session record).
    fn specialist_keys(&mut self, session: u64) -> Result<Vec<SpecialistKey>, StorageError>;
    /// Stores what a running session needs to survive a restart (replacing what was
    /// stored); nothing when the session has ended. `live_at` becomes `now` unless the agent
    /// is away; the time the agent went away is kept across writes while it stays away.
    fn save_live(&mut self, state: &LiveState, now: UnixTime) -> Result<(), StorageError>;
    /// Every running session whose agent is connected was live at `now` (a heartbeat, so
    /// that after a crash the resume window counts from close to the crash).
    fn touch_live(&mut self, now: UnixTime) -> Result<(), StorageError>;
    /// The portal stops: every running session is suspended as of `now` (sessions already
    /// suspended keep the time their agent left).
    fn suspend_live(&mut self, now: UnixTime) -> Result<usize, StorageError>;
    /// At start-up: the running sessions last live less than `window_secs` ago (they are
    /// marked suspended); every other running session ends with `reason`. Returns those to
    /// restore and how many ended.
    fn restore_open_sessions(
        &mut self,
        reason: &str,
        now: UnixTime,
        window_secs: i64,
    ) -> Result<(Vec<Restorable>, usize), StorageError>;
    /// The portal's secret named `name`, stored as `fresh` the first time it is asked for
    /// (kept across restarts; never shown or logged).
    fn portal_secret(&mut self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError>;

    // The front of house (customer portals, help requests, Web Chat, notes).

    /// Creates or replaces a customer portal.
    fn save_portal(&mut self, portal: &PortalRecord, now: UnixTime) -> Result<(), StorageError>;
    /// One customer portal.
    fn portal(&mut self, name: &str) -> Result<Option<PortalRecord>, StorageError>;
    /// Every customer portal, by name.
    fn portals(&mut self) -> Result<Vec<PortalRecord>, StorageError>;
    /// Records a help request; its row id.
    fn open_request(
        &mut self,
        request: &NewHelpRequest,
        now: UnixTime,
    ) -> Result<i64, StorageError>;
    /// Records who accepted a help request.
    fn request_accepted(
        &mut self,
        request: i64,
        rep_id: i64,
        now: UnixTime,
    ) -> Result<(), StorageError>;
    /// Links a help request to the code its customer app joins with.
    fn request_code(&mut self, request: i64, code_id: i64) -> Result<(), StorageError>;
    /// Records the end of a help request (the first reason stays; notes are replaced).
    fn end_request(
        &mut self,
        request: i64,
        end: &RequestEnd,
        now: UnixTime,
    ) -> Result<(), StorageError>;
    /// Keeps one Web Chat line with its request.
    fn web_chat_line(
        &mut self,
        request: i64,
        from_customer: bool,
        name: &str,
        text: &str,
        now: UnixTime,
    ) -> Result<(), StorageError>;
    /// Stores notes and an outcome with a session that `rep_id` hosted; false if it did not.
    fn session_notes(
        &mut self,
        session: u64,
        rep_id: i64,
        notes: &str,
        outcome: Outcome,
    ) -> Result<bool, StorageError>;
}

/// Shared async handle to a [`Backend`].
#[derive(Clone)]
pub struct Storage {
    backend: Arc<Mutex<Box<dyn Backend>>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Storage")
    }
}

fn lock(backend: &Mutex<Box<dyn Backend>>) -> MutexGuard<'_, Box<dyn Backend>> {
    // A panic while holding the lock leaves no half-done work behind: every multi-statement
    // change is a transaction that rolls back when dropped. So the backend stays usable.
    backend
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Storage {
    /// Wraps a backend.
    pub fn new(backend: impl Backend + 'static) -> Self {
        Storage {
            backend: Arc::new(Mutex::new(Box::new(backend))),
        }
    }

    /// Opens (creating if needed) the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StorageError> {
        let path = path.to_owned();
        let backend = tokio::task::spawn_blocking(move || SqliteBackend::open(&path))
            .await
            .map_err(|e| StorageError::Task(e.to_string()))??;
        Ok(Storage::new(backend))
    }

    /// Runs `f` with the backend on the blocking pool.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StorageError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn Backend) -> Result<R, StorageError> + Send + 'static,
    {
        let backend = Arc::clone(&self.backend);
        tokio::task::spawn_blocking(move || f(lock(&backend).as_mut()))
            .await
            .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// Checks a login. `Ok(None)` for an unknown user and for a wrong password alike, after
    /// the same Argon2 work, so neither the answer nor its timing tells which was wrong.
    pub async fn login(
        &self,
        checks: &auth::PasswordChecks,
        user: String,
        password: String,
    ) -> Result<Option<Representative>, StorageError> {
        let backend = Arc::clone(&self.backend);
        checks
            .run(move || {
                // The lock is released before the (slow) hash check.
                let found = lock(&backend).representative(&user)?;
                Ok(match found {
                    Some((rep, hash)) if auth::verify_password(&password, &hash) => Some(rep),
                    Some(_) => None,
                    None => {
                        auth::verify_against_nothing(&password);
                        None
                    }
                })
            })
            .await
            .map_err(|e| StorageError::Busy(e.to_string()))?
    }
}
