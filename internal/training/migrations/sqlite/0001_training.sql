CREATE TABLE training_courses (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    opens_at BIGINT NOT NULL DEFAULT 0,
    closes_at BIGINT NOT NULL DEFAULT 0,
    sequential INTEGER NOT NULL DEFAULT 0,
    question_count INTEGER NOT NULL,
    pass_percent INTEGER NOT NULL,
    time_limit_minutes INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL DEFAULT 0,
    retry_delay_minutes INTEGER NOT NULL DEFAULT 0,
    categories TEXT NOT NULL DEFAULT '',
    review_allowed INTEGER NOT NULL DEFAULT 1,
    exam_at BIGINT NOT NULL DEFAULT 0,
    lobby_minutes INTEGER NOT NULL DEFAULT 0,
    start_window_seconds INTEGER NOT NULL DEFAULT 0,
    bank_version BIGINT NOT NULL DEFAULT 1,
    search_key TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX training_courses_status ON training_courses (status, id);

CREATE TABLE training_modules (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX training_modules_course ON training_modules (course_id, position);

CREATE TABLE training_lessons (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    module_id BIGINT NOT NULL REFERENCES training_modules (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    body_html TEXT NOT NULL DEFAULT '',
    video_url TEXT NOT NULL DEFAULT '',
    attachment_url TEXT NOT NULL DEFAULT ''
);
CREATE INDEX training_lessons_module ON training_lessons (module_id, position);

CREATE TABLE training_lesson_progress (
    user_id BIGINT NOT NULL REFERENCES users (id),
    lesson_id BIGINT NOT NULL REFERENCES training_lessons (id),
    done_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, lesson_id)
);

CREATE TABLE training_questions (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    difficulty INTEGER NOT NULL DEFAULT 1,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_questions_course ON training_questions (course_id, category);

CREATE TABLE training_options (
    id INTEGER PRIMARY KEY,
    question_id BIGINT NOT NULL REFERENCES training_questions (id),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    correct INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX training_options_question ON training_options (question_id, position);

CREATE TABLE training_enrolments (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    org_id BIGINT REFERENCES orgs (id),
    org_path TEXT NOT NULL DEFAULT '',
    unit_path TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'self',
    extra_minutes INTEGER NOT NULL DEFAULT 0,
    enrolled_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL DEFAULT 0,
    passed_at BIGINT NOT NULL DEFAULT 0,
    best_score REAL NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX training_enrolments_unique ON training_enrolments (course_id, user_id);
CREATE INDEX training_enrolments_unit ON training_enrolments (course_id, unit_path);
CREATE INDEX training_enrolments_org ON training_enrolments (course_id, org_path);

CREATE TABLE training_attempts (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    layout TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL DEFAULT 0,
    timed_out INTEGER NOT NULL DEFAULT 0,
    correct_count INTEGER NOT NULL DEFAULT 0,
    question_total INTEGER NOT NULL DEFAULT 0,
    score REAL NOT NULL DEFAULT 0,
    passed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX training_attempts_user ON training_attempts (user_id, course_id);
CREATE INDEX training_attempts_open ON training_attempts (submitted_at, deadline_at);

CREATE TABLE training_answers (
    attempt_id BIGINT NOT NULL REFERENCES training_attempts (id),
    question_id BIGINT NOT NULL,
    choices TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, question_id)
);

CREATE TABLE training_certificates (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    attempt_id BIGINT NOT NULL REFERENCES training_attempts (id),
    learner_name TEXT NOT NULL,
    course_title TEXT NOT NULL,
    score REAL NOT NULL,
    org_path TEXT NOT NULL DEFAULT '',
    unit_path TEXT NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX training_certificates_learner ON training_certificates (course_id, user_id);
CREATE INDEX training_certificates_issued ON training_certificates (issued_at);

