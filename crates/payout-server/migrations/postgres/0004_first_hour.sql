-- Which payout statuses are "counted" (SPEC §3), as one table that every statement and trigger
-- reads (migrations/sqlite/0009). The definition is payout-core's `PayoutStatus::is_counted`: the
-- server checks at start that these rows say the same, and refuses to start if not.
CREATE TABLE payout_statuses (
    status  TEXT    PRIMARY KEY,
    counted BOOLEAN NOT NULL
);
INSERT INTO payout_statuses (status, counted) VALUES
    ('awaiting_approval', TRUE), ('pending', TRUE), ('processing', TRUE), ('succeeded', TRUE),
    ('failed', FALSE), ('rejected', FALSE);

CREATE OR REPLACE FUNCTION payouts_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counted BOOLEAN := FALSE;
    new_counted BOOLEAN := FALSE;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_counted := (SELECT counted FROM payout_statuses WHERE status = OLD.status);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_counted := (SELECT counted FROM payout_statuses WHERE status = NEW.status);
    END IF;
    -- A payout going pending → processing → succeeded leaves its total alone.
    IF TG_OP = 'UPDATE' AND old_counted = new_counted AND OLD.amount_fen = NEW.amount_fen
       AND OLD.shop_id = NEW.shop_id AND OLD.business_date = NEW.business_date
       AND OLD.operator_id = NEW.operator_id THEN
        RETURN NULL;
    END IF;
    IF old_counted THEN
        UPDATE counted_days SET counted_fen = counted_fen - OLD.amount_fen
        WHERE shop_id = OLD.shop_id AND business_date = OLD.business_date AND operator_id = OLD.operator_id;
    END IF;
    IF new_counted THEN
        INSERT INTO counted_days AS c (shop_id, business_date, operator_id, counted_fen)
        VALUES (NEW.shop_id, NEW.business_date, NEW.operator_id, NEW.amount_fen)
        ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = c.counted_fen + EXCLUDED.counted_fen;
    END IF;
    RETURN NULL;
END;
$$;

-- A trigger's WHEN cannot hold a subquery in PostgreSQL: every change of a watched column calls
-- the function, which returns at once when neither counting nor the key changed.
DROP TRIGGER payouts_counted_update ON payouts;
CREATE TRIGGER payouts_counted_update
AFTER UPDATE OF status, amount_fen, shop_id, business_date, operator_id ON payouts
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount_fen <> NEW.amount_fen OR OLD.shop_id <> NEW.shop_id
   OR OLD.business_date <> NEW.business_date OR OLD.operator_id <> NEW.operator_id)
EXECUTE FUNCTION payouts_counted();

-- See migrations/sqlite/0009: failed guesses apart from attempts still being checked.
ALTER TABLE sign_in_throttle ADD COLUMN pending BIGINT NOT NULL DEFAULT 0 CHECK (pending >= 0);
