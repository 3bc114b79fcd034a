//! The SQLite [`Backend`]: one connection in WAL mode, schema versioned by `user_version`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tandem_protocol::{AttendeeId, Rights, SessionCode};

use super::{
    Backend, CodeRecord, IssueOutcome, KeyIssue, LiveState, NewCode, NewHelpRequest, PortalRecord,
    Redemption, Representative, RequestEnd, Restorable, SessionRecord, SpecialistKey, StorageError,
    UnixTime,
};
use crate::audit::Record as AuditRecord;
use crate::codes::{self, CodeRefusal, StoredState};
use tandem_protocol::front_desk::Outcome;

mod audit;
mod front_desk;
mod keys;
mod live;
mod policy;
mod recordings;
mod reports;
mod rows;
mod schema;
mod second_factor;

use rows::{code_row, parse_code, parse_session, session_row};
use schema::{MIGRATIONS, SCHEMA_VERSION};

const CODE_COLUMNS: &str = "c.id, c.code, c.representative_id, r.display_name, c.customer, \
     c.portal, c.created_at, c.expires_at, c.state, c.redeemed_at";

const SESSION_COLUMNS: &str =
    "id, code_id, representative_id, customer, portal, started_at, ended_at, end_reason";

/// Creates the database file readable only by this user, or makes an existing one (and its
/// `-wal` and `-shm` files) so. SQLite gives the files it creates next to a database the
/// database's own permissions, so they follow.
fn make_private(path: &Path) -> Result<(), StorageError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| StorageError::Corrupt(format!("{}: {e}", path.display()));
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
            }
        }
    }
    Ok(())
}

/// SQLite storage in one file.
#[derive(Debug)]
pub struct SqliteBackend {
    conn: Connection,
}

impl SqliteBackend {
    /// Opens or creates the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        // Switching a new database to WAL needs an exclusive lock, and SQLite reports BUSY at
        // once (without its busy handler) when another process (`add-rep` beside a starting
        // portal) holds one: retry for a few seconds.
        make_private(path)?;
        let mut attempts = 0;
        loop {
            match Self::init(Connection::open(path)?) {
                Err(StorageError::Database(rusqlite::Error::SqliteFailure(e, _)))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy && attempts < 100 =>
                {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// A private in-memory database (unit tests).
    pub fn open_in_memory() -> Result<Self, StorageError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StorageError> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // Readers (another portal process, an admin's sqlite3 shell) do not block writers.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::SchemaTooNew(version));
        }
        let start = usize::try_from(version).unwrap_or(0);
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(start) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process (`add-rep` next to a starting server) may have migrated since
            // the version was read; under the write lock the version is current.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if usize::try_from(now).unwrap_or(0) > step {
                continue;
            }
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", step + 1)?;
            tx.commit()?;
        }
        Ok(SqliteBackend { conn })
    }
}

fn corrupt(what: impl Into<String>) -> StorageError {
    StorageError::Corrupt(what.into())
}

fn session_key(id: u64) -> Result<i64, StorageError> {
    i64::try_from(id).map_err(|_| corrupt(format!("session id {id} out of range")))
}

/// The best record for `code` on `conn`: the active one, else the newest.
fn find_code_on(
    conn: &Connection,
    code: SessionCode,
    now: UnixTime,
) -> Result<Option<CodeRecord>, StorageError> {
    let sql = format!(
        "SELECT {CODE_COLUMNS} FROM codes c JOIN representatives r ON r.id = c.representative_id
         WHERE c.code = ?1
         ORDER BY (c.state = 'active' AND c.expires_at > ?2) DESC, c.id DESC LIMIT 1"
    );
    let row = conn
        .query_row(&sql, params![code.digits(), now], code_row)
        .optional()?;
    row.map(parse_code).transpose()
}

