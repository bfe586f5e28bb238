-- The department secretaries' queue: students' error reports from the registry's
-- verification window, pulled from the registry's API per university and routed to the
-- department by the student's roster entry.

CREATE TABLE status_reports (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    university_id       INTEGER NOT NULL REFERENCES universities(id),
    registry_report_id  INTEGER NOT NULL,
    department_id       INTEGER REFERENCES departments(id),
    student_id          INTEGER REFERENCES students(id),
    student_no          TEXT NOT NULL,
    message             TEXT NOT NULL,
    reported_at         INTEGER NOT NULL,
    resolve_by          TEXT,
    resolution          TEXT,
    resolution_note     TEXT,
    resolved_by         TEXT,
    resolved_at         INTEGER,
    UNIQUE (university_id, registry_report_id)
);
CREATE INDEX status_reports_queue ON status_reports (university_id, department_id, resolution);
