-- A message belongs to the unit it is about (the point chased, the unit reminded, the recipient's
-- unit), so a province's administrators read their own province's outbox and no other's. Until now
-- a deployment served Quảng Ngãi (51) only, so the messages already queued are its own.
ALTER TABLE notify_messages ADD COLUMN unit_path TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE notify_messages SET unit_path = '/51/' WHERE EXISTS (SELECT 1 FROM units WHERE code = '51');
CREATE INDEX notify_messages_unit_path ON notify_messages (unit_path, id);
