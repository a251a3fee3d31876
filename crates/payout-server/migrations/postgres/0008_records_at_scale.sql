-- A big shop's records, as migrations/sqlite/0013: one index per combination of the records page's
-- equality filters, each ending in (created_at, id); the overview's day index covers the type.
DROP INDEX IF EXISTS payouts_shop_status_created;
DROP INDEX IF EXISTS payouts_shop_operator_created;
DROP INDEX IF EXISTS payouts_shop_type_created;
DROP INDEX IF EXISTS payouts_shop_order;
CREATE INDEX payouts_by_status ON payouts (shop_id, status, created_at DESC, id DESC);
CREATE INDEX payouts_by_type ON payouts (shop_id, payout_type, created_at DESC, id DESC);
CREATE INDEX payouts_by_operator ON payouts (shop_id, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_status_type ON payouts (shop_id, status, payout_type, created_at DESC, id DESC);
CREATE INDEX payouts_by_status_operator ON payouts (shop_id, status, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_type_operator ON payouts (shop_id, payout_type, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_status_type_operator ON payouts (shop_id, status, payout_type, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_order_no ON payouts (shop_id, order_no, created_at DESC, id DESC);
DROP INDEX IF EXISTS payouts_shop_day;
CREATE INDEX payouts_shop_day ON payouts (shop_id, business_date, status) INCLUDE (payout_type, amount_fen);
