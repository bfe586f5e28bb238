-- A student's online collection in one campaign (issue 5, seed 003 steps 2-3): the school
-- chosen (which fixes the campaign), the roster student found by ID number and level, and
-- the registry's collection code bound to it. A student is bound (code present) by one
-- account only; failed identity lookups are counted to stop someone walking ID numbers.

CREATE TABLE online_entries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          INTEGER NOT NULL REFERENCES student_accounts (id),
    campaign_id         INTEGER NOT NULL REFERENCES campaigns (id),
    student_id          INTEGER REFERENCES students (id),
    code_id             TEXT,
    code_text           TEXT,
    identity_failures   INTEGER NOT NULL DEFAULT 0,
    identity_failed_at  INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (account_id, campaign_id)
);
CREATE UNIQUE INDEX online_entries_bound ON online_entries (campaign_id, student_id)
    WHERE code_id IS NOT NULL;
CREATE INDEX online_entries_account ON online_entries (account_id, updated_at);
