-- no-transaction
-- SPEC §11: reasons and the buyer message, approval, buyer notification, stuck payouts.
-- SQLite cannot change a CHECK constraint, so `payouts` is rebuilt (the documented 12-step way,
-- with foreign keys off while the table is swapped) to allow the new statuses
-- `awaiting_approval` and `rejected`, and to take the new columns.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE payouts_new (
    id                INTEGER PRIMARY KEY,
    shop_id           INTEGER NOT NULL REFERENCES shops (id),
    order_id          INTEGER NOT NULL REFERENCES orders (id),
    order_no          TEXT    NOT NULL,
    operator_id       INTEGER NOT NULL REFERENCES users (id),
    source_account    TEXT    NOT NULL CHECK (source_account IN ('aggregate', 'custody')),
    payout_type       TEXT    NOT NULL CHECK (payout_type IN ('shipping', 'price_difference', 'product_issue', 'other')),
    amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
    status            TEXT    NOT NULL CHECK (status IN ('awaiting_approval', 'pending', 'processing', 'succeeded', 'failed', 'rejected')),
    failure_reason    TEXT,
    linked_item_id    TEXT,
    note              TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    business_date     TEXT    NOT NULL,
    claim_owner       TEXT,
    claim_until       INTEGER,
    -- The reason chosen, with its names as they were when the payout was made.
    reason_id         INTEGER,
    reason_name_zh    TEXT,
    reason_name_en    TEXT,
    -- What the buyer sees; `note` is internal.
    buyer_message     TEXT,
    -- Approval (SPEC §11.2): who decided, when, and why a payout was rejected.
    decided_by        TEXT,
    decided_at        INTEGER,
    reject_reason     TEXT,
    -- When the buyer's notification was delivered (SPEC §11.3).
    buyer_notified_at INTEGER
);
INSERT INTO payouts_new (id, shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen,
                         status, failure_reason, linked_item_id, note, created_at, updated_at, business_date,
                         claim_owner, claim_until)
SELECT id, shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen,
       status, failure_reason, linked_item_id, note, created_at, updated_at, business_date,
       claim_owner, claim_until
FROM payouts;
DROP TABLE payouts;
ALTER TABLE payouts_new RENAME TO payouts;

CREATE INDEX payouts_shop_created ON payouts (shop_id, created_at DESC, id DESC);
CREATE INDEX payouts_shop_status_created ON payouts (shop_id, status, created_at DESC);
CREATE INDEX payouts_shop_operator_created ON payouts (shop_id, operator_id, created_at DESC);
CREATE INDEX payouts_shop_order ON payouts (shop_id, order_no, created_at DESC);
CREATE INDEX payouts_unfinished ON payouts (id) WHERE status IN ('pending', 'processing');
CREATE INDEX payouts_shop_type_created ON payouts (shop_id, payout_type, created_at DESC);
CREATE INDEX payouts_shop_day ON payouts (shop_id, business_date, status, amount_fen);
CREATE INDEX payouts_operator_day ON payouts (shop_id, operator_id, business_date, status, amount_fen);
CREATE INDEX payouts_order ON payouts (shop_id, order_id, created_at);
-- The approval queue (per shop, oldest first) and the expiry sweep (all shops).
CREATE INDEX payouts_awaiting ON payouts (shop_id, created_at) WHERE status = 'awaiting_approval';
CREATE INDEX payouts_awaiting_since ON payouts (created_at) WHERE status = 'awaiting_approval';

ALTER TABLE shops ADD COLUMN approval_threshold_fen INTEGER CHECK (approval_threshold_fen > 0);
ALTER TABLE shops ADD COLUMN require_reason INTEGER NOT NULL DEFAULT 0;

CREATE TABLE reasons (
    id                     INTEGER PRIMARY KEY,
    shop_id                INTEGER NOT NULL REFERENCES shops (id),
    name_zh                TEXT    NOT NULL,
    name_en                TEXT,
    payout_type            TEXT    NOT NULL CHECK (payout_type IN ('shipping', 'price_difference', 'product_issue', 'other')),
    buyer_message_template TEXT,
    active                 INTEGER NOT NULL DEFAULT 1,
    position               INTEGER NOT NULL
);
CREATE INDEX reasons_shop ON reasons (shop_id, position);

-- The buyer-notification outbox: written in the transaction that records `succeeded`, delivered
-- at least once. `next_attempt_at` doubles as the lease of a delivery in progress.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    shop_id         INTEGER NOT NULL REFERENCES shops (id),
    payout_id       INTEGER NOT NULL REFERENCES payouts (id),
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    last_error      TEXT
);
CREATE UNIQUE INDEX notifications_payout ON notifications (shop_id, payout_id);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE delivered_at IS NULL;

COMMIT;
PRAGMA foreign_keys = ON;
