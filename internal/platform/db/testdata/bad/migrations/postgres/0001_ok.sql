CREATE TABLE ok_table (id INTEGER);
