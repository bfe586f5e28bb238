-- Nothing changes on PostgreSQL: the SQLite side adds a trigger that moves a queue's
-- counters past each check-in, so its desk can number in one statement; here two server
-- processes write at once, and the desk keeps numbering with UPDATE … RETURNING under the
-- queue's row lock. Recorded so both backends list the same migrations.

COMMENT ON COLUMN onsite_queues.last_number IS
    'The last shooting number given in this queue; numbers are 1..last_number with no gap';
