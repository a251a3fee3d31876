-- People (SPEC §12.2). Accounts are deactivated, never deleted (D9). A one-time password is
-- recorded as an ordinary password hash with an expiry: while `password_expires_at` is set, the
-- account must change its password (and cannot sign in with it after that instant).
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
ALTER TABLE users ADD COLUMN password_expires_at INTEGER;
-- Two-step verification (RFC 6238): the secret once confirmed, the one being set up, and the
-- time step of the last code accepted (a code is accepted once).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Recovery codes, stored as SHA-256 digests (they are random and long, like API keys).
CREATE TABLE recovery_codes (
    shop_id   INTEGER NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (shop_id, user_id, code_hash)
) WITHOUT ROWID;

ALTER TABLE shops ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
