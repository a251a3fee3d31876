-- Which payout statuses are "counted" (SPEC §3), as one table that every statement and trigger
-- reads. The definition is payout-core's `PayoutStatus::is_counted`: the server checks at start
-- that these rows say the same, and refuses to start if not (a change needs a migration).
CREATE TABLE payout_statuses (
    status  TEXT    PRIMARY KEY,
    counted BOOLEAN NOT NULL
) WITHOUT ROWID;
INSERT INTO payout_statuses (status, counted) VALUES
    ('awaiting_approval', TRUE), ('pending', TRUE), ('processing', TRUE), ('succeeded', TRUE),
    ('failed', FALSE), ('rejected', FALSE);

DROP TRIGGER payouts_counted_insert;
DROP TRIGGER payouts_counted_update;
DROP TRIGGER payouts_counted_delete;

CREATE TRIGGER payouts_counted_insert AFTER INSERT ON payouts
WHEN (SELECT counted FROM payout_statuses WHERE status = NEW.status)
BEGIN
    INSERT INTO counted_days (shop_id, business_date, operator_id, counted_fen)
    VALUES (NEW.shop_id, NEW.business_date, NEW.operator_id, NEW.amount_fen)
    ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = counted_fen + excluded.counted_fen;
END;

CREATE TRIGGER payouts_counted_update
AFTER UPDATE OF status, amount_fen, shop_id, business_date, operator_id ON payouts
WHEN (SELECT counted FROM payout_statuses WHERE status = OLD.status)
       != (SELECT counted FROM payout_statuses WHERE status = NEW.status)
  OR OLD.amount_fen != NEW.amount_fen OR OLD.shop_id != NEW.shop_id
  OR OLD.business_date != NEW.business_date OR OLD.operator_id != NEW.operator_id
BEGIN
    UPDATE counted_days SET counted_fen = counted_fen - OLD.amount_fen
    WHERE (SELECT counted FROM payout_statuses WHERE status = OLD.status)
      AND shop_id = OLD.shop_id AND business_date = OLD.business_date AND operator_id = OLD.operator_id;
    INSERT INTO counted_days (shop_id, business_date, operator_id, counted_fen)
    SELECT NEW.shop_id, NEW.business_date, NEW.operator_id, NEW.amount_fen
    WHERE (SELECT counted FROM payout_statuses WHERE status = NEW.status)
    ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = counted_fen + excluded.counted_fen;
END;

CREATE TRIGGER payouts_counted_delete AFTER DELETE ON payouts
WHEN (SELECT counted FROM payout_statuses WHERE status = OLD.status)
BEGIN
    UPDATE counted_days SET counted_fen = counted_fen - OLD.amount_fen
    WHERE shop_id = OLD.shop_id AND business_date = OLD.business_date AND operator_id = OLD.operator_id;
END;

-- The sign-in throttle tells failed guesses from attempts still being checked: `count` is both,
-- `pending` the latter. A right password takes back its own attempt, so concurrent right sign-ins
-- never lock each other out, while guesses stay counted before they are checked.
ALTER TABLE sign_in_throttle ADD COLUMN pending INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0);
