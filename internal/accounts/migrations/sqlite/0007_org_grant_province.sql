-- An organisation grant keeps the path of the unit its organisation is located in; organisations
-- that had none were given their province by orgs 0003, so their grants follow.
UPDATE role_grants SET unit_path = (SELECT o.unit_path FROM orgs o WHERE o.id = role_grants.org_id)
WHERE org_id IS NOT NULL AND unit_path = '';
