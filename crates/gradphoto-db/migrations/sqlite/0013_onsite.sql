-- On-site collection days (issue 7): sessions (a campus, a place, a day and a time window
-- with its capacity), the queues a desk numbers, and the check-ins. A check-in is the one
-- shooting number (拍摄号) of a collection code in a campaign: numbers in a queue are
-- 1..N with no gap, because the queue's counter is advanced in the same transaction that
-- inserts the check-in, so a number is spent only if its check-in commits; the unique
-- keys make a second number for the same code, or the same student, impossible. `turn`
-- orders the shooting: a latecomer keeps the number and gets a later turn.

CREATE TABLE onsite_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    campus       TEXT NOT NULL,
    place        TEXT NOT NULL,
    -- YYYY-MM-DD and HH:MM, China time
    day          TEXT NOT NULL,
    starts       TEXT NOT NULL,
    ends         TEXT NOT NULL,
    capacity     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX onsite_sessions_campaign ON onsite_sessions (campaign_id, day, starts);

CREATE TABLE onsite_queues (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   INTEGER NOT NULL REFERENCES onsite_sessions (id),
    name         TEXT NOT NULL,
    last_number  INTEGER NOT NULL DEFAULT 0,
    last_turn    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    UNIQUE (session_id, name)
);

CREATE TABLE onsite_checkins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    queue_id      INTEGER NOT NULL REFERENCES onsite_queues (id),
    number        INTEGER NOT NULL,
    turn          INTEGER NOT NULL,
    code_id       TEXT NOT NULL,
    code_text     TEXT NOT NULL,
    student_id    INTEGER NOT NULL REFERENCES students (id),
    -- waiting | called | photographed | confirmed
    stage         TEXT NOT NULL,
    desk          TEXT NOT NULL,
    checked_in_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (queue_id, number),
    UNIQUE (campaign_id, code_id),
    UNIQUE (campaign_id, student_id)
);
CREATE INDEX onsite_checkins_turn ON onsite_checkins (queue_id, stage, turn);
