-- Orders and money for online collection (issue 5), as pretix models them: an order with a
-- total; payment attempts and refunds as rows with their own states, each unique on the
-- number sent to the provider (out_trade_no, out_refund_no) so a retried request cannot
-- make a second one; and a ledger of every change, append-only (triggers refuse UPDATE and
-- DELETE).

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code           TEXT NOT NULL UNIQUE,
    account_id     INTEGER NOT NULL REFERENCES student_accounts (id),
    entry_id       INTEGER NOT NULL REFERENCES online_entries (id),
    total_fen      INTEGER NOT NULL,
    -- pending | paid | canceled
    status         TEXT NOT NULL,
    contact_phone  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    paid_at        INTEGER
);
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_status ON orders (status, id);

CREATE TABLE order_payments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    -- wechat | alipay | sandbox
    provider       TEXT NOT NULL,
    out_trade_no   TEXT NOT NULL UNIQUE,
    amount_fen     INTEGER NOT NULL,
    -- created | pending | confirmed | failed | canceled
    state          TEXT NOT NULL,
    provider_txn   TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    confirmed_at   INTEGER
);
CREATE INDEX order_payments_order ON order_payments (order_id, id);

CREATE TABLE order_refunds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    payment_id     INTEGER NOT NULL REFERENCES order_payments (id),
    out_refund_no  TEXT NOT NULL UNIQUE,
    amount_fen     INTEGER NOT NULL,
    -- created | done | failed
    state          TEXT NOT NULL,
    reason         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX order_refunds_order ON order_refunds (order_id, id);

CREATE TABLE order_ledger (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    at             INTEGER NOT NULL,
    event          TEXT NOT NULL,
    payment_id     INTEGER,
    refund_id      INTEGER,
    amount_fen     INTEGER NOT NULL,
    detail         TEXT NOT NULL
);
CREATE INDEX order_ledger_order ON order_ledger (order_id, id);

CREATE TRIGGER order_ledger_no_update BEFORE UPDATE ON order_ledger
BEGIN
    SELECT RAISE(ABORT, 'order_ledger is append-only');
END;
CREATE TRIGGER order_ledger_no_delete BEFORE DELETE ON order_ledger
BEGIN
    SELECT RAISE(ABORT, 'order_ledger is append-only');
END;
