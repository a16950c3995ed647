CREATE TABLE outreach_skills (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE outreach_campaigns (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    launch_at BIGINT NOT NULL DEFAULT 0,
    days INTEGER NOT NULL,
    target INTEGER NOT NULL,
    follow_ceremony INTEGER NOT NULL DEFAULT 0,
    consent_version TEXT NOT NULL,
    consent_text TEXT NOT NULL,
    retention_days INTEGER NOT NULL,
    retained_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE outreach_teams (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES units (code),
    unit_path TEXT NOT NULL,
    level TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (unit_code, name)
);
CREATE INDEX outreach_teams_path ON outreach_teams (unit_path);
CREATE TABLE outreach_team_members (
    team_id BIGINT NOT NULL REFERENCES outreach_teams (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    leader INTEGER NOT NULL DEFAULT 0,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX outreach_team_members_user ON outreach_team_members (user_id);
CREATE TABLE outreach_records (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    campaign_id BIGINT NOT NULL REFERENCES outreach_campaigns (id),
    member_id BIGINT NOT NULL REFERENCES users (id),
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    citizen_name TEXT NOT NULL,
    birth_year INTEGER NOT NULL,
    phone TEXT NOT NULL,
    citizen_key TEXT NOT NULL,
    skills TEXT NOT NULL,
    platforms TEXT NOT NULL,
    evidence TEXT NOT NULL,
    location TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    guided_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    flagged INTEGER NOT NULL DEFAULT 0,
    erased_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outreach_records_member ON outreach_records (member_id, campaign_id, id);
CREATE INDEX outreach_records_citizen ON outreach_records (campaign_id, citizen_key);
CREATE INDEX outreach_records_path ON outreach_records (unit_path, id);
CREATE TABLE outreach_citizens (
    campaign_id BIGINT NOT NULL,
    citizen_key TEXT NOT NULL,
    first_member_id BIGINT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, citizen_key)
);
CREATE TABLE outreach_member_citizens (
    campaign_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    citizen_key TEXT NOT NULL,
    PRIMARY KEY (campaign_id, member_id, citizen_key)
);
CREATE TABLE outreach_member_counts (
    campaign_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    home_path TEXT NOT NULL,
    records BIGINT NOT NULL DEFAULT 0,
    citizens BIGINT NOT NULL DEFAULT 0,
    last_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, member_id)
);
CREATE INDEX outreach_member_counts_path ON outreach_member_counts (campaign_id, home_path);
CREATE TABLE outreach_unit_counts (
    campaign_id BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    records BIGINT NOT NULL DEFAULT 0,
    citizens BIGINT NOT NULL DEFAULT 0,
    flagged BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, unit_code)
);
CREATE INDEX outreach_unit_counts_path ON outreach_unit_counts (campaign_id, unit_path);
CREATE TABLE outreach_dim_counts (
    campaign_id BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, unit_code, dim)
);
CREATE INDEX outreach_dim_counts_path ON outreach_dim_counts (campaign_id, unit_path);
CREATE TABLE outreach_visits (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    campaign_id BIGINT NOT NULL REFERENCES outreach_campaigns (id),
    member_id BIGINT NOT NULL REFERENCES users (id),
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    household TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL,
    visited_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outreach_visits_member ON outreach_visits (member_id, id);
CREATE TABLE outreach_subject_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    citizen_key TEXT NOT NULL,
    received_on TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    records INTEGER NOT NULL,
    actor_id BIGINT,
    unit_path TEXT NOT NULL,
    note TEXT NOT NULL
);
