-- Pupils' accounts created by their school (accounts/pupils.go): the class, the birth date (or
-- year) and the guardian's name and phone, as the school's roster gave them. The consent of the
-- guardian of a pupil under 16 is in guardian_consents. Deleted with the account.
CREATE TABLE pupil_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    class_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    guardian_name TEXT NOT NULL DEFAULT '',
    guardian_phone TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by BIGINT
);
CREATE INDEX pupil_profiles_org ON pupil_profiles (org_id, class_name);
