-- The key that signs the attempts' save tokens (savetoken.go). One row, made by the first instance
-- that needs it and read by every other, so a token minted by one instance is honoured by all.
CREATE TABLE training_keys (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
