-- Fees of the on-site days collected by the class liaisons and settled per department
-- (seed 004): the agency marks a department's photographed students paid in one
-- settlement, which records how many and how much and covers exactly those check-ins
-- (a check-in belongs to at most one settlement). Students photographed later are the
-- next settlement's.

CREATE TABLE onsite_settlements (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns (id),
    department_id  INTEGER NOT NULL REFERENCES departments (id),
    students       INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    note           TEXT NOT NULL,
    marked_by      TEXT NOT NULL,
    marked_at      INTEGER NOT NULL
);
CREATE INDEX onsite_settlements_campaign ON onsite_settlements (campaign_id, department_id);

ALTER TABLE onsite_checkins ADD COLUMN settlement_id INTEGER REFERENCES onsite_settlements (id);
