-- A make-up booking paid online when it is made (issue 8: books one, pays, or is told to pay
-- at the branch): an order may now be a booking's fee, `booking_id` naming it (one order
-- each). Such an order belongs to the student's account but to no online entry. Every
-- order is exactly one of: an online entry's, an on-site number's desk fee, a booking's.

ALTER TABLE orders ADD COLUMN booking_id BIGINT REFERENCES makeup_bookings (id);
ALTER TABLE orders DROP CONSTRAINT orders_one_kind;
ALTER TABLE orders DROP CONSTRAINT orders_account_with_entry;
ALTER TABLE orders ADD CONSTRAINT orders_one_kind
    CHECK ((entry_id IS NOT NULL)::INT + (checkin_id IS NOT NULL)::INT
           + (booking_id IS NOT NULL)::INT = 1);
ALTER TABLE orders ADD CONSTRAINT orders_account_unless_desk
    CHECK ((account_id IS NULL) = (checkin_id IS NOT NULL));
CREATE UNIQUE INDEX orders_booking ON orders (booking_id);
