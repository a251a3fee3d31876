-- What each operator's counted payouts (SPEC §3: not failed, not rejected) come to per business
-- day, kept by a trigger in the transaction that writes the payout (the same table as
-- migrations/sqlite/0008). The shop's day (R-L4) and an operator's (R-L5) are then a few rows
-- instead of a scan of the day's payouts. Every write of a shop's payouts holds the shop's lock,
-- so its rows here are never updated concurrently.

-- Servers of the previous release may still be writing payouts: none may commit between the
-- backfill and the trigger, or its amount would be in neither.
LOCK TABLE payouts IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE counted_days (
    shop_id       BIGINT NOT NULL REFERENCES shops (id),
    business_date TEXT   NOT NULL,
    operator_id   BIGINT NOT NULL,
    counted_fen   BIGINT NOT NULL,
    PRIMARY KEY (shop_id, business_date, operator_id)
);

INSERT INTO counted_days (shop_id, business_date, operator_id, counted_fen)
SELECT shop_id, business_date, operator_id, SUM(amount_fen) FROM payouts
WHERE status NOT IN ('failed', 'rejected')
GROUP BY shop_id, business_date, operator_id;

-- The old row leaves its total and the new one joins its own: a change of status (a payout stops
-- counting when it fails or is rejected) or, should that ever happen, of the amount or the key.
CREATE FUNCTION payouts_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status NOT IN ('failed', 'rejected') THEN
        UPDATE counted_days SET counted_fen = counted_fen - OLD.amount_fen
        WHERE shop_id = OLD.shop_id AND business_date = OLD.business_date AND operator_id = OLD.operator_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status NOT IN ('failed', 'rejected') THEN
        INSERT INTO counted_days AS c (shop_id, business_date, operator_id, counted_fen)
        VALUES (NEW.shop_id, NEW.business_date, NEW.operator_id, NEW.amount_fen)
        ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = c.counted_fen + EXCLUDED.counted_fen;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER payouts_counted_insert_delete AFTER INSERT OR DELETE ON payouts
FOR EACH ROW EXECUTE FUNCTION payouts_counted();

-- Only when counting or the key changes: a payout going pending → processing → succeeded leaves
-- its total alone.
CREATE TRIGGER payouts_counted_update
AFTER UPDATE OF status, amount_fen, shop_id, business_date, operator_id ON payouts
FOR EACH ROW
WHEN ((OLD.status IN ('failed', 'rejected')) IS DISTINCT FROM (NEW.status IN ('failed', 'rejected'))
   OR OLD.amount_fen <> NEW.amount_fen OR OLD.shop_id <> NEW.shop_id
   OR OLD.business_date <> NEW.business_date OR OLD.operator_id <> NEW.operator_id)
EXECUTE FUNCTION payouts_counted();
