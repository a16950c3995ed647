-- Monthly statistics of online public services, one row per unit and month, as the province
-- exports them from its administrative-procedures information system and the National Public
-- Service Portal. No foreign key on units: the rows name a unit version by its path, and
-- statistics of a month before a map switch stay with the unit that existed then.
CREATE TABLE public_service_stats (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    province_code TEXT NOT NULL,
    month TEXT NOT NULL,
    received BIGINT NOT NULL,
    online BIGINT NOT NULL,
    fully_online BIGINT NOT NULL,
    paid_online BIGINT NOT NULL,
    imported_by TEXT NOT NULL DEFAULT '',
    imported_at BIGINT NOT NULL,
    UNIQUE (unit_path, month)
);
CREATE INDEX public_service_stats_province ON public_service_stats (province_code, month);
