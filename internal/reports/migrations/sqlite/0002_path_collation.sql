-- PostgreSQL only (paths get the "C" collation there so that LIKE prefixes use the indexes);
-- SQLite already compares these columns bytewise and uses its indexes for the prefixes.
SELECT 1;
