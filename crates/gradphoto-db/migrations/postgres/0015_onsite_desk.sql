-- The desk finds the student a scanned code names by the masked ID number it carries
-- (with the school, level, year and masked name checked after): an index, so a check-in
-- reads a handful of rows however large the roster.
CREATE INDEX students_masked ON students (university_id, id_masked);
