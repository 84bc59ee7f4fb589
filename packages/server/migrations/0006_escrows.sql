-- Escrows: money taken from a payer at once into the escrow system account, then released to the
-- payee (all at once, by amount or by milestone) or refunded to the payer. The ledger holds the
-- money; this table holds the agreement and how much of it has been settled each way.

-- Milestones split the amount exactly; each is pending, released or canceled; the released ones
-- add up to released_amount and the canceled ones to refunded_amount, to the minor unit. Without
-- milestones (an empty array) releases go by amount and only the totals are checked.
CREATE FUNCTION escrow_milestones_consistent(milestones jsonb, amount numeric, released numeric, refunded numeric)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_array_length(milestones) = 0 OR (
    bool_and(m ? 'id' AND (m->>'amount_minor')::numeric > 0 AND m->>'status' IN ('pending', 'released', 'canceled'))
    AND count(DISTINCT m->>'id') = count(*)
    AND sum((m->>'amount_minor')::numeric) = amount
    AND coalesce(sum((m->>'amount_minor')::numeric) FILTER (WHERE m->>'status' = 'released'), 0) = released
    AND coalesce(sum((m->>'amount_minor')::numeric) FILTER (WHERE m->>'status' = 'canceled'), 0) = refunded)
  FROM jsonb_array_elements(milestones) AS m
$$;

CREATE TABLE escrows (
  id                  text PRIMARY KEY,
  livemode            boolean NOT NULL,
  status              text NOT NULL CHECK (status IN ('held', 'released', 'canceled', 'disputed')),
  -- References are checked per statement by escrows_check below, as transfers' are.
  payer_wallet_id     text NOT NULL,
  payee_wallet_id     text NOT NULL CHECK (payee_wallet_id <> payer_wallet_id),
  escrow_account_id   text NOT NULL,
  asset               text NOT NULL,
  amount              numeric(39, 0) NOT NULL CHECK (amount > 0 AND amount < 1e38),
  released_amount     numeric(39, 0) NOT NULL DEFAULT 0 CHECK (released_amount >= 0),
  refunded_amount     numeric(39, 0) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  -- [{id, amount_minor (text), description, status}]
  milestones          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(milestones) = 'array'),
  auto_release_at     timestamptz,
  auto_refund_at      timestamptz,
  -- When the worker may try again an automatic action the ledger refused (a frozen wallet).
  auto_retry_at       timestamptz,
  dispute_reason      text CHECK (char_length(dispute_reason) <= 1000),
  disputed_at         timestamptz,
  dispute_outcome     text CHECK (dispute_outcome IN ('release', 'refund', 'resume')),
  dispute_resolved_at timestamptz,
  description         text CHECK (char_length(description) <= 1000),
  metadata            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  CONSTRAINT escrows_settled_within_amount CHECK (released_amount + refunded_amount <= amount),
  -- Money leaves escrow towards the payer only when the escrow ends; it ends when nothing remains.
  CONSTRAINT escrows_status_matches_amounts CHECK (CASE status
    WHEN 'held' THEN refunded_amount = 0 AND released_amount < amount
    WHEN 'disputed' THEN refunded_amount = 0 AND released_amount < amount
    WHEN 'released' THEN released_amount = amount
    WHEN 'canceled' THEN refunded_amount > 0 AND released_amount + refunded_amount = amount
  END),
  CONSTRAINT escrows_milestones_match CHECK (escrow_milestones_consistent(milestones, amount, released_amount, refunded_amount)),
  CONSTRAINT escrows_one_auto_action CHECK (auto_release_at IS NULL OR auto_refund_at IS NULL),
  CHECK ((disputed_at IS NULL) = (dispute_reason IS NULL)),
  CHECK ((dispute_outcome IS NULL) = (dispute_resolved_at IS NULL)),
  CHECK (dispute_resolved_at IS NULL OR disputed_at IS NOT NULL),
  CONSTRAINT escrows_disputed_while_open CHECK ((status = 'disputed') = (disputed_at IS NOT NULL AND dispute_resolved_at IS NULL))
);
CREATE INDEX escrows_list ON escrows (livemode, id);
CREATE INDEX escrows_payer ON escrows (payer_wallet_id, id);
CREATE INDEX escrows_payee ON escrows (payee_wallet_id, id);
CREATE INDEX escrows_auto_release ON escrows (auto_release_at) WHERE status = 'held' AND auto_release_at IS NOT NULL;
CREATE INDEX escrows_auto_refund ON escrows (auto_refund_at) WHERE status = 'held' AND auto_refund_at IS NOT NULL;

-- The payer and payee are wallets, and the escrow account is the escrow system account, all in the
-- escrow's asset and mode.
CREATE FUNCTION escrows_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan record;
BEGIN
  SELECT i.id INTO orphan FROM inserted i
  LEFT JOIN accounts payer ON payer.id = i.payer_wallet_id
  LEFT JOIN accounts payee ON payee.id = i.payee_wallet_id
  LEFT JOIN accounts esc ON esc.id = i.escrow_account_id
  WHERE payer.id IS NULL OR payer.kind <> 'wallet' OR payer.asset <> i.asset OR payer.livemode <> i.livemode
     OR payee.id IS NULL OR payee.kind <> 'wallet' OR payee.asset <> i.asset OR payee.livemode <> i.livemode
     OR esc.id IS NULL OR esc.purpose IS DISTINCT FROM 'escrow' OR esc.asset <> i.asset OR esc.livemode <> i.livemode
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'escrow % names a missing or mismatched account', orphan.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER escrows_check AFTER INSERT ON escrows
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION escrows_check();

-- An escrow's terms never change, money settled never comes back, and an ended escrow is final;
-- escrows are never deleted (ledger entries refer to them).
CREATE FUNCTION escrows_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'escrows are permanent' USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.status IN ('released', 'canceled') THEN
    RAISE EXCEPTION 'escrow % has ended and cannot change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.id, NEW.livemode, NEW.payer_wallet_id, NEW.payee_wallet_id, NEW.escrow_account_id, NEW.asset,
      NEW.amount, NEW.auto_release_at, NEW.auto_refund_at, NEW.created_at)
     IS DISTINCT FROM (OLD.id, OLD.livemode, OLD.payer_wallet_id, OLD.payee_wallet_id, OLD.escrow_account_id,
      OLD.asset, OLD.amount, OLD.auto_release_at, OLD.auto_refund_at, OLD.created_at) THEN
    RAISE EXCEPTION 'the terms of escrow % cannot change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.released_amount < OLD.released_amount OR NEW.refunded_amount < OLD.refunded_amount THEN
    RAISE EXCEPTION 'escrow % cannot take back settled money', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER escrows_guard BEFORE UPDATE OR DELETE ON escrows
  FOR EACH ROW EXECUTE FUNCTION escrows_guard();
CREATE TRIGGER escrows_no_truncate BEFORE TRUNCATE ON escrows
  FOR EACH STATEMENT EXECUTE FUNCTION escrows_guard();
