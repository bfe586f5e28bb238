-- The electronic photo (issue 8; seed 002: 个人中心-学历信息-电子照片): every download of a
-- standard image is logged — by the student from the personal centre, or as a department's
-- zip by its staff — with who, what and when.

CREATE TABLE photo_downloads (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns (id),
    -- the student's own download, or the department of a zip
    student_id     INTEGER REFERENCES students (id),
    department_id  INTEGER REFERENCES departments (id),
    -- student | staff
    who_kind       TEXT NOT NULL CHECK (who_kind IN ('student', 'staff')),
    -- the staff username, or the student's masked phone
    who            TEXT NOT NULL,
    files          INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    CHECK ((student_id IS NULL) <> (department_id IS NULL))
);
CREATE INDEX photo_downloads_campaign ON photo_downloads (campaign_id, id);
