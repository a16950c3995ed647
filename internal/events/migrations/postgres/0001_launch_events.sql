-- Launch events (sự kiện hưởng ứng): the follow-on launches, youth "ra quân" and community days that
-- units and organisations hold after the province's ceremony. An event hangs on a unit (its host
-- unit) or on an organisation (and then on the unit the organisation lies in); paths are copied at
-- creation, as other modules do, so that scope checks and roll-ups read one row. No foreign key on
-- units: a unit version named by its path keeps its events after a map switch.
CREATE TABLE launch_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    province_code TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL COLLATE "C",
    org_id BIGINT,
    org_path TEXT NOT NULL DEFAULT '' COLLATE "C",
    level TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    officials BIGINT NOT NULL DEFAULT 0,
    youth_members BIGINT NOT NULL DEFAULT 0,
    pupils BIGINT NOT NULL DEFAULT 0,
    citizens BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL,
    -- The same event recorded twice (a form sent again, a replayed request) is one event.
    UNIQUE (unit_path, org_path, starts_at, title)
);
CREATE INDEX launch_events_unit ON launch_events (unit_path, starts_at);
CREATE INDEX launch_events_province ON launch_events (province_code, starts_at);
-- The photos of an event: images stored by the portal's image handling, linked here.
CREATE TABLE launch_event_photos (
    event_id BIGINT NOT NULL REFERENCES launch_events (id) ON DELETE CASCADE,
    image_id BIGINT NOT NULL,
    added_by BIGINT,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, image_id)
);
