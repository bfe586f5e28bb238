-- Information confirmation (信息确认) at the registry: per school and graduation year a
-- window in which students confirm their record and photo or report an error, a date by
-- which the school resolves the reports, and after it the record is frozen.

CREATE TABLE registry_windows (
    school_code      TEXT NOT NULL,
    graduation_year  INTEGER NOT NULL,
    opens_on         TEXT NOT NULL,
    closes_on        TEXT NOT NULL,
    resolve_by       TEXT NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (school_code, graduation_year)
);

CREATE TABLE registry_confirmations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id       INTEGER NOT NULL REFERENCES registry_students(id),
    kind             TEXT NOT NULL,
    message          TEXT,
    photo_id         INTEGER REFERENCES registry_photos(id),
    created_at       INTEGER NOT NULL,
    resolution       TEXT,
    resolution_note  TEXT,
    resolved_by      TEXT,
    resolved_at      INTEGER
);
CREATE INDEX registry_confirmations_student ON registry_confirmations (student_id, id);
