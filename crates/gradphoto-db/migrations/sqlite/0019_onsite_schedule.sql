-- The published plan of the on-site days (issue 7): registered students are put into
-- groups (组别) per session, ordered by major and student number (seed 004), and the
-- admin may move a student by hand; publishing records when the schedule became public.
-- The reminder column records the day-before text message, sent once.

ALTER TABLE onsite_registrations ADD COLUMN group_no INTEGER;
ALTER TABLE onsite_registrations ADD COLUMN reminded_at INTEGER;

CREATE TABLE onsite_publications (
    campaign_id   INTEGER PRIMARY KEY REFERENCES campaigns (id),
    group_size    INTEGER NOT NULL,
    published_by  TEXT NOT NULL,
    published_at  INTEGER NOT NULL
);
