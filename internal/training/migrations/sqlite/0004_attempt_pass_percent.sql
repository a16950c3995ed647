-- The pass mark an attempt was started under: changing a course's exam settings must not move
-- the goalposts of attempts already in progress. 0 (rows from before this column) means "use the
-- course's current pass mark".
ALTER TABLE training_attempts ADD COLUMN pass_percent INTEGER NOT NULL DEFAULT 0;
