-- The day-before reminder of a make-up booking (issue 8): when it was texted, so two
-- workers never text a student twice.

ALTER TABLE makeup_bookings ADD COLUMN reminded_at INTEGER;
