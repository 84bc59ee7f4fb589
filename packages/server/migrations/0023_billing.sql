-- Recurring billing: a catalogue (products, prices, coupons, tax rates), subscriptions with their
-- items, invoices, usage records, and test clocks that move simulated time for test-mode holders.
-- Money never lives here: an invoice is paid by one ledger entry (a wallet) or a payment (a card);
-- these tables hold the agreement and which entry paid what. Amounts are minor units, as in the
-- ledger; percentages are exact decimals.

-- Prices, tax rates and invoices are referred to by what they billed; none is ever deleted.
CREATE FUNCTION billing_rows_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TABLE test_clocks (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL CHECK (NOT livemode),
  name          text CHECK (char_length(name) <= 200),
  frozen_time   timestamptz NOT NULL,
  status        text NOT NULL CHECK (status IN ('ready', 'advancing')),
  -- Where an advance is going while it runs; the worker resumes an advance cut off by a crash.
  advancing_to  timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  CHECK ((status = 'advancing') = (advancing_to IS NOT NULL)),
  CHECK (advancing_to IS NULL OR advancing_to > frozen_time)
);
CREATE INDEX test_clocks_list ON test_clocks (livemode, id);

-- A holder lives in its clock's time from creation on; the clock never changes, so objects that
-- belong to the holder can copy it.
ALTER TABLE holders ADD COLUMN test_clock_id text REFERENCES test_clocks (id);
ALTER TABLE holders ADD CONSTRAINT holders_test_clock_in_test_mode CHECK (test_clock_id IS NULL OR NOT livemode);

CREATE TABLE products (
  id          text PRIMARY KEY,
  livemode    boolean NOT NULL,
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description text CHECK (char_length(description) <= 1000),
  active      boolean NOT NULL DEFAULT true,
  metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  UNIQUE (id, livemode)
);
CREATE INDEX products_list ON products (livemode, id);

CREATE TABLE prices (
  id                        text PRIMARY KEY,
  livemode                  boolean NOT NULL,
  product_id                text NOT NULL,
  asset                     text NOT NULL,
  type                      text NOT NULL CHECK (type IN ('recurring', 'one_time')),
  billing_scheme            text NOT NULL CHECK (billing_scheme IN ('per_unit', 'tiered')),
  unit_amount               numeric(39, 0) CHECK (unit_amount >= 0 AND unit_amount < 1e27),
  tiers_mode                text CHECK (tiers_mode IN ('graduated', 'volume')),
  -- [{up_to: text | null, unit_amount_minor: text, flat_amount_minor: text}], checked by the service.
  tiers                     jsonb CHECK (jsonb_typeof(tiers) = 'array'),
  recurring_interval        text CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
  recurring_interval_count  integer CHECK (recurring_interval_count BETWEEN 1 AND 1095),
  usage_type                text NOT NULL CHECK (usage_type IN ('licensed', 'metered')),
  nickname                  text CHECK (char_length(nickname) <= 200),
  active                    boolean NOT NULL DEFAULT true,
  metadata                  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at                timestamptz NOT NULL,
  updated_at                timestamptz NOT NULL,
  FOREIGN KEY (product_id, livemode) REFERENCES products (id, livemode),
  UNIQUE (id, livemode),
  CHECK ((billing_scheme = 'per_unit') = (unit_amount IS NOT NULL)),
  CHECK ((billing_scheme = 'tiered') = (tiers IS NOT NULL AND tiers_mode IS NOT NULL)),
  CHECK ((type = 'recurring') = (recurring_interval IS NOT NULL AND recurring_interval_count IS NOT NULL)),
  CHECK (usage_type = 'licensed' OR type = 'recurring')
);
CREATE INDEX prices_list ON prices (livemode, id);
CREATE INDEX prices_product ON prices (product_id, id);

