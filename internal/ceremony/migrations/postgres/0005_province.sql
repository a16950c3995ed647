-- A ceremony belongs to a province, the tenant that holds it: its bridge points come from that
-- province's unit tree and only that province's administrators run it. Until now a deployment
-- served one province, Quảng Ngãi (51), so every existing ceremony is Quảng Ngãi's.
ALTER TABLE ceremonies ADD COLUMN province_code TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE ceremonies SET province_code = '51';
CREATE INDEX ceremonies_province ON ceremonies (province_code, starts_at);
