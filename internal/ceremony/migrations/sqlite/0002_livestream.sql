-- The public livestream of the ceremony (a video platform's page, any provider), shown on the
-- public portal next to the programme. Empty until the province enters it.
ALTER TABLE ceremonies ADD COLUMN livestream_url TEXT NOT NULL DEFAULT '';