-- What a price charges never changes once it exists (Stripe's rule): a subscription or invoice
-- that used it must keep meaning the same money. Archive it (active = false) and make another.
CREATE FUNCTION prices_terms_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.product_id, NEW.asset, NEW.type, NEW.billing_scheme, NEW.unit_amount, NEW.tiers_mode, NEW.tiers,
      NEW.recurring_interval, NEW.recurring_interval_count, NEW.usage_type, NEW.livemode)
     IS DISTINCT FROM
     (OLD.product_id, OLD.asset, OLD.type, OLD.billing_scheme, OLD.unit_amount, OLD.tiers_mode, OLD.tiers,
      OLD.recurring_interval, OLD.recurring_interval_count, OLD.usage_type, OLD.livemode) THEN
    RAISE EXCEPTION 'a price''s terms never change' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER prices_terms_immutable BEFORE UPDATE ON prices FOR EACH ROW EXECUTE FUNCTION prices_terms_immutable();
CREATE TRIGGER prices_never_deleted BEFORE DELETE ON prices FOR EACH ROW EXECUTE FUNCTION billing_rows_permanent();

CREATE TABLE coupons (
  id                  text PRIMARY KEY,
  livemode            boolean NOT NULL,
  name                text CHECK (char_length(name) <= 200),
  percent_off         numeric(7, 4) CHECK (percent_off > 0 AND percent_off <= 100),
  amount_off          numeric(39, 0) CHECK (amount_off > 0 AND amount_off < 1e27),
  currency            text,
  duration            text NOT NULL CHECK (duration IN ('once', 'repeating', 'forever')),
  duration_in_months  integer CHECK (duration_in_months BETWEEN 1 AND 120),
  max_redemptions     integer CHECK (max_redemptions > 0),
  times_redeemed      integer NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
  active              boolean NOT NULL DEFAULT true,
  metadata            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  UNIQUE (id, livemode),
  CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
  CHECK ((amount_off IS NULL) = (currency IS NULL)),
  CHECK ((duration = 'repeating') = (duration_in_months IS NOT NULL)),
  CHECK (max_redemptions IS NULL OR times_redeemed <= max_redemptions)
);
CREATE INDEX coupons_list ON coupons (livemode, id);

CREATE TABLE tax_rates (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL,
  display_name  text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
  percentage    numeric(7, 4) NOT NULL CHECK (percentage > 0 AND percentage <= 100),
  inclusive     boolean NOT NULL,
  jurisdiction  text CHECK (char_length(jurisdiction) <= 100),
  active        boolean NOT NULL DEFAULT true,
  metadata      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  UNIQUE (id, livemode)
);
CREATE INDEX tax_rates_list ON tax_rates (livemode, id);
CREATE TRIGGER tax_rates_never_deleted BEFORE DELETE ON tax_rates FOR EACH ROW EXECUTE FUNCTION billing_rows_permanent();

