-- A check-in moves its queue's counters past its number and turn (never back), whoever
-- writes it (issue 7). The desk then numbers a scan in one statement — the next number read
-- from the queue and the check-in inserted together — instead of a transaction of four round
-- trips to the connection's thread; SQLite runs one writer at a time, so the number read
-- is the number written. PostgreSQL keeps numbering with UPDATE … RETURNING under the
-- queue's row lock (two server processes write at once there).

CREATE TRIGGER onsite_checkins_advance_counters AFTER INSERT ON onsite_checkins
BEGIN
    UPDATE onsite_queues SET
        last_number = MAX(last_number, NEW.number),
        last_turn = MAX(last_turn, NEW.turn)
    WHERE id = NEW.queue_id AND (last_number < NEW.number OR last_turn < NEW.turn);
END;
