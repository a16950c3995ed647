CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    parent_code TEXT REFERENCES units (code),
    path TEXT NOT NULL UNIQUE,
    search_key TEXT NOT NULL,
    valid_from TEXT NOT NULL DEFAULT '',
    valid_to TEXT NOT NULL DEFAULT '',
    successor_code TEXT REFERENCES units (code),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX units_parent ON units (parent_code);
CREATE INDEX units_level ON units (level, code);
CREATE INDEX units_search ON units (search_key);
