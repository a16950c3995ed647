CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic TEXT NOT NULL,
    seq BIGINT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (topic, seq)
);
CREATE INDEX events_created ON events (created_at);
