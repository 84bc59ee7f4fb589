-- A ledger checkpoint is signed (issue 21): an HMAC-SHA-256 over its id (the digest of its fields
-- and of every account's checkpointed state, 0035) under a key derived from the key-encryption key,
-- which never reaches the database. Whoever can write the tables can recompute a digest and append
-- an audit entry naming it, so a forged checkpoint (one that skips postings an insider edited) would
-- pass the digest check alone; it cannot carry a valid signature. `kek_id` names the KEK whose key
-- signed it (kekId, public). Checkpoints written before this migration have neither and are not
-- trusted: the next `purse verify` asks for `--full` (docs/operations.md).
ALTER TABLE ledger_checkpoints ADD COLUMN kek_id text;
ALTER TABLE ledger_checkpoints ADD COLUMN signature bytea CHECK (octet_length(signature) = 32);
ALTER TABLE ledger_checkpoints ADD CONSTRAINT ledger_checkpoints_signed CHECK ((kek_id IS NULL) = (signature IS NULL));
