CREATE TABLE notify_messages (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT,
    unsubscribe_token TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_messages_due ON notify_messages (status, next_attempt_at);
CREATE UNIQUE INDEX notify_messages_dedupe ON notify_messages (dedupe_key);
CREATE UNIQUE INDEX notify_messages_unsub ON notify_messages (unsubscribe_token);
CREATE INDEX notify_messages_user ON notify_messages (user_id);

CREATE TABLE notify_attempts (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES notify_messages (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    worker TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notify_attempts_message ON notify_attempts (message_id, attempt);

CREATE TABLE notify_prefs (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, channel)
);

CREATE TABLE notify_optouts (
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel, recipient, kind)
);
