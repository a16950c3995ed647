-- A learner's phone that the identity provider verified (phone_number_verified), kept with the
-- sign-up until the learner chooses their place, then given to the new account.
ALTER TABLE sso_signups ADD COLUMN phone TEXT NOT NULL DEFAULT '';