CREATE TABLE subscriptions (
  id                    text PRIMARY KEY,
  livemode              boolean NOT NULL,
  holder_id             text NOT NULL REFERENCES holders (id),
  status                text NOT NULL
                        CHECK (status IN ('trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused', 'incomplete')),
  asset                 text NOT NULL,
  interval              text NOT NULL CHECK (interval IN ('day', 'week', 'month', 'year')),
  interval_count        integer NOT NULL CHECK (interval_count BETWEEN 1 AND 1095),
  -- Collected from a wallet of the holder (the ledger) or from a source through a rail.
  wallet_id             text,
  source                jsonb,
  revenue_account_id    text NOT NULL,
  billing_cycle_anchor  timestamptz NOT NULL,
  current_period_start  timestamptz NOT NULL,
  current_period_end    timestamptz NOT NULL,
  trial_start           timestamptz,
  trial_end             timestamptz,
  cancel_at_period_end  boolean NOT NULL DEFAULT false,
  canceled_at           timestamptz,
  ended_at              timestamptz,
  paused_at             timestamptz,
  coupon_id             text REFERENCES coupons (id),
  -- A repeating coupon stops applying at this time; a once coupon after its first invoice.
  discount_end          timestamptz,
  tax_rate_ids          text[] NOT NULL DEFAULT '{}',
  -- Dunning: seconds after the first failure for each retry, and what happens after the last.
  retry_schedule_s      integer[] NOT NULL,
  final_action          text NOT NULL CHECK (final_action IN ('unpaid', 'canceled')),
  latest_invoice_id     text,
  test_clock_id         text REFERENCES test_clocks (id),
  metadata              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  CHECK ((wallet_id IS NULL) <> (source IS NULL)),
  CHECK (current_period_end > current_period_start),
  CHECK (trial_end IS NULL OR trial_start IS NOT NULL),
  CHECK ((status = 'canceled') = (ended_at IS NOT NULL)),
  CHECK ((status = 'paused') = (paused_at IS NOT NULL)),
  CHECK (status <> 'trialing' OR trial_end IS NOT NULL),
  CHECK (cardinality(retry_schedule_s) <= 10)
);
CREATE INDEX subscriptions_list ON subscriptions (livemode, id);
CREATE INDEX subscriptions_holder ON subscriptions (holder_id, id);
-- The billing run's queue: subscriptions whose period has ended, in real time and per test clock.
CREATE INDEX subscriptions_due ON subscriptions (current_period_end)
  WHERE status IN ('trialing', 'active', 'past_due') AND test_clock_id IS NULL;
CREATE INDEX subscriptions_clock_due ON subscriptions (test_clock_id, current_period_end)
  WHERE status IN ('trialing', 'active', 'past_due') AND test_clock_id IS NOT NULL;

CREATE TABLE subscription_items (
  id               text PRIMARY KEY,
  subscription_id  text NOT NULL REFERENCES subscriptions (id),
  price_id         text NOT NULL REFERENCES prices (id),
  quantity         bigint NOT NULL CHECK (quantity >= 0 AND quantity <= 1000000000),
  created_at       timestamptz NOT NULL,
  -- A removed item stays, so late usage recorded against it is still billed once.
  deleted_at       timestamptz
);
CREATE INDEX subscription_items_of ON subscription_items (subscription_id, id);
CREATE UNIQUE INDEX subscription_items_one_price ON subscription_items (subscription_id, price_id) WHERE deleted_at IS NULL;

-- Lines waiting for the subscription's next invoice: prorations of a mid-period change.
CREATE TABLE invoice_items (
  id               text PRIMARY KEY,
  livemode         boolean NOT NULL,
  subscription_id  text NOT NULL REFERENCES subscriptions (id),
  invoice_id       text,
  line             jsonb NOT NULL CHECK (jsonb_typeof(line) = 'object'),
  created_at       timestamptz NOT NULL
);
CREATE INDEX invoice_items_pending ON invoice_items (subscription_id, id) WHERE invoice_id IS NULL;

CREATE TABLE invoice_number_counters (
  livemode  boolean PRIMARY KEY,
  last      bigint NOT NULL CHECK (last >= 0)
);
INSERT INTO invoice_number_counters VALUES (false, 0), (true, 0);

