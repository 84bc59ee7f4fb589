-- Transfers are keyed by (livemode, id) (issue 21, bytes per transfer; docs/decisions.md, "Smaller
-- indexes on events and transfers"). The primary key on id and the list index on (livemode, id)
-- held the same 30-byte key twice, about 50 bytes a transfer and one index entry more on every
-- write. Every read of a transfer by id names its mode, as the events' do since migration 0043; an
-- id is unique within its mode. A refund names its transfer in its own mode.
--
-- The new key is built in this transaction, holding writes to transfers back meanwhile
-- (docs/operations.md, "Migrations").
CREATE UNIQUE INDEX transfers_mode_id ON transfers (livemode, id);
ALTER TABLE refunds DROP CONSTRAINT refunds_transfer_id_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_pkey;
ALTER TABLE transfers ADD CONSTRAINT transfers_pkey PRIMARY KEY USING INDEX transfers_mode_id;
DROP INDEX transfers_list;
ALTER TABLE refunds ADD CONSTRAINT refunds_transfer_id_fkey
  FOREIGN KEY (livemode, transfer_id) REFERENCES transfers (livemode, id);
