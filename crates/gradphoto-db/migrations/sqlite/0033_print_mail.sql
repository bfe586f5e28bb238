-- Prints sent by post (issue 8; seed 004 §七: 邮寄纸质照片收件人为学生本人): a student whose
-- online order carries a shipping address gets their sheet in a `mail` batch (one per
-- department, printed like any other) instead of through the graduate school. Each sheet
-- names the order whose parcel carries it and when the agency shipped it; the student then
-- confirms receipt and, where the school collects the prints (seed 004: 学生收到纸质照片后
-- 请尽快转交本单位研秘，各单位汇总后交研究生院), hands the sheet in to the department, which
-- records it (`returned_*`) and hands the sheets it collected on to the graduate school. The
-- one-live-sheet-per-student index covers both kinds, so nobody is printed by post and by
-- hand.
--
-- A student photographed again because the earlier photo no longer serves (DESIGN §2: the old
-- image is void, or a master's photo for the PhD) is printed again: their earlier sheet is
-- `superseded`, no longer live, though it stays on its batch's record. A student whose earlier
-- photo still serves keeps their sheet and is not printed again (seed 002).

ALTER TABLE print_batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'hand'
    CHECK (kind IN ('hand', 'mail'));
ALTER TABLE print_items ADD COLUMN order_id INTEGER REFERENCES orders (id);
ALTER TABLE print_items ADD COLUMN shipped_at INTEGER;
ALTER TABLE print_items ADD COLUMN returned_at INTEGER;
ALTER TABLE print_items ADD COLUMN returned_by TEXT;
ALTER TABLE print_items ADD COLUMN superseded_at INTEGER;
DROP INDEX print_items_live;
CREATE UNIQUE INDEX print_items_live ON print_items (student_id)
    WHERE lost_at IS NULL AND superseded_at IS NULL;
CREATE INDEX print_items_order ON print_items (order_id) WHERE order_id IS NOT NULL;
