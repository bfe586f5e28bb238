-- The store that holds a queue (issue 7): a station's name is what an operator typed, so
-- two laptops could use the same one; the random id of the station's own store makes the
-- hold, every push and the release belong to exactly one store.

ALTER TABLE onsite_queues ADD COLUMN held_store TEXT;
