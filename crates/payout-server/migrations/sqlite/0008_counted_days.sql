-- What each operator's counted payouts (SPEC §3: not failed, not rejected) come to per business
-- day, kept by triggers in the transaction that writes the payout. The shop's day (R-L4) and an
-- operator's (R-L5) are then a few rows instead of a scan of the day's payouts, which grew with
-- every payout and bounded the write path (issue 11). (SQLite runs this under its write lock, so
-- no payout is written between the backfill and the triggers.)
CREATE TABLE counted_days (
    shop_id       INTEGER NOT NULL REFERENCES shops (id),
    business_date TEXT    NOT NULL,
    operator_id   INTEGER NOT NULL,
    counted_fen   INTEGER NOT NULL,
    PRIMARY KEY (shop_id, business_date, operator_id)
) WITHOUT ROWID;

INSERT INTO counted_days (shop_id, business_date, operator_id, counted_fen)
SELECT shop_id, business_date, operator_id, SUM(amount_fen) FROM payouts
WHERE status NOT IN ('failed', 'rejected')
GROUP BY shop_id, business_date, operator_id;

CREATE TRIGGER payouts_counted_insert AFTER INSERT ON payouts
WHEN NEW.status NOT IN ('failed', 'rejected')
BEGIN
    INSERT INTO counted_days (shop_id, business_date, operator_id, counted_fen)
    VALUES (NEW.shop_id, NEW.business_date, NEW.operator_id, NEW.amount_fen)
    ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = counted_fen + excluded.counted_fen;
END;

-- A change of status (a payout stops counting when it fails or is rejected) or of anything the
-- totals are keyed or summed by: the old row leaves its total, the new one joins its own. Only
-- `status` changes today; the rest keeps the totals right if that ever changes.
CREATE TRIGGER payouts_counted_update
AFTER UPDATE OF status, amount_fen, shop_id, business_date, operator_id ON payouts
WHEN (OLD.status IN ('failed', 'rejected')) != (NEW.status IN ('failed', 'rejected'))
  OR OLD.amount_fen != NEW.amount_fen OR OLD.shop_id != NEW.shop_id
  OR OLD.business_date != NEW.business_date OR OLD.operator_id != NEW.operator_id
BEGIN
    UPDATE counted_days SET counted_fen = counted_fen - OLD.amount_fen
    WHERE OLD.status NOT IN ('failed', 'rejected')
      AND shop_id = OLD.shop_id AND business_date = OLD.business_date AND operator_id = OLD.operator_id;
    INSERT INTO counted_days (shop_id, business_date, operator_id, counted_fen)
    SELECT NEW.shop_id, NEW.business_date, NEW.operator_id, NEW.amount_fen
    WHERE NEW.status NOT IN ('failed', 'rejected')
    ON CONFLICT (shop_id, business_date, operator_id) DO UPDATE SET counted_fen = counted_fen + excluded.counted_fen;
END;

CREATE TRIGGER payouts_counted_delete AFTER DELETE ON payouts
WHEN OLD.status NOT IN ('failed', 'rejected')
BEGIN
    UPDATE counted_days SET counted_fen = counted_fen - OLD.amount_fen
    WHERE shop_id = OLD.shop_id AND business_date = OLD.business_date AND operator_id = OLD.operator_id;
END;
