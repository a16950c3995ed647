-- Since the reform of 1 July 2025 a GSO code can name two unit versions (21034 was Xã Nghĩa Dũng
-- under Huyện Tư Nghĩa and is Xã An Phú directly under the province), so the counters and the
-- teams are keyed by the unit's path, which names one version, and no longer by its code: a
-- record made in Xã An Phú must not add to the counter row of the 2023 Xã Nghĩa Dũng. The path
-- indexes become the primary keys' prefixes and go.
ALTER TABLE outreach_unit_counts DROP CONSTRAINT outreach_unit_counts_pkey;
ALTER TABLE outreach_unit_counts ADD PRIMARY KEY (campaign_id, unit_path);
DROP INDEX outreach_unit_counts_path;
ALTER TABLE outreach_dim_counts DROP CONSTRAINT outreach_dim_counts_pkey;
ALTER TABLE outreach_dim_counts ADD PRIMARY KEY (campaign_id, unit_path, dim);
DROP INDEX outreach_dim_counts_path;
ALTER TABLE outreach_teams DROP CONSTRAINT outreach_teams_unit_code_name_key;
ALTER TABLE outreach_teams ADD CONSTRAINT outreach_teams_unit_path_name_key UNIQUE (unit_path, name);
