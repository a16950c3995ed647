-- Targets as shares (issue 19): how many people each unit or organisation of a province has, by
-- group (officials, teachers, pupils, students, youth), so the figures can say "% completed"; and
-- the share of them the province expects to complete (e.g. 80 %), for every course (course_id 0)
-- or for one course. A unit's or organisation's figure counts its whole subtree, so its headcount
-- is the sum of the entries in its subtree (headcounts.go).
CREATE TABLE training_headcounts (
    province_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    audience TEXT NOT NULL,
    headcount BIGINT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, path, audience)
);
CREATE INDEX training_headcounts_province ON training_headcounts (province_code, kind, path);

CREATE TABLE training_targets (
    province_code TEXT NOT NULL,
    course_id BIGINT NOT NULL,
    share_percent INTEGER NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (province_code, course_id)
);