impl Backend for SqliteBackend {
    fn representative_count(&mut self) -> Result<u64, StorageError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM representatives", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn add_representative(
        &mut self,
        user: &str,
        name: &str,
        password_hash: &str,
        is_admin: bool,
        now: UnixTime,
    ) -> Result<Representative, StorageError> {
        let inserted = self.conn.execute(
            "INSERT INTO representatives (username, display_name, password_hash, is_admin, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (username) DO NOTHING",
            params![user, name, password_hash, is_admin, now],
        )?;
        if inserted == 0 {
            return Err(StorageError::UserExists(user.to_owned()));
        }
        let id = self.conn.last_insert_rowid();
        Ok(Representative {
            id,
            user: user.to_owned(),
            name: name.to_owned(),
            is_admin,
        })
    }

    fn set_password_hash(&mut self, user: &str, hash: &str) -> Result<bool, StorageError> {
        let sql = "UPDATE representatives SET password_hash = ?2 WHERE username = ?1";
        Ok(self.conn.execute(sql, params![user, hash])? == 1)
    }

    fn representative(
        &mut self,
        user: &str,
    ) -> Result<Option<(Representative, String)>, StorageError> {
        let found = self
            .conn
            .query_row(
                "SELECT id, username, display_name, is_admin, password_hash FROM representatives \
                 WHERE username = ?1",
                params![user],
                |r| {
                    let rep = Representative {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        name: r.get(2)?,
                        is_admin: r.get(3)?,
                    };
                    Ok((rep, r.get(4)?))
                },
            )
            .optional()?;
        Ok(found)
    }

    fn issue_code(
        &mut self,
        new: &NewCode<'_>,
        now: UnixTime,
    ) -> Result<IssueOutcome, StorageError> {
        let NewCode {
            rep_id,
            code,
            customer,
            portal,
            expires_at,
            max_active,
        } = *new;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let active: i64 = tx.query_row(
            "SELECT COUNT(*) FROM codes WHERE representative_id = ?1 AND state = 'active' \
             AND expires_at > ?2",
            params![rep_id, now],
            |r| r.get(0),
        )?;
        if usize::try_from(active).unwrap_or(usize::MAX) >= max_active {
            return Ok(IssueOutcome::TooMany);
        }
        if keys::digits_taken(&tx, code, now)? {
            return Ok(IssueOutcome::Collision);
        }
        tx.execute(
            "INSERT INTO codes (code, representative_id, customer, portal, created_at, \
             expires_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active')",
            params![code.digits(), rep_id, customer, portal, now, expires_at],
        )?;
        let id = tx.last_insert_rowid();
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN representatives r \
             ON r.id = c.representative_id WHERE c.id = ?1"
        );
        let record = parse_code(tx.query_row(&sql, params![id], code_row)?)?;
        tx.commit()?;
        Ok(IssueOutcome::Issued(record))
    }

    fn active_codes(
        &mut self,
        rep_id: i64,
        now: UnixTime,
    ) -> Result<Vec<CodeRecord>, StorageError> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN representatives r \
             ON r.id = c.representative_id
             WHERE c.representative_id = ?1 AND c.state = 'active' AND c.expires_at > ?2
             ORDER BY c.created_at DESC, c.id DESC"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![rep_id, now], code_row)?;
        rows.map(|row| parse_code(row?)).collect()
    }

    fn find_code(
        &mut self,
        code: SessionCode,
        now: UnixTime,
    ) -> Result<Option<CodeRecord>, StorageError> {
        find_code_on(&self.conn, code, now)
    }

    fn cancel_code(
        &mut self,
        rep_id: i64,
        code: SessionCode,
        now: UnixTime,
    ) -> Result<Result<CodeRecord, CodeRefusal>, StorageError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut record) = find_code_on(&tx, code, now)?.filter(|c| c.rep_id == rep_id) else {
            return Ok(Err(CodeRefusal::Unknown));
        };
        if let Some(refusal) =
            CodeRefusal::for_status(codes::status(record.state, record.expires_at, now))
        {
            return Ok(Err(refusal));
        }
        tx.execute(
            "UPDATE codes SET state = 'cancelled', cancelled_at = ?2 WHERE id = ?1",
            params![record.id, now],
        )?;
        tx.commit()?;
        record.state = StoredState::Cancelled;
        Ok(Ok(record))
    }

    fn redeem_code(
        &mut self,
        code: SessionCode,
        customer: &str,
        now: UnixTime,
    ) -> Result<Result<Redemption, CodeRefusal>, StorageError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut record) = find_code_on(&tx, code, now)? else {
            return Ok(Err(CodeRefusal::Unknown));
        };
        if let Some(refusal) =
            CodeRefusal::for_status(codes::status(record.state, record.expires_at, now))
        {
            return Ok(Err(refusal));
        }
        // The state condition makes "exactly once" hold even against another process.
        let changed = tx.execute(
            "UPDATE codes SET state = 'redeemed', redeemed_at = ?2 \
             WHERE id = ?1 AND state = 'active'",
            params![record.id, now],
        )?;
        if changed != 1 {
            return Ok(Err(CodeRefusal::Redeemed));
        }
        tx.execute(
            "INSERT INTO sessions (code_id, representative_id, customer, portal, started_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![record.id, record.rep_id, customer, record.portal, now],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        record.state = StoredState::Redeemed;
        record.redeemed_at = Some(now);
        let session_id = u64::try_from(id).map_err(|_| corrupt(format!("session id {id}")))?;
        Ok(Ok(Redemption {
            session_id,
            code: record,
        }))
    }

    fn session_for_code(&mut self, code_id: i64) -> Result<Option<SessionRecord>, StorageError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE code_id = ?1");
        let row = self
            .conn
            .query_row(&sql, params![code_id], session_row)
            .optional()?;
        row.map(parse_session).transpose()
    }

    fn session(&mut self, id: u64) -> Result<Option<SessionRecord>, StorageError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1");
        let row = self
            .conn
            .query_row(&sql, params![session_key(id)?], session_row)
            .optional()?;
        row.map(parse_session).transpose()
    }

    fn end_session(&mut self, id: u64, reason: &str, now: UnixTime) -> Result<bool, StorageError> {
        let changed = self.conn.execute(
            "UPDATE sessions SET ended_at = ?2, end_reason = ?3 \
             WHERE id = ?1 AND ended_at IS NULL",
            params![session_key(id)?, now, reason],
        )?;
        live::forget(&self.conn, session_key(id)?)?;
        Ok(changed == 1)
    }

    fn end_open_sessions(&mut self, reason: &str, now: UnixTime) -> Result<usize, StorageError> {
        let ended = self.conn.execute(
            "UPDATE sessions SET ended_at = ?1, end_reason = ?2 WHERE ended_at IS NULL",
            params![now, reason],
        )?;
        live::forget_ended(&self.conn)?;
        Ok(ended)
    }

    fn record_consent(
        &mut self,
        session: u64,
        attendee: AttendeeId,
        allowed: Rights,
        now: UnixTime,
    ) -> Result<(), StorageError> {
        self.conn.execute(
            "INSERT INTO consents (session_id, attendee, rights, at) VALUES (?1, ?2, ?3, ?4)",
            params![
                session_key(session)?,
                attendee.to_wire(),
                allowed.to_wire(),
                now
            ],
        )?;
        Ok(())
    }

    fn issue_specialist_key(
        &mut self,
        session: u64,
        key: SessionCode,
        rights: Rights,
        now: UnixTime,
    ) -> Result<KeyIssue, StorageError> {
        keys::issue(&mut self.conn, session_key(session)?, key, rights, now)
    }

    fn find_specialist_key(
        &mut self,
        key: SessionCode,
    ) -> Result<Option<SpecialistKey>, StorageError> {
        keys::find(&self.conn, key)
    }

    fn cancel_specialist_key(
        &mut self,
        session: u64,
        key: SessionCode,
        now: UnixTime,
    ) -> Result<Option<SpecialistKey>, StorageError> {
        keys::cancel(&mut self.conn, session_key(session)?, key, now)
    }

    fn specialist_keys(&mut self, session: u64) -> Result<Vec<SpecialistKey>, StorageError> {
        keys::for_session(&self.conn, session_key(session)?)
    }

    fn save_live(&mut self, state: &LiveState, now: UnixTime) -> Result<(), StorageError> {
        live::save(&mut self.conn, state, now)
    }

    fn touch_live(&mut self, now: UnixTime) -> Result<(), StorageError> {
        live::touch(&self.conn, now)
    }

    fn suspend_live(&mut self, now: UnixTime) -> Result<usize, StorageError> {
        live::suspend_all(&self.conn, now)
    }

    fn save_portal(&mut self, portal: &PortalRecord, now: UnixTime) -> Result<(), StorageError> {
        front_desk::save_portal(&self.conn, portal, now)
    }

    fn portal(&mut self, name: &str) -> Result<Option<PortalRecord>, StorageError> {
        front_desk::portal(&self.conn, name)
    }

    fn portals(&mut self) -> Result<Vec<PortalRecord>, StorageError> {
        front_desk::portals(&self.conn)
    }

    fn open_request(
        &mut self,
        request: &NewHelpRequest,
        now: UnixTime,
    ) -> Result<i64, StorageError> {
        front_desk::open_request(&self.conn, request, now)
    }

    fn request_accepted(
        &mut self,
        request: i64,
        rep_id: i64,
        now: UnixTime,
    ) -> Result<(), StorageError> {
        front_desk::request_accepted(&self.conn, request, rep_id, now)
    }

    fn request_code(&mut self, request: i64, code_id: i64) -> Result<(), StorageError> {
        front_desk::request_code(&self.conn, request, code_id)
    }

    fn end_request(
        &mut self,
        request: i64,
        end: &RequestEnd,
        now: UnixTime,
    ) -> Result<(), StorageError> {
        front_desk::end_request(&self.conn, request, end, now)
    }

    fn web_chat_line(
        &mut self,
        request: i64,
        from_customer: bool,
        name: &str,
        text: &str,
        now: UnixTime,
    ) -> Result<(), StorageError> {
        front_desk::web_chat_line(&self.conn, request, from_customer, name, text, now)
    }

    fn session_notes(
        &mut self,
        session: u64,
        rep_id: i64,
        notes: &str,
        outcome: Outcome,
    ) -> Result<bool, StorageError> {
        front_desk::session_notes(&self.conn, session, rep_id, notes, outcome)
    }

    fn portal_secret(&mut self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        keys::portal_secret(&self.conn, name, fresh)
    }

    fn append_audit(&mut self, event: &crate::audit::Event) -> Result<AuditRecord, StorageError> {
        audit::append(&mut self.conn, event)
    }

    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StorageError> {
        audit::all(&self.conn)
    }

    fn manage_policy(
        &mut self,
        asker: Option<(crate::policy::RepId, bool)>,
        change: Option<&crate::management::PolicyChange>,
        now: UnixTime,
    ) -> Result<crate::management::Managed, StorageError> {
        policy::manage(&mut self.conn, asker, change, now)
    }

    fn second_factor(
        &mut self,
        rep: crate::policy::RepId,
        op: &crate::totp::FactorOp,
    ) -> Result<crate::totp::StoredFactor, StorageError> {
        second_factor::second_factor(&self.conn, rep, op)
    }

    fn session_report(
        &mut self,
        asker: (crate::policy::RepId, bool),
        filter: &tandem_protocol::reports::ReportFilter,
    ) -> Result<crate::reports::ReportRows, StorageError> {
        reports::report(&mut self.conn, asker, filter)
    }

    fn recording(
        &mut self,
        op: &crate::recording::RecordingOp,
    ) -> Result<crate::recording::RecordingAnswer, StorageError> {
        recordings::recording(&mut self.conn, op)
    }

    fn restore_open_sessions(
        &mut self,
        reason: &str,
        now: UnixTime,
        window_secs: i64,
    ) -> Result<(Vec<Restorable>, usize), StorageError> {
        live::restore(&mut self.conn, reason, now, window_secs)
    }
}

#[cfg(test)]
mod tests;
