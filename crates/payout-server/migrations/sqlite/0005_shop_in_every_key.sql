-- Every row names its shop, as in the PostgreSQL store (migrations/postgres), so both stores run
-- the same statements and every query is scoped to one shop. Existing rows take their shop from
-- the row they belong to.
ALTER TABLE order_items ADD COLUMN shop_id INTEGER NOT NULL DEFAULT 0;
UPDATE order_items SET shop_id = (SELECT o.shop_id FROM orders o WHERE o.id = order_items.order_id);

ALTER TABLE payout_events ADD COLUMN shop_id INTEGER NOT NULL DEFAULT 0;
UPDATE payout_events SET shop_id = (SELECT p.shop_id FROM payouts p WHERE p.id = payout_events.payout_id);

ALTER TABLE idempotency_keys ADD COLUMN shop_id INTEGER NOT NULL DEFAULT 0;
UPDATE idempotency_keys SET shop_id = (SELECT u.shop_id FROM users u WHERE u.id = idempotency_keys.user_id);

ALTER TABLE sessions ADD COLUMN shop_id INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET shop_id = (SELECT u.shop_id FROM users u WHERE u.id = sessions.user_id);

-- The operator's daily total is now asked per shop and operator, like the shop's.
DROP INDEX payouts_operator_day;
CREATE INDEX payouts_operator_day ON payouts (shop_id, operator_id, business_date, status, amount_fen);
