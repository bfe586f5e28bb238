-- Students log in to online collection with their phone and an SMS code (issue 5).
-- A code is kept only as a keyed hash; every code sent is a row, which is also what the
-- send limits count (per phone, per address, for the whole platform).

-- One row per phone that ever asked for a code: the row PostgreSQL locks so that two
-- requests for the same phone are decided one after the other.
CREATE TABLE otp_phones (
    phone       TEXT PRIMARY KEY
);

CREATE TABLE otp_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    phone       TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    ip          TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    used_at     INTEGER,
    -- sent | failed (the provider refused; still counts against the limits)
    status      TEXT NOT NULL DEFAULT 'sent'
);
CREATE INDEX otp_codes_phone ON otp_codes (phone, created_at);
CREATE INDEX otp_codes_ip ON otp_codes (ip, created_at);
CREATE INDEX otp_codes_created ON otp_codes (created_at);
