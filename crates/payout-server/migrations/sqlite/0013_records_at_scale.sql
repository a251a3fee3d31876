-- A big shop's records (10⁶ payouts): every combination of the records page's equality filters
-- (status, payout type, operator) has an index of its own, ending in (created_at, id), so the page
-- is a short walk from the cursor in the order it is shown, and a count stops early, whatever the
-- filters match. A composite index only serves its own prefix in shown order, hence one per
-- combination. They replace the single-column ones, which lacked the id the cursor needs.
DROP INDEX payouts_shop_status_created;
DROP INDEX payouts_shop_operator_created;
DROP INDEX payouts_shop_type_created;
DROP INDEX payouts_shop_order;
CREATE INDEX payouts_by_status ON payouts (shop_id, status, created_at DESC, id DESC);
CREATE INDEX payouts_by_type ON payouts (shop_id, payout_type, created_at DESC, id DESC);
CREATE INDEX payouts_by_operator ON payouts (shop_id, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_status_type ON payouts (shop_id, status, payout_type, created_at DESC, id DESC);
CREATE INDEX payouts_by_status_operator ON payouts (shop_id, status, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_type_operator ON payouts (shop_id, payout_type, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_status_type_operator ON payouts (shop_id, status, payout_type, operator_id, created_at DESC, id DESC);
CREATE INDEX payouts_by_order_no ON payouts (shop_id, order_no, created_at DESC, id DESC);
-- The overview's 30 days by type, read from the index alone and already in its GROUP BY order
-- (date, type), so no sort; a day's totals still read only that day's entries.
DROP INDEX payouts_shop_day;
CREATE INDEX payouts_shop_day ON payouts (shop_id, business_date, payout_type, status, amount_fen);
