-- no-transaction
-- Orders from the platform (SPEC §12.3), API keys (§12.4), balance movements (§12.5).
--
-- Order numbers and item ids were unique across the whole deployment; with real shops importing
-- their own files they are unique per shop, as on PostgreSQL (one shop cannot take another's
-- number). SQLite changes a constraint by rebuilding the table, which needs foreign keys off, which
-- cannot change inside a transaction: hence this migration's own transaction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE orders_rebuilt (
    id           INTEGER PRIMARY KEY,
    shop_id      INTEGER NOT NULL REFERENCES shops (id),
    order_no     TEXT    NOT NULL,
    source_app   TEXT    NOT NULL,
    paid_fen     INTEGER NOT NULL CHECK (paid_fen >= 0),
    ordered_at   INTEGER NOT NULL,
    online_paid  INTEGER NOT NULL,
    cross_border INTEGER NOT NULL,
    -- The platform's id of the buyer: whom the rail pays (shown masked).
    buyer_ref    TEXT,
    UNIQUE (shop_id, order_no)
);
INSERT INTO orders_rebuilt (id, shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border)
SELECT id, shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border FROM orders;
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;

CREATE TABLE order_items_rebuilt (
    shop_id    INTEGER NOT NULL,
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    id         TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;
INSERT INTO order_items_rebuilt (shop_id, order_id, id, position, title, amount_fen)
SELECT shop_id, order_id, id, position, title, amount_fen FROM order_items;
DROP TABLE order_items;
ALTER TABLE order_items_rebuilt RENAME TO order_items;
CREATE INDEX order_items_order ON order_items (shop_id, order_id, position);

-- API keys: only a SHA-256 digest of the key is kept; `prefix` (its first 8 characters) finds it.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    shop_id      INTEGER NOT NULL REFERENCES shops (id),
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_prefix ON api_keys (prefix);
CREATE INDEX api_keys_shop ON api_keys (shop_id, id);

-- Balance movements reported by the platform (D11: once per reference within the shop).
CREATE TABLE movements (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    account    TEXT    NOT NULL CHECK (account IN ('aggregate', 'custody')),
    reference  TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('credit', 'debit', 'freeze', 'unfreeze', 'open')),
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    note       TEXT,
    actor      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (shop_id, reference)
);
CREATE INDEX movements_account ON movements (shop_id, account, id DESC);

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
