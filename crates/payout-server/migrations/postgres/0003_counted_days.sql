-- What each operator's counted payouts (SPEC §3: not failed, not rejected) come to per business
-- day, kept by a trigger in the transaction that writes the payout (the same table as
-- migrations/sqlite/0008). The shop's day (R-L4) and an operator's (R-L5) are then a few rows
-- instead of a scan of the day's payouts. Every write of a shop's payouts holds the shop's lock,
-- so its rows here are never updated concurrently.
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

CREATE FUNCTION payouts_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := 0;
    row   payouts%ROWTYPE;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status NOT IN ('failed', 'rejected') THEN
        delta := delta + NEW.amount_fen;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status NOT IN ('failed', 'rejected') THEN
        delta := delta - OLD.amount_fen;
    END IF;
    IF TG_OP = 'DELETE' THEN row := OLD; ELSE row := NEW; END IF;
    IF delta <> 0 THEN
        INSERT INTO counted_days AS c (shop_id, business_date, operator_id, counted_fen)
        VALUES (row.shop_id, row.business_date, row.operator_id, delta)
        ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = c.counted_fen + EXCLUDED.counted_fen;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER payouts_counted AFTER INSERT OR UPDATE OF status OR DELETE ON payouts
FOR EACH ROW EXECUTE FUNCTION payouts_counted();
