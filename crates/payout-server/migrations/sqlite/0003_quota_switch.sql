-- D6: payout permission (the 岗位 grant, main account only) and the quota switch (quota managers)
-- are two different things. Until now one column held both; the quota starts switched on.
ALTER TABLE users ADD COLUMN quota_enabled INTEGER NOT NULL DEFAULT 1;
