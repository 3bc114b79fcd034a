//! The SQLite schema and its migrations.

/// The schema this portal writes. Bump and add a step to [`MIGRATIONS`] to change it.
pub(super) const SCHEMA_VERSION: i64 = 11;

/// `MIGRATIONS[n]` takes the database from version `n` to `n + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE representatives (
        id            INTEGER PRIMARY KEY,
        username      TEXT    NOT NULL UNIQUE,
        display_name  TEXT    NOT NULL,
        password_hash TEXT    NOT NULL,   -- Argon2id PHC string
        is_admin      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE codes (
        id                INTEGER PRIMARY KEY,
        code              TEXT    NOT NULL,   -- 9 digits; digits repeat over time
        representative_id INTEGER NOT NULL REFERENCES representatives(id),
        customer          TEXT    NOT NULL,
        portal            TEXT    NOT NULL,
        created_at        INTEGER NOT NULL,
        expires_at        INTEGER NOT NULL,
        state             TEXT    NOT NULL CHECK (state IN ('active', 'redeemed', 'cancelled')),
        redeemed_at       INTEGER,
        cancelled_at      INTEGER
    );
    CREATE INDEX codes_by_digits ON codes (code, state);
    CREATE INDEX codes_by_representative ON codes (representative_id, state);
    CREATE TABLE sessions (
        id                INTEGER PRIMARY KEY,
        code_id           INTEGER NOT NULL UNIQUE REFERENCES codes(id),
        representative_id INTEGER NOT NULL REFERENCES representatives(id),
        customer          TEXT    NOT NULL,   -- as the agent reported it
        portal            TEXT    NOT NULL,
        started_at        INTEGER NOT NULL,
        ended_at          INTEGER,
        end_reason        TEXT
    );
    CREATE TABLE consents (
        id         INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        attendee   INTEGER NOT NULL,
        rights     INTEGER NOT NULL,          -- Rights bits the customer allowed
        at         INTEGER NOT NULL
    );
",
    // 2: support keys inviting external specialists into a running session.
    "
    CREATE TABLE specialist_keys (
        id           INTEGER PRIMARY KEY,
        key          TEXT    NOT NULL,   -- 9 digits; share the /join/<digits> space with codes
        session_id   INTEGER NOT NULL REFERENCES sessions(id),
        rights       INTEGER NOT NULL,   -- Rights bits a specialist joining with it gets
        created_at   INTEGER NOT NULL,
        state        TEXT    NOT NULL CHECK (state IN ('active', 'cancelled')),
        cancelled_at INTEGER
    );
    CREATE INDEX specialist_keys_by_digits ON specialist_keys (key, state);
    CREATE INDEX specialist_keys_by_session ON specialist_keys (session_id);
",
    // 3: what a running session needs to come back suspended after a portal restart.
    "
    CREATE TABLE live_sessions (
        session_id    INTEGER PRIMARY KEY REFERENCES sessions(id),
        host_name     TEXT    NOT NULL,   -- the host's name as the agent was told it
        resume_digest BLOB    NOT NULL,   -- digest of the agent's resume secret, never the secret
        grants        INTEGER NOT NULL,   -- the last Grant seq sent to the agent
        next_attendee INTEGER NOT NULL,   -- the id the next invited attendee gets
        live_at       INTEGER NOT NULL,   -- last time the session was known to run
        suspended_at  INTEGER             -- since when the agent is away (NULL: connected)
    );
    CREATE TABLE live_attendees (
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        attendee   INTEGER NOT NULL,
        name       TEXT    NOT NULL,
        role       TEXT    NOT NULL,      -- host, representative, specialist
        rights     INTEGER NOT NULL,
        masked     INTEGER NOT NULL,
        PRIMARY KEY (session_id, attendee)
    );
",
    "
    CREATE TABLE live_seats (
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        rep_id     INTEGER NOT NULL REFERENCES representatives(id),
        attendee   INTEGER NOT NULL,
        name       TEXT    NOT NULL,
        rights     INTEGER NOT NULL,
        masked     INTEGER NOT NULL,
        PRIMARY KEY (session_id, rep_id)
    );
",
    // 5: the portal's own secrets (the key its join links' tokens are made with).
    "
    CREATE TABLE portal_secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
