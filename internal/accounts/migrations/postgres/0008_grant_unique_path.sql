-- A grant names a unit version, and codes are reused by reorganisations (the administrator of the
-- 2023 Xã Nghĩa Dũng and of the 2025 Xã An Phú hold grants on two units of code 21034): the
-- uniqueness of a grant is by unit path, the version's key, not by code.
DROP INDEX role_grants_unique;
CREATE UNIQUE INDEX role_grants_unique ON role_grants (user_id, role, unit_path, COALESCE(org_id, 0));
