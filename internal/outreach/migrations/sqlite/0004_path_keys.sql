-- Since the reform of 1 July 2025 a GSO code can name two unit versions (21034 was Xã Nghĩa Dũng
-- under Huyện Tư Nghĩa and is Xã An Phú directly under the province), so the counters and the
-- teams are keyed by the unit's path, which names one version, and no longer by its code: a
-- record made in Xã An Phú must not add to the counter row of the 2023 Xã Nghĩa Dũng.
--
-- SQLite changes a primary key or a UNIQUE constraint only by rebuilding the table. Counters have
-- no dependants. outreach_team_members references outreach_teams, so its rows wait in a plain copy
-- while the teams are rebuilt, and come back into a table with the same definition.
CREATE TABLE outreach_unit_counts_v (
    campaign_id BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    records BIGINT NOT NULL DEFAULT 0,
    citizens BIGINT NOT NULL DEFAULT 0,
    flagged BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, unit_path)
);
INSERT INTO outreach_unit_counts_v SELECT campaign_id, unit_code, unit_path, records, citizens, flagged FROM outreach_unit_counts;
DROP TABLE outreach_unit_counts;
ALTER TABLE outreach_unit_counts_v RENAME TO outreach_unit_counts;

CREATE TABLE outreach_dim_counts_v (
    campaign_id BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, unit_path, dim)
);
INSERT INTO outreach_dim_counts_v SELECT campaign_id, unit_code, unit_path, dim, n FROM outreach_dim_counts;
DROP TABLE outreach_dim_counts;
ALTER TABLE outreach_dim_counts_v RENAME TO outreach_dim_counts;

CREATE TABLE outreach_team_members_copy AS SELECT team_id, user_id, leader, added_at FROM outreach_team_members;
DROP TABLE outreach_team_members;
CREATE TABLE outreach_teams_v (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    level TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (unit_path, name)
);
INSERT INTO outreach_teams_v SELECT id, name, unit_code, unit_path, level, created_at FROM outreach_teams;
DROP TABLE outreach_teams;
ALTER TABLE outreach_teams_v RENAME TO outreach_teams;
CREATE TABLE outreach_team_members (
    team_id BIGINT NOT NULL REFERENCES outreach_teams (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    leader INTEGER NOT NULL DEFAULT 0,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
INSERT INTO outreach_team_members SELECT team_id, user_id, leader, added_at FROM outreach_team_members_copy;
DROP TABLE outreach_team_members_copy;
CREATE INDEX outreach_team_members_user ON outreach_team_members (user_id);
