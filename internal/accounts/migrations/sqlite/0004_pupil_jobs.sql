-- The jobs that create pupils' accounts from a school's roster (accounts/pupils.go), kept in the
-- database so that any instance behind the proxy answers the progress poll and the download.
-- id is 128 random bits. The one-time passwords of a finished job are in sealed: AES-256-GCM
-- (nonce, then ciphertext and tag) of the JSON list, under a random key that is never stored —
-- the uploader's page holds it and sends it back; key_check is SHA-256 of that key, so a wrong
-- key is refused before anything is read, and a dump of this table reveals no password. sealed is
-- set to NULL once the list expires. updated_at is the running instance's heartbeat: a queued or
-- running job without one for two minutes reads as failed.
CREATE TABLE pupil_jobs (
    id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    error_key TEXT NOT NULL DEFAULT '',
    error_args TEXT NOT NULL DEFAULT '',
    key_check TEXT NOT NULL,
    sealed BLOB,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pupil_jobs_created ON pupil_jobs (created_at);
