-- A stream opened with a ticket ends when the access token the ticket was asked for expires
-- (it outlived logout and expiry before). NULL for tickets issued before this column.
ALTER TABLE stream_tickets ADD COLUMN session_expires_at TIMESTAMPTZ;

-- Email verification links: signed by being unguessable (32 random bytes), stored only as a
-- SHA-256, single use, expiring; `email` is the address the link proves, so a link sent before
-- an email change proves nothing about the new one.
CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at);
CREATE INDEX email_verifications_expires ON email_verifications (expires_at);

-- OAuth state bound to the browser that started the login: the SHA-256 of a random value set
-- as a cookie on that browser. NULL for states from before (they expire in minutes).
ALTER TABLE oauth_states ADD COLUMN browser_hash TEXT;
