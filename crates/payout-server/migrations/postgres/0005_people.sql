-- People (SPEC §12.2), as migrations/sqlite/0010.
ALTER TABLE users
    ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN last_sign_in_at BIGINT,
    ADD COLUMN password_expires_at BIGINT,
    ADD COLUMN totp_secret TEXT,
    ADD COLUMN totp_pending_secret TEXT,
    ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    shop_id   BIGINT NOT NULL,
    user_id   BIGINT NOT NULL,
    code_hash TEXT   NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (shop_id, user_id, code_hash),
    FOREIGN KEY (shop_id, user_id) REFERENCES users (shop_id, id)
);

ALTER TABLE shops ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
