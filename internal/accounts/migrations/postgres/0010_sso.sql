-- Single sign-on by OpenID Connect (internal/accounts/sso).
-- sso_identities links a provider's subject to an account. An administrator may link a staff account
-- before its first sign-in by the subject, or by an e-mail address that binds the subject at the first
-- sign-in where the provider says the address is verified (subject '' until then).
CREATE TABLE sso_identities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    last_login_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sso_identities_subject ON sso_identities (provider, subject) WHERE subject <> '';
CREATE UNIQUE INDEX sso_identities_email ON sso_identities (provider, email) WHERE subject = '' AND email <> '';
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- A sign-in under way: the state (stored hashed), the nonce and the PKCE verifier live in the
-- database, so that the provider may send the browser back to any instance, and a state is used once.
CREATE TABLE sso_pending (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next TEXT NOT NULL DEFAULT '',
    addr TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_pending_expires ON sso_pending (expires_at);
-- Sign-ins started and never finished are counted per address, so that a flood of button presses
-- cannot fill the table.
CREATE INDEX sso_pending_addr ON sso_pending (addr, expires_at);

-- A learner signed in by a provider that may create accounts, who still has to choose their unit or
-- organisation: the verified identity waits here (token stored hashed) until the form is sent.
CREATE TABLE sso_signups (
    token_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    next TEXT NOT NULL DEFAULT '',
    mfa INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_signups_expires ON sso_signups (expires_at);
