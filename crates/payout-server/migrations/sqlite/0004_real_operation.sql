-- Settlement claims: the worker that moved a payout to `processing` owns it until claim_until;
-- another worker takes it over only once that lease has expired (a crashed server).
ALTER TABLE payouts ADD COLUMN claim_owner TEXT;
ALTER TABLE payouts ADD COLUMN claim_until INTEGER;

-- The sign-in throttle, shared by every server process and kept across restarts.
CREATE TABLE sign_in_throttle (
    key          TEXT    PRIMARY KEY,
    count        INTEGER NOT NULL CHECK (count >= 0),
    window_start INTEGER NOT NULL
);

-- D8: a bank reference is recorded once per shop. References recorded twice before this existed
-- keep their first row's text; later duplicates are marked so the index can be built.
UPDATE top_ups SET reference = reference || ' (duplicate #' || id || ')'
 WHERE id NOT IN (SELECT MIN(id) FROM top_ups GROUP BY shop_id, reference);
CREATE UNIQUE INDEX top_ups_shop_reference ON top_ups (shop_id, reference);

-- Housekeeping deletes by age.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
