-- The payout console's schema. Money is integer fen; instants are Unix milliseconds (UTC);
-- business_date is the UTC+08:00 calendar day a payout counts towards.

CREATE TABLE shops (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT    NOT NULL,
    qualification           TEXT    NOT NULL CHECK (qualification IN ('enterprise', 'individual')),
    status                  TEXT    NOT NULL,
    selected_source_account TEXT    NOT NULL CHECK (selected_source_account IN ('aggregate', 'custody'))
);

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    shop_id               INTEGER NOT NULL REFERENCES shops (id),
    username              TEXT    NOT NULL UNIQUE,
    display_name          TEXT    NOT NULL,
    role                  TEXT    NOT NULL CHECK (role IN ('main', 'sub')),
    password_hash         TEXT    NOT NULL,
    -- Sub-accounts: payout permission switched on (R-P1), may manage quotas, quota (R-P2).
    payout_enabled        INTEGER NOT NULL DEFAULT 0,
    manage_quotas         INTEGER NOT NULL DEFAULT 0,
    per_payout_limit_fen  INTEGER NOT NULL DEFAULT 0 CHECK (per_payout_limit_fen >= 0),
    daily_limit_fen       INTEGER NOT NULL DEFAULT 0 CHECK (daily_limit_fen >= 0)
);
CREATE INDEX users_shop ON users (shop_id);

CREATE TABLE accounts (
    shop_id      INTEGER NOT NULL REFERENCES shops (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('aggregate', 'custody')),
    opened       INTEGER NOT NULL,
    balance_fen  INTEGER NOT NULL CHECK (balance_fen >= 0),
    frozen_fen   INTEGER NOT NULL CHECK (frozen_fen >= 0),
    -- Held by pending and processing payouts; available = balance - frozen - reserved >= 0.
    reserved_fen INTEGER NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0),
    PRIMARY KEY (shop_id, kind),
    CHECK (balance_fen - frozen_fen - reserved_fen >= 0)
);

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    shop_id      INTEGER NOT NULL REFERENCES shops (id),
    order_no     TEXT    NOT NULL UNIQUE,
    source_app   TEXT    NOT NULL,
    paid_fen     INTEGER NOT NULL CHECK (paid_fen >= 0),
    ordered_at   INTEGER NOT NULL,
    online_paid  INTEGER NOT NULL,
    cross_border INTEGER NOT NULL
);

CREATE TABLE order_items (
    id         TEXT    PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    position   INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0)
);
CREATE INDEX order_items_order ON order_items (order_id, position);

CREATE TABLE payouts (
    id             INTEGER PRIMARY KEY,
    shop_id        INTEGER NOT NULL REFERENCES shops (id),
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    order_no       TEXT    NOT NULL,
    operator_id    INTEGER NOT NULL REFERENCES users (id),
    source_account TEXT    NOT NULL CHECK (source_account IN ('aggregate', 'custody')),
    payout_type    TEXT    NOT NULL CHECK (payout_type IN ('shipping', 'price_difference', 'product_issue', 'other')),
    amount_fen     INTEGER NOT NULL CHECK (amount_fen > 0),
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
    failure_reason TEXT,
    linked_item_id TEXT,
    note           TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    business_date  TEXT    NOT NULL
);
-- Records page (newest first, per shop, with or without a status/type/operator filter).
CREATE INDEX payouts_shop_created ON payouts (shop_id, created_at DESC, id DESC);
CREATE INDEX payouts_shop_status_created ON payouts (shop_id, status, created_at DESC);
CREATE INDEX payouts_shop_operator_created ON payouts (shop_id, operator_id, created_at DESC);
CREATE INDEX payouts_shop_order ON payouts (shop_id, order_no, created_at DESC);
-- Daily totals (shop and operator) and per-order usage.
CREATE INDEX payouts_shop_day ON payouts (shop_id, business_date, status);
CREATE INDEX payouts_operator_day ON payouts (operator_id, business_date, status);
CREATE INDEX payouts_order ON payouts (order_id, created_at);
-- The settlement worker's queue.
CREATE INDEX payouts_unfinished ON payouts (id) WHERE status IN ('pending', 'processing');

CREATE TABLE payout_events (
    id        INTEGER PRIMARY KEY,
    payout_id INTEGER NOT NULL REFERENCES payouts (id),
    at        INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    reason    TEXT
);
CREATE INDEX payout_events_payout ON payout_events (payout_id, id);

-- The first answer to each Idempotency-Key, per user.
CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status_code  INTEGER NOT NULL,
    response     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE top_ups (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    reference  TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX top_ups_shop ON top_ups (shop_id, id DESC);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_log_shop ON audit_log (shop_id, id DESC);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
