-- Prints mailed to an online student (issue 8; seed 004: 邮寄纸质照片收件人为学生本人): the
-- address the student gives, editable until the agency ships, and the parcel's carrier and
-- tracking number the agency enters.

CREATE TABLE order_shipments (
    order_id     BIGINT PRIMARY KEY REFERENCES orders (id),
    recipient    TEXT NOT NULL,
    phone        TEXT NOT NULL,
    address      TEXT NOT NULL,
    carrier      TEXT,
    tracking_no  TEXT,
    shipped_at   BIGINT,
    shipped_by   TEXT,
    updated_at   BIGINT NOT NULL,
    CHECK ((tracking_no IS NULL) = (shipped_at IS NULL))
);
