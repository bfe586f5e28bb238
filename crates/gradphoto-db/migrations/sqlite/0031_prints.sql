-- The prints (洗印版照片, issue 8): every photographed student's sheet of 8 two-inch prints,
-- printed in batches of one department's students in student-number order, and the
-- batches' chain of custody agency → graduate school → department → student.
--
-- A student has at most one print item that is not lost (`print_items_live`), across every
-- campaign: a student who has prints is not printed again (seed 002), even when two
-- batches are made at once; a lost sheet frees the student for a reprint.

CREATE TABLE print_batches (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT NOT NULL UNIQUE,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    -- a reprint names the batch whose lost sheets it replaces
    reprint_of    INTEGER REFERENCES print_batches (id),
    reason        TEXT NOT NULL DEFAULT '',
    sheets        INTEGER NOT NULL CHECK (sheets > 0),
    -- the whole batch reported lost (its sheets not yet with students)
    lost_at       INTEGER,
    lost_reason   TEXT,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX print_batches_campaign ON print_batches (campaign_id, department_id, id);

CREATE TABLE print_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id      INTEGER NOT NULL REFERENCES print_batches (id),
    student_id    INTEGER NOT NULL REFERENCES students (id),
    -- the photo as the registry accepted it
    outbox_id     INTEGER NOT NULL REFERENCES registry_outbox (id),
    -- place in the batch (student-number order), from 1
    position      INTEGER NOT NULL,
    received_at   INTEGER,
    -- 'student' (confirmed on their phone) or the staff member who gave it to them
    received_by   TEXT,
    lost_at       INTEGER,
    lost_reason   TEXT,
    -- where it was lost: the holder's count goes down, nobody else's
    lost_holder   TEXT CHECK (lost_holder IN ('agency', 'school', 'department')),
    UNIQUE (batch_id, student_id),
    UNIQUE (batch_id, position),
    CHECK (received_at IS NULL OR lost_at IS NULL),
    CHECK ((lost_at IS NULL) = (lost_holder IS NULL))
);
CREATE UNIQUE INDEX print_items_live ON print_items (student_id) WHERE lost_at IS NULL;

CREATE TABLE print_handovers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id      INTEGER NOT NULL REFERENCES print_batches (id),
    -- school: agency → graduate school; department: graduate school → department
    stage         TEXT NOT NULL CHECK (stage IN ('school', 'department')),
    sheets        INTEGER NOT NULL CHECK (sheets > 0),
    given_by      TEXT NOT NULL,
    received_by   TEXT NOT NULL,
    at            INTEGER NOT NULL,
    recorded_by   TEXT NOT NULL,
    -- one form, one record: the same form sent twice is not counted twice
    token         TEXT NOT NULL UNIQUE
);
CREATE INDEX print_handovers_batch ON print_handovers (batch_id, id);
