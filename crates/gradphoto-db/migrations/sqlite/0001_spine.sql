-- The platform spine: tenants, staff, sessions, audit, rosters, campaigns, eligibility, jobs.
-- Timestamps are Unix milliseconds (INTEGER); dates are ISO text (YYYY-MM-DD, YYYY-MM).

CREATE TABLE universities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL UNIQUE,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE departments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    university_id  INTEGER NOT NULL REFERENCES universities(id),
    name           TEXT NOT NULL,
    code           TEXT,
    UNIQUE (university_id, name)
);

CREATE TABLE campuses (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    university_id  INTEGER NOT NULL REFERENCES universities(id),
    name           TEXT NOT NULL,
    UNIQUE (university_id, name)
);

CREATE TABLE staff_accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    university_id  INTEGER REFERENCES universities(id),
    department_id  INTEGER REFERENCES departments(id),
    disabled       BOOLEAN NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    TEXT NOT NULL UNIQUE,
    account_id    INTEGER NOT NULL REFERENCES staff_accounts(id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE login_attempts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    username  TEXT NOT NULL,
    ip        TEXT NOT NULL,
    at        INTEGER NOT NULL,
    success   BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts (username, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    actor_id       INTEGER,
    actor_name     TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_kind    TEXT NOT NULL,
    target_id      TEXT,
    university_id  INTEGER,
    before_json    TEXT,
    after_json     TEXT,
    ip             TEXT
);
CREATE INDEX audit_log_university ON audit_log (university_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE students (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    university_id             INTEGER NOT NULL REFERENCES universities(id),
    department_id             INTEGER NOT NULL REFERENCES departments(id),
    student_no                TEXT NOT NULL,
    name                      TEXT NOT NULL,
    id_type                   TEXT NOT NULL,
    id_enc                    BLOB NOT NULL,
    id_blind                  TEXT NOT NULL,
    id_masked                 TEXT NOT NULL,
    level                     TEXT NOT NULL,
    cert_type                 TEXT NOT NULL,
    grad_kind                 TEXT NOT NULL,
    expected_graduation       TEXT NOT NULL,
    overseas_class            BOOLEAN NOT NULL,
    master_to_phd             BOOLEAN NOT NULL,
    delayed                   BOOLEAN NOT NULL,
    early_graduation_pending  BOOLEAN NOT NULL,
    prior_date                TEXT,
    prior_level               TEXT,
    campus                    TEXT,
    major                     TEXT,
    content_hash              TEXT NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    UNIQUE (university_id, student_no)
);
CREATE INDEX students_blind ON students (id_blind);
CREATE INDEX students_department ON students (department_id, student_no);

CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    university_id  INTEGER NOT NULL REFERENCES universities(id),
    name           TEXT NOT NULL,
    cohort         TEXT NOT NULL,
    rules_json     TEXT NOT NULL,
    modes_json     TEXT NOT NULL,
    fee_fen        INTEGER NOT NULL,
    contacts       TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX campaigns_university ON campaigns (university_id, status);

CREATE TABLE eligibility (
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    student_id    INTEGER NOT NULL REFERENCES students(id),
    verdict       TEXT NOT NULL,
    reason_code   TEXT NOT NULL,
    reason_zh     TEXT NOT NULL,
    reason_en     TEXT NOT NULL,
    computed_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, student_id)
);

CREATE TABLE collections (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    student_id    INTEGER NOT NULL REFERENCES students(id),
    channel       TEXT NOT NULL,
    collected_at  INTEGER NOT NULL,
    UNIQUE (campaign_id, student_id)
);

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    dedupe_key    TEXT,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_at        INTEGER NOT NULL,
    locked_until  INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_ready ON jobs (status, run_at);
