-- The registry's side (学信网 stand-in): its key ring, its API clients, its own copy of
-- student status (学籍), collection codes and received photos. Only the registry's use
-- cases touch these tables; the agency reaches them through the registry's HTTP API.
-- No clear personal data: names and ID numbers are kept masked, plus keyed hashes
-- (HMAC under the registry's own key) to recognise a person at sign-in and across
-- enrolments.

CREATE TABLE registry_keyring (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    ring_enc    BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE registry_clients (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    school_code  TEXT,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX registry_clients_name ON registry_clients (kind, name);

CREATE TABLE registry_students (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    school_code          TEXT NOT NULL,
    enrolment_id         TEXT NOT NULL,
    level                TEXT NOT NULL,
    expected_graduation  TEXT NOT NULL,
    department           TEXT NOT NULL,
    name_masked          TEXT NOT NULL,
    id_masked            TEXT NOT NULL,
    person_hash          TEXT NOT NULL,
    name_hash            TEXT NOT NULL,
    reported_at          INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (school_code, enrolment_id)
);
CREATE INDEX registry_students_person ON registry_students (person_hash);

CREATE TABLE registry_codes (
    id          TEXT PRIMARY KEY,
    student_id  INTEGER NOT NULL REFERENCES registry_students(id),
    kid         TEXT NOT NULL,
    code        TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE UNIQUE INDEX registry_codes_live ON registry_codes (student_id) WHERE revoked_at IS NULL;
CREATE INDEX registry_codes_revoked ON registry_codes (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE registry_photos (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id       INTEGER REFERENCES registry_students(id),
    person_hash      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    code_id          TEXT REFERENCES registry_codes(id),
    client_id        INTEGER REFERENCES registry_clients(id),
    idempotency_key  TEXT,
    request_hash     TEXT,
    verdict          TEXT NOT NULL,
    reasons_json     TEXT NOT NULL,
    face_hash        TEXT,
    blob_key         TEXT,
    received_at      INTEGER NOT NULL,
    UNIQUE (client_id, idempotency_key)
);
CREATE INDEX registry_photos_student ON registry_photos (student_id, id);
CREATE INDEX registry_photos_person ON registry_photos (person_hash);
