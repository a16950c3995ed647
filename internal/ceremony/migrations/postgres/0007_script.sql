-- The programme becomes a script (kịch bản): each step has its speaker, planned duration in
-- minutes, the MC's lines (lời dẫn) and notes. A ceremony can be cancelled or archived (status;
-- "launched" stays derived from launch_at). The leaders' speech is an attached document kept in
-- versions, stored in the database like the portal's images.
ALTER TABLE ceremony_steps ADD COLUMN speaker TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_steps ADD COLUMN duration_min INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ceremony_steps ADD COLUMN mc_lines TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_steps ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremonies ADD COLUMN status TEXT NOT NULL DEFAULT 'scheduled';

CREATE TABLE ceremony_speeches (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ceremony_id BIGINT NOT NULL REFERENCES ceremonies (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    uploaded_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (ceremony_id, version)
);
