-- A make-up booking paid online when it is made (issue 8: books one, pays, or is told to pay
-- at the branch): an order may now be a booking's fee, `booking_id` naming it (one order
-- each). Such an order belongs to the student's account but to no online entry. Every
-- order is exactly one of: an online entry's, an on-site number's desk fee, a booking's.
--
-- SQLite cannot change a CHECK in place, so the table is rebuilt as in 0023 (the runner
-- turns foreign keys off around it and checks them before it commits); ids are kept.

CREATE TABLE orders_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code           TEXT NOT NULL UNIQUE,
    account_id     INTEGER REFERENCES student_accounts (id),
    entry_id       INTEGER REFERENCES online_entries (id),
    checkin_id     INTEGER REFERENCES onsite_checkins (id),
    booking_id     INTEGER REFERENCES makeup_bookings (id),
    total_fen      INTEGER NOT NULL,
    -- pending | paid | canceled
    status         TEXT NOT NULL,
    contact_phone  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    paid_at        INTEGER,
    CHECK ((entry_id IS NOT NULL) + (checkin_id IS NOT NULL) + (booking_id IS NOT NULL) = 1),
    CHECK ((account_id IS NULL) = (checkin_id IS NOT NULL))
);
INSERT INTO orders_new (id, code, account_id, entry_id, checkin_id, booking_id, total_fen,
                        status, contact_phone, created_at, updated_at, paid_at)
SELECT id, code, account_id, entry_id, checkin_id, NULL, total_fen,
       status, contact_phone, created_at, updated_at, paid_at
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE UNIQUE INDEX orders_checkin ON orders (checkin_id);
CREATE UNIQUE INDEX orders_booking ON orders (booking_id);
