-- Identity: users (customers, sellers, admins), riders, refresh tokens, social logins.
-- Ids are UUIDv7 (BLOB here), times UTC RFC 3339 text, money integer KRW.

CREATE TABLE users (
    id             BLOB PRIMARY KEY NOT NULL,
    email          TEXT UNIQUE,
    email_verified INTEGER NOT NULL DEFAULT 0,
    password_hash  TEXT,
    name           TEXT NOT NULL,
    phone          TEXT,
    addresses      TEXT NOT NULL DEFAULT '[]',
    role           TEXT NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
    is_seller      INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE user_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

CREATE TABLE riders (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE refresh_tokens (
    id         BLOB PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    family_id  BLOB NOT NULL,
    realm      TEXT NOT NULL CHECK (realm IN ('user', 'rider')),
    subject_id BLOB NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (realm, subject_id);

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY NOT NULL,
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
