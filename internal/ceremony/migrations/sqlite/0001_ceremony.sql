CREATE TABLE ceremonies (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    venue TEXT NOT NULL DEFAULT '',
    vc_provider TEXT NOT NULL DEFAULT '',
    room_link TEXT NOT NULL DEFAULT '',
    current_step INTEGER NOT NULL DEFAULT 0,
    launch_at BIGINT NOT NULL DEFAULT 0,
    launched_by BIGINT REFERENCES users (id),
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE ceremony_steps (
    id INTEGER PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    planned_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (ceremony_id, position)
);

CREATE TABLE ceremony_leaders (
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (ceremony_id, user_id)
);

CREATE TABLE bridge_points (
    id INTEGER PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    unit_code TEXT NOT NULL REFERENCES units (code),
    unit_path TEXT NOT NULL,
    district_code TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    room_link TEXT NOT NULL DEFAULT '',
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    chk_line INTEGER NOT NULL DEFAULT 0,
    chk_camera INTEGER NOT NULL DEFAULT 0,
    chk_microphone INTEGER NOT NULL DEFAULT 0,
    chk_screen INTEGER NOT NULL DEFAULT 0,
    chk_sound INTEGER NOT NULL DEFAULT 0,
    chk_rehearsal INTEGER NOT NULL DEFAULT 0,
    on_air INTEGER NOT NULL DEFAULT 0,
    last_heartbeat BIGINT NOT NULL DEFAULT 0,
    retired_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (ceremony_id, unit_code)
);
CREATE INDEX bridge_points_path ON bridge_points (ceremony_id, unit_path);

CREATE TABLE bridge_point_groups (
    point_id BIGINT NOT NULL REFERENCES bridge_points (id) ON DELETE CASCADE,
    group_key TEXT NOT NULL,
    expected INTEGER NOT NULL DEFAULT 0,
    actual INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (point_id, group_key)
);

CREATE TABLE ceremony_rehearsals (
    id INTEGER PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE ceremony_delegates (
    id INTEGER PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    point_id BIGINT NOT NULL REFERENCES bridge_points (id) ON DELETE CASCADE,
    full_name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    group_key TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    token TEXT NOT NULL UNIQUE,
    checked_in_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX ceremony_delegates_point ON ceremony_delegates (point_id);
