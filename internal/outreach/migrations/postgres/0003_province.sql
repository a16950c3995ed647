-- A "7 citizens in 7 days" campaign belongs to a province: it follows that province's ceremony and
-- takes that province's members' records. The catalogue of skills and platforms is national (the
-- plan's entries, province_code '') with each province's own additions. Until now a deployment
-- served one province, Quảng Ngãi (51): its campaigns are Quảng Ngãi's, and so are the catalogue
-- entries its administrators added beside the plan's.
ALTER TABLE outreach_campaigns ADD COLUMN province_code TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE outreach_campaigns SET province_code = '51';
CREATE INDEX outreach_campaigns_province ON outreach_campaigns (province_code, id);
ALTER TABLE outreach_skills ADD COLUMN province_code TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE outreach_skills SET province_code = '51'
WHERE code NOT IN ('dvc_tinh', 'dvc_quocgia', 'thanh_toan_truc_tuyen', 'khong_tien_mat', 'vneid', 'so_suc_khoe', 'thuong_mai_dien_tu', 'vi_dien_tu');
