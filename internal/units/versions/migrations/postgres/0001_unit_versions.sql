-- A unit version is keyed by its path (docs/architecture.md, "Unit versions"): since the reform of
-- 1 July 2025 a GSO code can name a different unit than it did before (21034 was Xã Nghĩa Dũng
-- under Huyện Tư Nghĩa, it is Xã An Phú directly under the province), so units.code stops being a
-- key and the columns that referenced it lose their foreign key (CASCADE drops every foreign key
-- on units_pkey). Records already hold the unit's path, which names the version they were made under.
ALTER TABLE units DROP CONSTRAINT units_pkey CASCADE;
ALTER TABLE units DROP CONSTRAINT units_path_key;
ALTER TABLE units ADD PRIMARY KEY (path);
ALTER TABLE units ADD COLUMN parent_path TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE units u SET parent_path = p.path FROM units p WHERE p.code = u.parent_code;
DROP INDEX units_parent;
-- In force, a code names one unit; retired versions may share it.
CREATE UNIQUE INDEX units_code_current ON units (code) WHERE valid_to = '';
CREATE INDEX units_code ON units (code, valid_from);
CREATE INDEX units_parent ON units (parent_path);

-- The lineage of a reorganisation, one row per (new unit, old unit) pair as the lineage file gives
-- it. old_path is '' for an old unit of a province this database never held (old Kon Tum on a
-- database of old Quảng Ngãi): kept as lineage only.
CREATE TABLE unit_lineage (
    new_path TEXT COLLATE "C" NOT NULL,
    old_path TEXT COLLATE "C" NOT NULL,
    new_code TEXT NOT NULL,
    old_code TEXT NOT NULL,
    old_name TEXT NOT NULL,
    old_province_code TEXT NOT NULL,
    effective TEXT NOT NULL,
    PRIMARY KEY (new_path, old_province_code, old_code)
);
CREATE INDEX unit_lineage_old ON unit_lineage (old_path);

-- Where every retired unit version rolls up today: each retired unit with one successor, and every
-- unit below it (villages of a merged commune), maps to the unit in force. A split unit has no row:
-- its records stay under it until they are assigned.
CREATE TABLE unit_rollup (
    path TEXT COLLATE "C" PRIMARY KEY,
    current_path TEXT COLLATE "C" NOT NULL
);
CREATE INDEX unit_rollup_current ON unit_rollup (current_path);
