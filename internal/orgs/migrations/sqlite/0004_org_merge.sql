-- Organisations merge like units (Sở TT&TT into Sở Khoa học và Công nghệ, March 2025): the old
-- organisation is retired the day before the merger takes effect (valid_to, YYYY-MM-DD; '' = in
-- force) and names its successor. Records keep the org_path they were made under ("as it was");
-- org_rollup says where each retired organisation, and everything below it, counts today ("as it
-- is now"), as unit_rollup does for units.
ALTER TABLE orgs ADD COLUMN valid_to TEXT NOT NULL DEFAULT '';
ALTER TABLE orgs ADD COLUMN successor_id INTEGER REFERENCES orgs (id);
CREATE TABLE org_rollup (
    path TEXT PRIMARY KEY,
    current_path TEXT NOT NULL
);
CREATE INDEX org_rollup_current ON org_rollup (current_path);
