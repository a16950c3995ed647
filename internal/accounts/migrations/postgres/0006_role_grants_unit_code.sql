-- "Communes with an administrator" (reports' foundation figures) asks, per commune, whether a
-- unit_admin grant names it: without this index every unit_admin grant in the country was read
-- for each district (13 ms a district on the national profile, 100–200 ms under the dashboard's
-- parallel refresh); with it, one probe per commune (0.23 ms a district).
CREATE INDEX role_grants_unit_code ON role_grants (unit_code, role);
