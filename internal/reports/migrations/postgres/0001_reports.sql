-- Report periods: one report a province administrator asks a set of units to submit by a due date.
CREATE TABLE report_periods (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    sections TEXT NOT NULL DEFAULT '',
    narratives TEXT NOT NULL DEFAULT '',
    number_prefix TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- The units that must submit: exactly the denominator of the reporting and on-time rates.
CREATE TABLE report_assignments (
    period_id BIGINT NOT NULL REFERENCES report_periods (id) ON DELETE CASCADE,
    unit_code TEXT NOT NULL REFERENCES units (code),
    unit_path TEXT NOT NULL,
    PRIMARY KEY (period_id, unit_code)
);
CREATE INDEX report_assignments_path ON report_assignments (unit_path);

CREATE TABLE reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id BIGINT NOT NULL REFERENCES report_periods (id) ON DELETE CASCADE,
    unit_code TEXT NOT NULL REFERENCES units (code),
    unit_path TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    first_submitted_at BIGINT NOT NULL DEFAULT 0,
    submitted_at BIGINT NOT NULL DEFAULT 0,
    submitted_by TEXT NOT NULL DEFAULT '',
    returned_at BIGINT NOT NULL DEFAULT 0,
    returned_by TEXT NOT NULL DEFAULT '',
    return_comment TEXT NOT NULL DEFAULT '',
    accepted_at BIGINT NOT NULL DEFAULT 0,
    accepted_by TEXT NOT NULL DEFAULT '',
    signer_name TEXT NOT NULL DEFAULT '',
    signer_position TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reports_period_unit ON reports (period_id, unit_code);
CREATE INDEX reports_path ON reports (unit_path);

-- Narrative fields the unit writes (results, difficulties, proposals).
CREATE TABLE report_narratives (
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    field_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (report_id, field_key)
);

-- Figures from live data, snapshotted at submission so a submitted report never changes later.
CREATE TABLE report_figures (
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    section TEXT NOT NULL,
    field_key TEXT NOT NULL,
    label_key TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    target DOUBLE PRECISION NOT NULL DEFAULT 0,
    unit TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (report_id, position)
);

-- Every step of a report's workflow, with the comment given when it was returned.
CREATE TABLE report_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX report_events_report ON report_events (report_id, id);

-- Reminders queued in the notification outbox, one per period, unit and recipient.
CREATE TABLE report_reminders (
    period_id BIGINT NOT NULL REFERENCES report_periods (id) ON DELETE CASCADE,
    unit_code TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    PRIMARY KEY (period_id, unit_code, user_id)
);
