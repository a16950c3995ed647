-- A second factor for staff (TOTP, RFC 6238).
-- - A session may be half signed in: pending names what it still lacks ('code': the user's code,
--   'enrol': the user must set up a factor first). Only a session with pending = '' is a
--   signed-in user; sessions started before this migration stay as they were.
-- - user_totp holds a user's TOTP secret: unconfirmed (confirmed_at = 0) while they enrol, so that
--   the QR code stays the same on every instance and reload; last_counter is the last 30-second
--   step whose code was accepted, so a code cannot be used twice.
-- - recovery_codes are single-use codes, stored hashed, for a lost phone.
-- - second_factor_attempts count codes tried, for throttling across instances.
ALTER TABLE sessions ADD COLUMN pending TEXT NOT NULL DEFAULT '';

CREATE TABLE user_totp (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL DEFAULT 0,
    last_counter BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE second_factor_attempts (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    addr TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX second_factor_attempts_user ON second_factor_attempts (user_id, at);
CREATE INDEX second_factor_attempts_addr ON second_factor_attempts (addr, at);
