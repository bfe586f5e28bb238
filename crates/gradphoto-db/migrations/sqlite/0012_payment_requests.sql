-- Payment requests (issue 5 step 6) and the hand-over to the registry: the URL the payer
-- scans (WeChat Pay's code_url, Alipay's qr_code, or the sandbox payer's page) kept on the
-- attempt so a return to the page shows the same QR code instead of ordering again; and,
-- on an online photo, the registry outbox row it was sent as, so a paid order's photo is
-- sent once.

ALTER TABLE order_payments ADD COLUMN pay_url TEXT NOT NULL DEFAULT '';
ALTER TABLE online_photos ADD COLUMN outbox_id INTEGER;
CREATE INDEX order_payments_state ON order_payments (state, updated_at);
