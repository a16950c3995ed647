-- A ceremony can be hosted by a unit or an organisation below the province (issue 19, item 1): a
-- district's or a commune's follow-on launch event opens its own live screen with the ceremony
-- machinery. host_path is the host unit's path ('' for the province's own ceremony), host_org_path
-- the host organisation's path ('' for a unit), event_id the launch event it serves (0 for none).
-- A hosted ceremony's bridge points come from the host's subtree only, its host's administrators
-- (and the province's) run it, and the province's own ceremony (public page, campaign, reports)
-- never is a hosted one. One live screen per event.
ALTER TABLE ceremonies ADD COLUMN host_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE ceremonies ADD COLUMN host_org_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE ceremonies ADD COLUMN event_id BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX ceremonies_event ON ceremonies (event_id) WHERE event_id <> 0;
CREATE INDEX ceremonies_host ON ceremonies (province_code, host_path);
