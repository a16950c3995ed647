-- Chasing a bridge point that is not ready: when it was last chased (at most once per 30 minutes)
-- and by whom. Each chase queues messages through the notify outbox and is audited.
ALTER TABLE bridge_points ADD COLUMN last_chased_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bridge_points ADD COLUMN last_chased_by BIGINT;
