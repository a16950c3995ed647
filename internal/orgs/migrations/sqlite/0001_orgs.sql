CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES orgs (id),
    unit_code TEXT REFERENCES units (code),
    unit_path TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);
CREATE INDEX orgs_path ON orgs (path);
CREATE INDEX orgs_unit_path ON orgs (unit_path);
CREATE UNIQUE INDEX orgs_name_parent ON orgs (search_key, COALESCE(parent_id, 0), COALESCE(unit_code, ''));
