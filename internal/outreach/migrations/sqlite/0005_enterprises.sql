-- Outreach records can be about an enterprise (doanh nghiệp, hộ kinh doanh) instead of a citizen
-- (issue 19, plan I.1 and II.5b). The enterprise is named by its name and tax code, which are not
-- a natural person's data and are kept; its contact person's name and phone are, and are kept only
-- with consent, like a citizen's. Enterprises are counted apart from citizens: their own columns in
-- the unit counters and their own distinct table keyed by tax code, and never in a member's
-- "7 citizens". Catalogue entries gain an audience, so each kind of record offers its own skills.
ALTER TABLE outreach_skills ADD COLUMN audience TEXT NOT NULL DEFAULT 'citizen';
ALTER TABLE outreach_records ADD COLUMN subject TEXT NOT NULL DEFAULT 'citizen';
ALTER TABLE outreach_records ADD COLUMN enterprise_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outreach_records ADD COLUMN tax_code TEXT NOT NULL DEFAULT '';
ALTER TABLE outreach_records ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outreach_records ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE outreach_unit_counts ADD COLUMN enterprise_records BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outreach_unit_counts ADD COLUMN enterprises BIGINT NOT NULL DEFAULT 0;
CREATE TABLE outreach_enterprises (
    campaign_id BIGINT NOT NULL,
    tax_code TEXT NOT NULL,
    first_member_id BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, tax_code)
);
-- A contact person's access or erasure request finds their records by phone.
CREATE INDEX outreach_records_contact ON outreach_records (contact_phone) WHERE contact_phone <> '';
