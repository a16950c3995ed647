-- Which level reports to the province in a period: its districts (the three-tier map, until
-- 30/06/2025) or its communes (on the two-tier map from 01/07/2025 the communes report directly);
-- 'province' for a national period, which the provinces answer; '' for a period whose units were
-- listed one by one at mixed levels. Existing periods take the level of the units they assign.
ALTER TABLE report_periods ADD COLUMN reporting_level TEXT NOT NULL DEFAULT '';
UPDATE report_periods SET reporting_level = CASE WHEN province_code = '' THEN 'province' ELSE COALESCE(
    (SELECT CASE WHEN COUNT(DISTINCT u.level) = 1 THEN MIN(u.level) ELSE '' END
     FROM report_assignments a JOIN units u ON u.path = a.unit_path WHERE a.period_id = report_periods.id), '') END;
