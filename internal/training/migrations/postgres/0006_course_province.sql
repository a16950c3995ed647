-- Every course belongs to a province, the tenant that runs it, or is national (province_code = '',
-- published by a national administrator and open to learners of every province). Until now a
-- deployment served one province, Quảng Ngãi (51), so every existing course is one of its own.
ALTER TABLE training_courses ADD COLUMN province_code TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE training_courses SET province_code = '51' WHERE EXISTS (SELECT 1 FROM units WHERE code = '51');
CREATE INDEX training_courses_province ON training_courses (province_code, status, id);
