-- The registry's own sign-in for students (学信档案-style), separate from the agency's staff
-- sessions: a session names the person (keyed hash) at one school, nothing clear.

CREATE TABLE registry_sessions (
    token_hash   TEXT PRIMARY KEY,
    school_code  TEXT NOT NULL,
    person_hash  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX registry_sessions_expiry ON registry_sessions (expires_at);

CREATE TABLE registry_sign_in_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ip           TEXT NOT NULL,
    person_hash  TEXT NOT NULL,
    at           INTEGER NOT NULL,
    success      BOOLEAN NOT NULL
);
CREATE INDEX registry_sign_in_ip ON registry_sign_in_attempts (ip, at);
CREATE INDEX registry_sign_in_person ON registry_sign_in_attempts (person_hash, at);
