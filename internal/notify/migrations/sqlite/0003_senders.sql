-- The real SMS and Zalo senders. A failed message keeps the provider's reason as a code
-- (last_reason, "sms.invalid_number", "zalo.blocked") that the outbox shows in Vietnamese beside the
-- provider's own words (last_error); provider_ref is the provider's id of a sent message (eSMS's
-- SMSID, Zalo's msg_id), what its support desk asks for; template_data is the parameters of a Zalo
-- notification template (ZNS) as JSON, set by the module that queues a one-time code.
ALTER TABLE notify_messages ADD COLUMN last_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE notify_messages ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE notify_messages ADD COLUMN template_data TEXT NOT NULL DEFAULT '';

-- A provider's OAuth tokens (one row per provider: "zalo_oa"). Zalo's refresh token is used once:
-- each refresh returns the next one, so the newest must survive restarts and be shared by every
-- instance over one database. version makes every write optimistic (UPDATE ... WHERE version = ?);
-- refreshing_until is a short lease, so that only one instance spends the refresh token at a time;
-- bootstrap_hash is the SHA-256 of the refresh token the operator configured, so that a new one
-- given after the OA is authorised again replaces the stored chain.
CREATE TABLE notify_provider_tokens (
    provider TEXT PRIMARY KEY,
    access_token TEXT NOT NULL DEFAULT '',
    refresh_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0,
    bootstrap_hash TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    refreshing_until BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