",
    // 6: external specialists' seats, so a restart gives them back the rights they had.
    "
    CREATE TABLE live_specialist_seats (
        session_id   INTEGER NOT NULL REFERENCES sessions(id),
        attendee     INTEGER NOT NULL,
        key          TEXT    NOT NULL,   -- the support key it joined with (9 digits)
        token_digest BLOB    NOT NULL,   -- digest of its seat token, never the token
        name         TEXT    NOT NULL,
        rights       INTEGER NOT NULL,   -- Rights bits in force when last stored
        PRIMARY KEY (session_id, attendee)
    );
",
    // 7: customer portals (mode, form, how sessions start), help requests without a code,
    // their Web Chat, and end-of-session notes.
    "
    CREATE TABLE portals (
        name       TEXT    PRIMARY KEY,
        title      TEXT    NOT NULL,
        mode       TEXT    NOT NULL,   -- smart_pin, smart_button, smart_box, smart_match, queue
        chat_start TEXT    NOT NULL,   -- web_chat, download
        fields     TEXT    NOT NULL,   -- JSON list of {label, required, kind}
        open       INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE help_requests (
        id           INTEGER PRIMARY KEY,
        portal       TEXT    NOT NULL,
        customer     TEXT    NOT NULL,
        question     TEXT    NOT NULL,
        fields       TEXT    NOT NULL,   -- JSON list of {label, value}
        submitted_at INTEGER NOT NULL,
        accepted_by  INTEGER REFERENCES representatives(id),
        accepted_at  INTEGER,
        code_id      INTEGER REFERENCES codes(id),   -- once the customer app is needed
        ended_at     INTEGER,
        end_reason   TEXT,
        notes        TEXT,
        outcome      TEXT
    );
    CREATE TABLE web_chat (
        id            INTEGER PRIMARY KEY,
        request_id    INTEGER NOT NULL REFERENCES help_requests(id),
        at            INTEGER NOT NULL,
        from_customer INTEGER NOT NULL,
        name          TEXT    NOT NULL,
        text          TEXT    NOT NULL
    );
    CREATE INDEX web_chat_by_request ON web_chat (request_id);
    ALTER TABLE sessions ADD COLUMN notes TEXT;
    ALTER TABLE sessions ADD COLUMN outcome TEXT;
",
    // The audit trail (crate::audit): id is the order written; seq and the hashes chain.
    "
    CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        seq     INTEGER NOT NULL,
        at      INTEGER NOT NULL,
        actor   TEXT    NOT NULL,
        action  TEXT    NOT NULL,
        subject TEXT    NOT NULL,
        detail  TEXT    NOT NULL,
        prev    BLOB    NOT NULL,
        hash    BLOB    NOT NULL
    );
",
    // 9: teams (nested), who is in which, and the functions withheld per representative,
    // team and portal (crate::policy).
    "
    CREATE TABLE teams (
        id         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL UNIQUE,
        parent_id  INTEGER REFERENCES teams(id),
        withheld   INTEGER NOT NULL DEFAULT 0,   -- crate::policy::Functions bits
        created_at INTEGER NOT NULL
    );
    ALTER TABLE representatives ADD COLUMN team_id INTEGER REFERENCES teams(id);
    ALTER TABLE representatives ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE portal_policies (
        portal   TEXT    PRIMARY KEY,
        withheld INTEGER NOT NULL
    );
",
    // 10: team managers and what managers (and representatives) may do (crate::tiers).
    "
    CREATE TABLE team_managers (
        rep_id  INTEGER NOT NULL REFERENCES representatives(id),
        team_id INTEGER NOT NULL REFERENCES teams(id),
        PRIMARY KEY (rep_id, team_id)
    );
    ALTER TABLE representatives ADD COLUMN powers INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX audit_log_by_subject ON audit_log (subject);
    -- The optional second factor (crate::totp): its secret and the last step used.
    ALTER TABLE representatives ADD COLUMN totp_secret BLOB;
    ALTER TABLE representatives ADD COLUMN totp_step INTEGER;
",
    // 11: session recordings (crate::recording): the file is in the recordings folder.
    "
    CREATE TABLE recordings (
        session_id  INTEGER PRIMARY KEY REFERENCES sessions(id),
        file        TEXT    NOT NULL,
        started_ms  INTEGER NOT NULL,   -- unix milliseconds of the recording's time zero
        bytes       INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER NOT NULL DEFAULT 0
    );
",
];
