-- An offline station's own store. `pack` is what the server gave before the day (one
-- row); `students` the pack's masked students, indexed as a code is matched; `queue` the
-- one queue the station holds, with its counters and the number at the camera. A
-- check-in's `version` grows with every change, and `pushed_version` records what the
-- server has: a push sends exactly the rows whose version is ahead.

-- The store's own name, random, so that a station's references never repeat even when
-- the same station name is used with a fresh store.
CREATE TABLE meta (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    store_id  TEXT NOT NULL
);
INSERT INTO meta (id, store_id) VALUES (1, lower(hex(randomblob(8))));

CREATE TABLE pack (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    server      TEXT NOT NULL,
    json        TEXT NOT NULL,
    stored_at   INTEGER NOT NULL
);

CREATE TABLE students (
    student_id  INTEGER PRIMARY KEY,
    id_masked   TEXT NOT NULL,
    json        TEXT NOT NULL
);
CREATE INDEX students_masked ON students (id_masked);

CREATE TABLE queue (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    server_queue_id  INTEGER NOT NULL,
    last_number      INTEGER NOT NULL,
    last_turn        INTEGER NOT NULL,
    current_checkin  INTEGER REFERENCES checkins (id)
);

CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          INTEGER NOT NULL UNIQUE,
    turn            INTEGER NOT NULL,
    code_id         TEXT NOT NULL UNIQUE,
    code_text       TEXT NOT NULL,
    student_id      INTEGER NOT NULL UNIQUE,
    -- waiting | called | photographed | confirmed
    stage           TEXT NOT NULL,
    desk            TEXT NOT NULL,
    checked_in_at   INTEGER NOT NULL,
    photo_id        INTEGER REFERENCES photos (id),
    confirmed_at    INTEGER,
    version         INTEGER NOT NULL DEFAULT 1,
    pushed_version  INTEGER NOT NULL DEFAULT 0,
    -- the server's answer to the last push: recorded | already_had | conflict
    push_outcome    TEXT,
    push_note       TEXT
);
CREATE INDEX checkins_turn ON checkins (stage, turn);

CREATE TABLE photos (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id    INTEGER NOT NULL REFERENCES checkins (id),
    verdict       TEXT NOT NULL,
    reasons_json  TEXT NOT NULL,
    background    TEXT NOT NULL,
    source        TEXT NOT NULL,
    taken_by      TEXT NOT NULL,
    taken_at      INTEGER NOT NULL,
    standard      BLOB NOT NULL,
    original      BLOB NOT NULL
);
