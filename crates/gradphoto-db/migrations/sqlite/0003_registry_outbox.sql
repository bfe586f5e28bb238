-- The agency's side of the registry link: its credentials at the registry, its cached copy
-- of the registry's published keys (desks verify codes offline with it), and the outbox of
-- photos to deliver. A photo enters the outbox only after it is stored; a row is never
-- deleted, and it records the registry's answer once one came.

CREATE TABLE registry_credentials (
    scope       TEXT PRIMARY KEY,
    token_enc   BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE registry_key_cache (
    url         TEXT PRIMARY KEY,
    keys_json   TEXT NOT NULL,
    etag        TEXT,
    fetched_at  INTEGER NOT NULL
);

CREATE TABLE registry_outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT NOT NULL,
    code_id       TEXT NOT NULL,
    photo_key     TEXT NOT NULL,
    background    TEXT NOT NULL,
    status        TEXT NOT NULL,
    verdict       TEXT,
    result_json   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX registry_outbox_status ON registry_outbox (status, id);
CREATE INDEX registry_outbox_code ON registry_outbox (code_id, id);
