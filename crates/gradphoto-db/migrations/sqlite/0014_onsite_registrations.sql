-- Registrations for the on-site days (issue 7, 报名): a department secretary registers the
-- students who must or may be photographed for a session (a day, a place and a time
-- window), before the campaign's deadline. A student is registered once per campaign;
-- a session never holds more than its capacity — the count is taken under the session's
-- row lock in the transaction that inserts.

CREATE TABLE onsite_registrations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns (id),
    session_id     INTEGER NOT NULL REFERENCES onsite_sessions (id),
    student_id     INTEGER NOT NULL REFERENCES students (id),
    registered_by  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (campaign_id, student_id)
);
CREATE INDEX onsite_registrations_session ON onsite_registrations (session_id, id);
