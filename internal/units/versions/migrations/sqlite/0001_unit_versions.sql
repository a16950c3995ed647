-- A unit version is keyed by its path (docs/architecture.md, "Unit versions"): since the reform of
-- 1 July 2025 a GSO code can name a different unit than it did before (21034 was Xã Nghĩa Dũng
-- under Huyện Tư Nghĩa, it is Xã An Phú directly under the province), so units.code stops being a
-- key and the columns that referenced it lose their foreign key. Records already hold the unit's
-- path, which names the version they were made under.
--
-- SQLite cannot drop a foreign key with ALTER TABLE. The FOREIGN KEY clauses are removed from the
-- stored table definitions instead: the procedure SQLite documents for constraint changes that do
-- not change the on-disk format ("Making Other Kinds Of Table Schema Changes"), with the schema
-- version raised so that every connection reads the new definitions.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, ' REFERENCES units (code)', '')
WHERE type = 'table' AND name <> 'units' AND sql LIKE '%REFERENCES units (code)%';
PRAGMA schema_version = {{SCHEMA_VERSION_NEXT}};
PRAGMA writable_schema = OFF;

CREATE TABLE units_v (
    path TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    parent_code TEXT,
    parent_path TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL,
    valid_from TEXT NOT NULL DEFAULT '',
    valid_to TEXT NOT NULL DEFAULT '',
    successor_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO units_v (path, code, name, level, type, parent_code, parent_path, search_key, valid_from, valid_to, successor_code, created_at, updated_at)
SELECT u.path, u.code, u.name, u.level, u.type, u.parent_code, COALESCE((SELECT p.path FROM units p WHERE p.code = u.parent_code), ''),
       u.search_key, u.valid_from, u.valid_to, u.successor_code, u.created_at, u.updated_at
FROM units u;
DROP TABLE units;
ALTER TABLE units_v RENAME TO units;
-- In force, a code names one unit; retired versions may share it.
CREATE UNIQUE INDEX units_code_current ON units (code) WHERE valid_to = '';
CREATE INDEX units_code ON units (code, valid_from);
CREATE INDEX units_parent ON units (parent_path);
CREATE INDEX units_level ON units (level, code);
CREATE INDEX units_search ON units (search_key);

-- The lineage of a reorganisation, one row per (new unit, old unit) pair as the lineage file gives
-- it. old_path is '' for an old unit of a province this database never held (old Kon Tum on a
-- database of old Quảng Ngãi): kept as lineage only.
CREATE TABLE unit_lineage (
    new_path TEXT NOT NULL,
    old_path TEXT NOT NULL,
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
    path TEXT PRIMARY KEY,
    current_path TEXT NOT NULL
);
CREATE INDEX unit_rollup_current ON unit_rollup (current_path);
