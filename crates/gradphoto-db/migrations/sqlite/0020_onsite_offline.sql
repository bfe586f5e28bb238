-- Offline stations (issue 7). A station laptop holds a queue for the day (`held_by`):
-- the server then numbers nothing on it, so the station's numbers continue the queue's
-- own 1..N. What the station pushes back carries its own reference (`station_ref`),
-- unique, so a second push adds nothing twice. A pushed number whose code or student was
-- already numbered elsewhere in the campaign (another queue, another station), or whose
-- code the server cannot accept, is kept apart in `onsite_conflicts` with its photo,
-- for an admin to resolve: it is never merged on its own.

ALTER TABLE onsite_queues ADD COLUMN held_by TEXT;
ALTER TABLE onsite_queues ADD COLUMN held_at INTEGER;

ALTER TABLE onsite_checkins ADD COLUMN station_ref TEXT;
CREATE UNIQUE INDEX onsite_checkins_station_ref ON onsite_checkins (station_ref);
ALTER TABLE onsite_photos ADD COLUMN station_ref TEXT;
CREATE UNIQUE INDEX onsite_photos_station_ref ON onsite_photos (station_ref);

CREATE TABLE onsite_conflicts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id          INTEGER NOT NULL REFERENCES campaigns (id),
    queue_id             INTEGER NOT NULL REFERENCES onsite_queues (id),
    station              TEXT NOT NULL,
    station_ref          TEXT NOT NULL UNIQUE,
    number               INTEGER NOT NULL,
    code_text            TEXT NOT NULL,
    -- the student the station numbered, and the check-in the server already had
    student_id           INTEGER REFERENCES students (id),
    existing_checkin_id  INTEGER REFERENCES onsite_checkins (id),
    reason_code          TEXT NOT NULL,
    reason_zh            TEXT NOT NULL,
    reason_en            TEXT NOT NULL,
    desk                 TEXT NOT NULL,
    checked_in_at        INTEGER NOT NULL,
    -- the station's latest photo of this number, if it took one
    photo_verdict        TEXT,
    photo_reasons_json   TEXT,
    photo_original_key   TEXT,
    photo_standard_key   TEXT,
    photo_background     TEXT,
    photo_taken_by       TEXT,
    photo_taken_at       INTEGER,
    confirmed_at         INTEGER,
    created_at           INTEGER NOT NULL,
    -- existing (the server's number stands) | station (the station's photo is used for
    -- the existing number's code), with who and when
    resolution           TEXT,
    resolution_note      TEXT,
    resolved_by          TEXT,
    resolved_at          INTEGER
);
CREATE INDEX onsite_conflicts_campaign ON onsite_conflicts (campaign_id, resolved_at);