CREATE TABLE invoices (
  id                     text PRIMARY KEY,
  livemode               boolean NOT NULL,
  -- Given at finalization, in order, with no gaps per mode.
  number                 text,
  holder_id              text NOT NULL REFERENCES holders (id),
  subscription_id        text REFERENCES subscriptions (id),
  status                 text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
  billing_reason         text NOT NULL CHECK (billing_reason IN
                           ('subscription_create', 'subscription_cycle', 'subscription_update', 'subscription_cancel', 'manual')),
  collection_method      text NOT NULL CHECK (collection_method IN ('charge_automatically', 'send_invoice')),
  asset                  text NOT NULL,
  wallet_id              text,
  source                 jsonb,
  revenue_account_id     text NOT NULL,
  period_start           timestamptz NOT NULL,
  period_end             timestamptz NOT NULL,
  -- [{id, type, description, price_id, quantity, unit_amount_minor, amount_minor, discount_minor,
  --   taxes: [{tax_rate_id, inclusive, amount_minor}], proration, period: {start, end}}]
  lines                  jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) <= 250),
  coupon_id              text,
  tax_rate_ids           text[] NOT NULL DEFAULT '{}',
  subtotal               numeric(39, 0) NOT NULL,
  discount               numeric(39, 0) NOT NULL CHECK (discount >= 0),
  tax                    numeric(39, 0) NOT NULL,
  total                  numeric(39, 0) NOT NULL CHECK (abs(total) < 1e27),
  amount_paid            numeric(39, 0) NOT NULL DEFAULT 0,
  attempt_count          integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  next_payment_attempt   timestamptz,
  last_failure_code      text,
  due_date               timestamptz,
  ledger_transaction_id  text,
  payment_id             text,
  description            text CHECK (char_length(description) <= 1000),
  test_clock_id          text REFERENCES test_clocks (id),
  metadata               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  finalized_at           timestamptz,
  paid_at                timestamptz,
  voided_at              timestamptz,
  marked_uncollectible_at timestamptz,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  UNIQUE (livemode, number),
  CHECK ((wallet_id IS NULL) OR (source IS NULL)),
  CHECK ((number IS NULL) = (status = 'draft')),
  CHECK ((finalized_at IS NULL) = (status = 'draft')),
  CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
  CHECK ((status = 'void') = (voided_at IS NOT NULL)),
  CHECK (status <> 'paid' OR amount_paid = total),
  CHECK (status = 'paid' OR amount_paid = 0),
  -- A paid invoice with money in it names the ledger entry or payment that paid it.
  CHECK (status <> 'paid' OR total = 0 OR ledger_transaction_id IS NOT NULL OR payment_id IS NOT NULL),
  CHECK (next_payment_attempt IS NULL OR status = 'open'),
  CHECK (period_end >= period_start)
);
CREATE INDEX invoices_list ON invoices (livemode, id);
CREATE INDEX invoices_subscription ON invoices (subscription_id, id) WHERE subscription_id IS NOT NULL;
-- Dunning's queue: open invoices with a retry due, in real time and per test clock; and open
-- invoices collected from a wallet, which a top-up may let the worker pay at once.
CREATE INDEX invoices_retry_due ON invoices (next_payment_attempt)
  WHERE next_payment_attempt IS NOT NULL AND test_clock_id IS NULL;
CREATE INDEX invoices_clock_retry_due ON invoices (test_clock_id, next_payment_attempt)
  WHERE next_payment_attempt IS NOT NULL AND test_clock_id IS NOT NULL;
CREATE INDEX invoices_open_from_wallet ON invoices (wallet_id)
  WHERE status = 'open' AND wallet_id IS NOT NULL AND collection_method = 'charge_automatically';
CREATE TRIGGER invoices_never_deleted BEFORE DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION billing_rows_permanent();

CREATE TABLE usage_records (
  id                    text PRIMARY KEY,
  livemode              boolean NOT NULL,
  subscription_item_id  text NOT NULL REFERENCES subscription_items (id),
  quantity              bigint NOT NULL CHECK (quantity >= 0 AND quantity <= 1000000000000),
  action                text NOT NULL CHECK (action IN ('increment', 'set')),
  timestamp             timestamptz NOT NULL,
  -- The caller's id for this record: the same identifier twice records it once.
  identifier            text CHECK (char_length(identifier) BETWEEN 1 AND 100),
  -- The invoice that billed it; null until then.
  invoice_id            text,
  created_at            timestamptz NOT NULL,
  UNIQUE (livemode, identifier)
);
CREATE INDEX usage_records_unbilled ON usage_records (subscription_item_id, timestamp, id) WHERE invoice_id IS NULL;
