-- Make-up shoots by appointment (issue 8, 散拍/补拍): the agency's branches and their
-- services (price, place, hours, slot size), China's public calendar that decides the
-- opening days, and the students' bookings.
--
-- A slot's row counts its live bookings and is created by the first booking: a booking
-- takes a place with one conditional UPDATE (booked < capacity) in the transaction that
-- inserts it, so on PostgreSQL two server processes cannot both take the last place (the
-- second waits for the row lock and re-reads the count). One live booking per student and
-- campaign is a partial unique index, so a second one fails whoever writes it.

CREATE TABLE branches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    city        TEXT NOT NULL,
    address     TEXT NOT NULL,
    phone       TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE branch_services (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    branch_id       INTEGER NOT NULL REFERENCES branches (id),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    -- where in the branch (e.g. 体育场路497-3)
    place           TEXT NOT NULL,
    price_fen       INTEGER NOT NULL CHECK (price_fen >= 0),
    -- working_days | all_but_holidays
    open_days       TEXT NOT NULL CHECK (open_days IN ('working_days', 'all_but_holidays')),
    -- 09:00-11:30, 13:30-16:30
    windows         TEXT NOT NULL,
    slot_minutes    INTEGER NOT NULL CHECK (slot_minutes > 0),
    slot_capacity   INTEGER NOT NULL CHECK (slot_capacity > 0),
    -- a booking is cancelled or moved until this many minutes before it starts
    cutoff_minutes  INTEGER NOT NULL CHECK (cutoff_minutes >= 0),
    -- how far ahead slots are offered
    days_ahead      INTEGER NOT NULL CHECK (days_ahead > 0),
    -- online (paid when booking) | at_branch (paid at the branch's desk)
    payment         TEXT NOT NULL CHECK (payment IN ('online', 'at_branch')),
    -- the photographer may choose among several shots (the fine service)
    choose_shots    INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (branch_id, name_zh)
);

CREATE TABLE public_days (
    -- YYYY-MM-DD
    day         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE makeup_slots (
    service_id  INTEGER NOT NULL REFERENCES branch_services (id),
    day         TEXT NOT NULL,
    -- HH:MM, China time
    starts      TEXT NOT NULL,
    booked      INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (service_id, day, starts)
);

CREATE TABLE makeup_bookings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- shown to the student and typed at the branch
    code         TEXT NOT NULL UNIQUE,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    student_id   INTEGER NOT NULL REFERENCES students (id),
    account_id   INTEGER NOT NULL REFERENCES student_accounts (id),
    service_id   INTEGER NOT NULL REFERENCES branch_services (id),
    day          TEXT NOT NULL,
    starts       TEXT NOT NULL,
    ends         TEXT NOT NULL,
    price_fen    INTEGER NOT NULL,
    -- booked | cancelled | attended | no_show
    status       TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended', 'no_show')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE UNIQUE INDEX makeup_bookings_live ON makeup_bookings (campaign_id, student_id)
    WHERE status IN ('booked', 'attended');
CREATE INDEX makeup_bookings_slot ON makeup_bookings (service_id, day, starts);
CREATE INDEX makeup_bookings_account ON makeup_bookings (account_id, id);

-- The official calendar for 2026 (国务院办公厅关于2026年部分节假日安排的通知); the agency
-- admin adds later years when the State Council publishes them, and may correct any day.
INSERT INTO public_days (day, kind, name, updated_by, updated_at) VALUES
    ('2026-01-01', 'holiday', '元旦', 'official', 0),
    ('2026-01-02', 'holiday', '元旦', 'official', 0),
    ('2026-01-03', 'holiday', '元旦', 'official', 0),
    ('2026-01-04', 'workday', '元旦', 'official', 0),
    ('2026-02-14', 'workday', '春节', 'official', 0),
    ('2026-02-15', 'holiday', '春节', 'official', 0),
    ('2026-02-16', 'holiday', '春节', 'official', 0),
    ('2026-02-17', 'holiday', '春节', 'official', 0),
    ('2026-02-18', 'holiday', '春节', 'official', 0),
    ('2026-02-19', 'holiday', '春节', 'official', 0),
    ('2026-02-20', 'holiday', '春节', 'official', 0),
    ('2026-02-21', 'holiday', '春节', 'official', 0),
    ('2026-02-22', 'holiday', '春节', 'official', 0),
    ('2026-02-23', 'holiday', '春节', 'official', 0),
    ('2026-02-28', 'workday', '春节', 'official', 0),
    ('2026-04-04', 'holiday', '清明节', 'official', 0),
    ('2026-04-05', 'holiday', '清明节', 'official', 0),
    ('2026-04-06', 'holiday', '清明节', 'official', 0),
    ('2026-05-01', 'holiday', '劳动节', 'official', 0),
    ('2026-05-02', 'holiday', '劳动节', 'official', 0),
    ('2026-05-03', 'holiday', '劳动节', 'official', 0),
    ('2026-05-04', 'holiday', '劳动节', 'official', 0),
    ('2026-05-05', 'holiday', '劳动节', 'official', 0),
    ('2026-05-09', 'workday', '劳动节', 'official', 0),
    ('2026-06-19', 'holiday', '端午节', 'official', 0),
    ('2026-06-20', 'holiday', '端午节', 'official', 0),
    ('2026-06-21', 'holiday', '端午节', 'official', 0),
    ('2026-09-20', 'workday', '国庆节', 'official', 0),
    ('2026-09-25', 'holiday', '中秋节', 'official', 0),
    ('2026-09-26', 'holiday', '中秋节', 'official', 0),
    ('2026-09-27', 'holiday', '中秋节', 'official', 0),
    ('2026-10-01', 'holiday', '国庆节', 'official', 0),
    ('2026-10-02', 'holiday', '国庆节', 'official', 0),
    ('2026-10-03', 'holiday', '国庆节', 'official', 0),
    ('2026-10-04', 'holiday', '国庆节', 'official', 0),
    ('2026-10-05', 'holiday', '国庆节', 'official', 0),
    ('2026-10-06', 'holiday', '国庆节', 'official', 0),
    ('2026-10-07', 'holiday', '国庆节', 'official', 0),
    ('2026-10-10', 'workday', '国庆节', 'official', 0);
