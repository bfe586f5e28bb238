-- Prints mailed to an online student (issue 8; seed 004: 邮寄纸质照片收件人为学生本人): the
-- address the student gives, editable until the agency ships, and the parcel's carrier and
-- tracking number the agency enters.

CREATE TABLE order_shipments (
    order_id     INTEGER PRIMARY KEY REFERENCES orders (id),
    recipient    TEXT NOT NULL,
    phone        TEXT NOT NULL,
    address      TEXT NOT NULL,
    carrier      TEXT,
    tracking_no  TEXT,
    shipped_at   INTEGER,
    shipped_by   TEXT,
    updated_at   INTEGER NOT NULL,
    CHECK ((tracking_no IS NULL) = (shipped_at IS NULL))
);
