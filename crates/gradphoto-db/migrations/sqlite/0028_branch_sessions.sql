-- At the branch (issue 8): a booked student is numbered, photographed and confirmed with the
-- same desk, station and confirmation as an on-site day. A branch's day for a campaign is
-- an on-site session of its own (one per campaign, branch and day), made at the first
-- check-in; a booking records the number it was checked in as.

ALTER TABLE onsite_sessions ADD COLUMN branch_id INTEGER REFERENCES branches (id);
CREATE UNIQUE INDEX onsite_sessions_branch_day ON onsite_sessions (campaign_id, branch_id, day)
    WHERE branch_id IS NOT NULL;
ALTER TABLE makeup_bookings ADD COLUMN checkin_id INTEGER REFERENCES onsite_checkins (id);
CREATE INDEX makeup_bookings_checkin ON makeup_bookings (checkin_id);
