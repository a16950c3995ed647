-- Mobilisation figures kept as counters: one row per course, unit path, organisation path and
-- audience, with the number of learners enrolled, started and passed. Enrolment, the first start
-- and the first pass update the row in the same transaction as the enrolment itself, so the
-- figures page and the reports dashboard read a few thousand counter rows instead of counting
-- millions of enrolments. The audience (officials, teachers, pupils…) is the learner's, when known.
ALTER TABLE training_enrolments ADD COLUMN audience TEXT NOT NULL DEFAULT '';

CREATE TABLE training_figures (
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    unit_path TEXT NOT NULL,
    org_path TEXT NOT NULL,
    audience TEXT NOT NULL,
    enrolled BIGINT NOT NULL DEFAULT 0,
    started BIGINT NOT NULL DEFAULT 0,
    passed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (course_id, unit_path, org_path, audience)
);
CREATE INDEX training_figures_org ON training_figures (course_id, org_path);

INSERT INTO training_figures (course_id, unit_path, org_path, audience, enrolled, started, passed)
SELECT course_id, unit_path, org_path, audience, COUNT(*),
    SUM(CASE WHEN started_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN passed_at > 0 THEN 1 ELSE 0 END)
FROM training_enrolments GROUP BY course_id, unit_path, org_path, audience;
