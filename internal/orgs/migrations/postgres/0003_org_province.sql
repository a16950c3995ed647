-- Every organisation lies in a province, the tenant that owns it. Until now a deployment served
-- one province, Quảng Ngãi (51), so an organisation created without a unit was one of its own.
UPDATE orgs SET unit_code = '51', unit_path = '/51/'
WHERE unit_code IS NULL AND EXISTS (SELECT 1 FROM units WHERE code = '51');
