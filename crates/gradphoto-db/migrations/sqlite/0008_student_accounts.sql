-- Students of online collection (issue 5): an account is a phone number proven by an SMS
-- code. Consents are rows (which document, which version, when, from where), kept for as
-- long as the account; sessions are the students' own, apart from the staff's.

CREATE TABLE student_accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    phone          TEXT NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER NOT NULL
);

CREATE TABLE student_consents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES student_accounts (id),
    -- terms (the user agreement) | face (processing of the face image)
    document     TEXT NOT NULL,
    version      TEXT NOT NULL,
    accepted_at  INTEGER NOT NULL,
    ip           TEXT NOT NULL,
    UNIQUE (account_id, document, version)
);

CREATE TABLE student_sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES student_accounts (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX student_sessions_expiry ON student_sessions (expires_at);
