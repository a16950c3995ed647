-- Decree 13/2023/NĐ-CP, art. 20: processing the personal data of a child under 16 needs the
-- consent of a parent or guardian. A learner who declares an age under 16 (or a pupil whose school
-- creates the account) has the guardian's name, the consent and its time recorded here.
CREATE TABLE guardian_consents (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    guardian_name TEXT NOT NULL,
    consent INTEGER NOT NULL,
    consented_at BIGINT NOT NULL,
    recorded_by BIGINT
);
