-- Fees paid at the desk (issue 7; seed 001: 现场交费，只接受电子支付): an order may be the
-- fee of an on-site number, paid with WeChat Pay or Alipay at the desk, instead of an
-- online student's order. Such an order has no student account and no online entry, so
-- those become optional, and `checkin_id` names the number it pays for (one order each).
-- Every order is exactly one of the two.
--
-- SQLite cannot drop NOT NULL in place, so the table is rebuilt as its manual describes
-- (the migration runner turns foreign keys off around it and checks them before it
-- commits). Ids are kept, so payments, refunds and the ledger still point at their orders.

CREATE TABLE orders_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code           TEXT NOT NULL UNIQUE,
    account_id     INTEGER REFERENCES student_accounts (id),
    entry_id       INTEGER REFERENCES online_entries (id),
    checkin_id     INTEGER REFERENCES onsite_checkins (id),
    total_fen      INTEGER NOT NULL,
    -- pending | paid | canceled
    status         TEXT NOT NULL,
    contact_phone  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    paid_at        INTEGER,
    CHECK ((entry_id IS NULL) = (checkin_id IS NOT NULL)),
    CHECK ((entry_id IS NULL) = (account_id IS NULL))
);
INSERT INTO orders_new (id, code, account_id, entry_id, checkin_id, total_fen, status,
                        contact_phone, created_at, updated_at, paid_at)
SELECT id, code, account_id, entry_id, NULL, total_fen, status,
       contact_phone, created_at, updated_at, paid_at
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE UNIQUE INDEX orders_checkin ON orders (checkin_id);
