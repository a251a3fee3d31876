-- Events out (SPEC §12.6): webhook endpoints, the events written in the transaction that made the
-- change, and each event's delivery to each endpoint subscribed. D12: buyer notifications stop
-- after 24 h and are marked failed, so no outbox grows forever.
CREATE TABLE webhook_endpoints (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL,
    -- `whsec_` + Base64: HMAC needs the secret itself, so it is kept, and never shown again.
    secret     TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX webhook_endpoints_shop ON webhook_endpoints (shop_id, id);

CREATE TABLE webhook_events (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    -- The `webhook-id` of every attempt to every endpoint: receivers drop repeats by it.
    event_id   TEXT    NOT NULL UNIQUE,
    type       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    shop_id         INTEGER NOT NULL REFERENCES shops (id),
    event_row       INTEGER NOT NULL REFERENCES webhook_events (id),
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status     INTEGER,
    last_response   TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (shop_id, endpoint_id, id DESC);
-- Pruning asks whether an event still has deliveries.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (shop_id, event_row);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';

ALTER TABLE notifications ADD COLUMN failed_at INTEGER;
-- D12: the payout's notification was given up after 24 h (shown on the order page).
ALTER TABLE payouts ADD COLUMN buyer_notification_failed_at INTEGER;
-- A payout reported stuck (`payout.stuck`) once.
ALTER TABLE payouts ADD COLUMN stuck_reported_at INTEGER;
CREATE INDEX notifications_finished ON notifications (delivered_at) WHERE delivered_at IS NOT NULL;
