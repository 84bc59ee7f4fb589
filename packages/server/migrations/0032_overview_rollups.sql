-- The dashboard's overview (GET /v1/reports/overview, docs/reports.md) and search (GET /v1/search).

-- Daily totals per mode, UTC day, metric and asset, folded from events in position order by the
-- worker's `roll_up_overview` task (src/reports/rollups.ts). `position` is gap-free commit order,
-- so a cursor on it never skips a row that committed late; the day is the event's created_at,
-- so a late row still lands on its own day. Counts-only metrics keep the asset of their object
-- too (a payment is in one asset), which costs nothing and lets a later report split them.
CREATE TABLE daily_rollups (
  livemode  boolean NOT NULL,
  day       date NOT NULL,
  metric    text NOT NULL CHECK (metric IN ('transfer_volume', 'payment_succeeded', 'payment_failed',
                                            'payout_paid', 'payout_failed')),
  asset     text NOT NULL,
  count     bigint NOT NULL CHECK (count > 0),
  amount    numeric(39, 0) NOT NULL CHECK (amount > 0),
  PRIMARY KEY (livemode, day, metric, asset)
);

-- One row per fold: the largest event position already in daily_rollups.
CREATE TABLE rollup_cursors (
  name      text PRIMARY KEY CHECK (name IN ('overview')),
  position  bigint NOT NULL CHECK (position >= 0)
);
INSERT INTO rollup_cursors (name, position) VALUES ('overview', 0);

-- Search by exact amount: one index probe per asset of the mode, newest first, never a scan of
-- the table. They cost each insert one more index entry (measured in bench/results).
CREATE INDEX transfers_amount ON transfers (livemode, asset, amount, id);
CREATE INDEX payments_amount ON payments (livemode, asset, amount, id);
CREATE INDEX payouts_amount ON payouts (livemode, asset, amount, id);

-- Webhook success over a window: deliveries by creation time (they are never moved in time).
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
