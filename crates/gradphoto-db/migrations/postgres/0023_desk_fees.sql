-- Fees paid at the desk (issue 7; seed 001: 现场交费，只接受电子支付): an order may be the
-- fee of an on-site number, paid with WeChat Pay or Alipay at the desk, instead of an
-- online student's order. Such an order has no student account and no online entry, so
-- those become optional, and `checkin_id` names the number it pays for (one order each).
-- Every order is exactly one of the two.

ALTER TABLE orders ALTER COLUMN account_id DROP NOT NULL;
ALTER TABLE orders ALTER COLUMN entry_id DROP NOT NULL;
ALTER TABLE orders ADD COLUMN checkin_id BIGINT REFERENCES onsite_checkins (id);
ALTER TABLE orders ADD CONSTRAINT orders_one_kind
    CHECK ((entry_id IS NULL) = (checkin_id IS NOT NULL));
ALTER TABLE orders ADD CONSTRAINT orders_account_with_entry
    CHECK ((entry_id IS NULL) = (account_id IS NULL));
CREATE UNIQUE INDEX orders_checkin ON orders (checkin_id);
