-- Photos students submit online (issue 5 step 4): the upload as sent and the standard
-- image made from it, the engine's verdict and reasons, and the agency's review. A retake
-- supersedes the entry's earlier photos; rejected uploads (nothing could be made) are
-- answered on the spot and never stored.

CREATE TABLE online_photos (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id       INTEGER NOT NULL REFERENCES online_entries (id),
    -- checked | in_review | approved | rejected | superseded
    status         TEXT NOT NULL,
    reasons_json   TEXT NOT NULL,
    original_key   TEXT NOT NULL,
    standard_key   TEXT NOT NULL,
    background     TEXT NOT NULL,
    reviewed_by    TEXT,
    reviewed_at    INTEGER,
    review_reasons TEXT,
    resubmit_by    TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX online_photos_entry ON online_photos (entry_id, id);
CREATE INDEX online_photos_status ON online_photos (status, id);
