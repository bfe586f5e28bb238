-- On-site days (issue 7): a note per session for what the table alone cannot say (seed 001:
-- 深圳研究生院 arranges its own shoot locally; seed 004: the exact times are announced
-- later), and the mobile number a secretary's 报名表 gives for a registered student, so the
-- day-before reminder reaches students who never signed in to the student site.

ALTER TABLE onsite_sessions ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE onsite_registrations ADD COLUMN phone TEXT;
