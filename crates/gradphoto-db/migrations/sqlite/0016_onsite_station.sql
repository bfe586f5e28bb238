-- The photographer's station and the student's confirmation (issue 7). A queue has at
-- most one number at the camera (`current_checkin`); a photo is bound to a check-in only
-- while it is that queue's current number, and the check-in points at its latest photo.
-- Confirming takes exactly that photo for exactly that check-in's code to the registry's
-- outbox (`outbox_id`); a confirmed check-in takes no new photo until an admin reopens
-- it, which is audited.

CREATE TABLE onsite_photos (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id    INTEGER NOT NULL REFERENCES onsite_checkins (id),
    -- accept | review (the engine's verdict; a rejected photo is not kept)
    verdict       TEXT NOT NULL,
    reasons_json  TEXT NOT NULL,
    original_key  TEXT NOT NULL,
    standard_key  TEXT NOT NULL,
    background    TEXT NOT NULL,
    -- upload | webcam | hot_folder
    source        TEXT NOT NULL,
    taken_by      TEXT NOT NULL,
    taken_at      INTEGER NOT NULL
);
CREATE INDEX onsite_photos_checkin ON onsite_photos (checkin_id, id);

ALTER TABLE onsite_checkins ADD COLUMN photo_id INTEGER REFERENCES onsite_photos (id);
ALTER TABLE onsite_checkins ADD COLUMN confirmed_at INTEGER;
-- 0 while the hand-over to the outbox is being made, then the outbox row.
ALTER TABLE onsite_checkins ADD COLUMN outbox_id INTEGER;
ALTER TABLE onsite_queues ADD COLUMN current_checkin INTEGER REFERENCES onsite_checkins (id);
