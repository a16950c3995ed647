-- A bridge point belongs to a unit version, named by its path: since 1 July 2025 a GSO code can
-- name another unit than it did (21034 was Xã Nghĩa Dũng under Huyện Tư Nghĩa and is Xã An Phú
-- directly under the province), so a ceremony regenerated after a map switch holds the retired
-- 2023 point and the new 2025 point of one code side by side. The uniqueness moves from
-- (ceremony_id, unit_code) to (ceremony_id, unit_path).
ALTER TABLE bridge_points DROP CONSTRAINT bridge_points_ceremony_id_unit_code_key;
CREATE UNIQUE INDEX bridge_points_unit_version ON bridge_points (ceremony_id, unit_path);
CREATE INDEX bridge_points_code ON bridge_points (ceremony_id, unit_code);
