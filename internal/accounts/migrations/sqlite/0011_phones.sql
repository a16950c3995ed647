-- Phone-first onboarding (issue 18). A team member's or learner's mobile number lives apart from
-- the users table: only the people imported with a phone have a row, the number is kept in its
-- national form (0xxxxxxxxx) and nothing else about it; the row goes with the account. One number
-- signs in one account, so it is unique. channel is how codes and one-time passwords reach the
-- person: 'sms' or 'zalo'.
CREATE TABLE user_phones (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL DEFAULT 'sms',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per sign-in code asked for, also for numbers nobody registered (so that throttling and the
-- answer cannot tell a registered number from another). phone_hash, not the number: a stranger's
-- typed number is not kept. code_hash, not the code. Rows older than a day are deleted.
CREATE TABLE phone_codes (
    id INTEGER PRIMARY KEY,
    phone_hash TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    addr TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX phone_codes_phone ON phone_codes (phone_hash, created_at);
CREATE INDEX phone_codes_addr ON phone_codes (addr, created_at);
