-- Revoking a certificate withdraws the pass: the enrolment is no longer completed and the
-- learner may sit the exam again. attempts_counted_after is the id of the learner's last attempt
-- at the revocation; only later attempts count toward the course's max attempts, so a revoked
-- pass does not use up the limit for good.
ALTER TABLE training_enrolments ADD COLUMN attempts_counted_after BIGINT NOT NULL DEFAULT 0;

-- A learner holds at most one valid certificate per course; revoked ones stay (their verification
-- page says they were revoked) next to the one a new pass issues.
DROP INDEX training_certificates_learner;
CREATE INDEX training_certificates_learner ON training_certificates (course_id, user_id);
CREATE UNIQUE INDEX training_certificates_valid ON training_certificates (course_id, user_id) WHERE revoked_at = 0;
