-- Invitations that go out (issue 19, item 3). A delegate gets a contact for the channel the
-- invitation goes by (e-mail, SMS, Zalo), a number in the issuing office's series ("Số:
-- 12/GM-UBND"), allocated once and never reused, and an RSVP link whose token is stored hashed.
ALTER TABLE ceremony_delegates ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_delegates ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_delegates ADD COLUMN invitation_no INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ceremony_delegates ADD COLUMN invitation_series TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_delegates ADD COLUMN invitation_year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ceremony_delegates ADD COLUMN invited_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ceremony_delegates ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ceremony_delegates ADD COLUMN rsvp_hash TEXT;
ALTER TABLE ceremony_delegates ADD COLUMN rsvp TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_delegates ADD COLUMN rsvp_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ceremony_delegates ADD COLUMN deputy_name TEXT NOT NULL DEFAULT '';
ALTER TABLE ceremony_delegates ADD COLUMN deputy_position TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ceremony_delegates_rsvp ON ceremony_delegates (rsvp_hash);

-- The series a ceremony's invitations are numbered in ('' is the People's Committee office's
-- GM-UBND).
ALTER TABLE ceremonies ADD COLUMN invitation_series TEXT NOT NULL DEFAULT '';

-- The last number given in each series of a province's issuing office, per year: numbers only go
-- up, so a withdrawn invitation's number is never given again.
CREATE TABLE ceremony_invitation_counters (
    province_code TEXT NOT NULL,
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_no INTEGER NOT NULL,
    PRIMARY KEY (province_code, series, year)
);

-- Every number given, kept when the delegate is withdrawn: the primary key makes a number unique
-- within its series and year whatever happens to the counter.
CREATE TABLE ceremony_invitation_numbers (
    province_code TEXT NOT NULL,
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    ceremony_id BIGINT NOT NULL,
    delegate_id BIGINT NOT NULL UNIQUE,
    issued_at BIGINT NOT NULL,
    PRIMARY KEY (province_code, series, year, number)
);
