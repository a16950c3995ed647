-- A bridge point belongs to a unit version, named by its path: since 1 July 2025 a GSO code can
-- name another unit than it did (21034 was Xã Nghĩa Dũng under Huyện Tư Nghĩa and is Xã An Phú
-- directly under the province), so a ceremony regenerated after a map switch holds the retired
-- 2023 point and the new 2025 point of one code side by side. The uniqueness moves from
-- (ceremony_id, unit_code) to (ceremony_id, unit_path).
--
-- SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt. Foreign keys are on
-- and a migration runs inside a transaction (where PRAGMA foreign_keys cannot be turned off), and
-- dropping bridge_points while bridge_point_groups and ceremony_delegates reference it would
-- delete their rows by cascade. So the two child tables are rebuilt too, referencing the new
-- table; the old children are dropped first, then the old points table (nothing references it
-- any more); renaming bridge_points_v to bridge_points rewrites the children's references.
CREATE TABLE bridge_points_v (
    id INTEGER PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    district_code TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    room_link TEXT NOT NULL DEFAULT '',
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    chk_line INTEGER NOT NULL DEFAULT 0,
    chk_camera INTEGER NOT NULL DEFAULT 0,
    chk_microphone INTEGER NOT NULL DEFAULT 0,
    chk_screen INTEGER NOT NULL DEFAULT 0,
    chk_sound INTEGER NOT NULL DEFAULT 0,
    chk_rehearsal INTEGER NOT NULL DEFAULT 0,
    on_air INTEGER NOT NULL DEFAULT 0,
    last_heartbeat BIGINT NOT NULL DEFAULT 0,
    retired_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_chased_at BIGINT NOT NULL DEFAULT 0,
    last_chased_by BIGINT,
    UNIQUE (ceremony_id, unit_path)
);
INSERT INTO bridge_points_v (id, ceremony_id, unit_code, unit_path, district_code, level, name, address, room_link, contact_name, contact_phone,
    chk_line, chk_camera, chk_microphone, chk_screen, chk_sound, chk_rehearsal, on_air, last_heartbeat, retired_at, created_at, updated_at,
    last_chased_at, last_chased_by)
SELECT id, ceremony_id, unit_code, unit_path, district_code, level, name, address, room_link, contact_name, contact_phone,
    chk_line, chk_camera, chk_microphone, chk_screen, chk_sound, chk_rehearsal, on_air, last_heartbeat, retired_at, created_at, updated_at,
    last_chased_at, last_chased_by
FROM bridge_points;

CREATE TABLE bridge_point_groups_v (
    point_id BIGINT NOT NULL REFERENCES bridge_points_v (id) ON DELETE CASCADE,
    group_key TEXT NOT NULL,
    expected INTEGER NOT NULL DEFAULT 0,
    actual INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (point_id, group_key)
);
INSERT INTO bridge_point_groups_v (point_id, group_key, expected, actual) SELECT point_id, group_key, expected, actual FROM bridge_point_groups;

CREATE TABLE ceremony_delegates_v (
    id INTEGER PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    point_id BIGINT NOT NULL REFERENCES bridge_points_v (id) ON DELETE CASCADE,
    full_name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    group_key TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    token TEXT NOT NULL UNIQUE,
    checked_in_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
INSERT INTO ceremony_delegates_v (id, ceremony_id, point_id, full_name, position, organisation, group_key, phone, token, checked_in_at, created_at)
SELECT id, ceremony_id, point_id, full_name, position, organisation, group_key, phone, token, checked_in_at, created_at FROM ceremony_delegates;

DROP TABLE ceremony_delegates;
DROP TABLE bridge_point_groups;
DROP TABLE bridge_points;
ALTER TABLE bridge_points_v RENAME TO bridge_points;
ALTER TABLE bridge_point_groups_v RENAME TO bridge_point_groups;
ALTER TABLE ceremony_delegates_v RENAME TO ceremony_delegates;
CREATE INDEX bridge_points_path ON bridge_points (ceremony_id, unit_path);
CREATE INDEX bridge_points_code ON bridge_points (ceremony_id, unit_code);
CREATE INDEX ceremony_delegates_point ON ceremony_delegates (point_id);
