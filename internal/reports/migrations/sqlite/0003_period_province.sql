-- A report period belongs to a province (its units report to that province's People's Committee)
-- or is national ('' : the provinces report to the national steering committee). Until now a
-- deployment served one province, so a period is the province of the units it assigns, and
-- Quảng Ngãi (51) for one that assigns none.
ALTER TABLE report_periods ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
UPDATE report_periods SET province_code = COALESCE(
    (SELECT substr(a.unit_path, 2, instr(substr(a.unit_path, 2), '/') - 1) FROM report_assignments a
     WHERE a.period_id = report_periods.id ORDER BY a.unit_code LIMIT 1), '51');
CREATE INDEX report_periods_province ON report_periods (province_code, due_at);
