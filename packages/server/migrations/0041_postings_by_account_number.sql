-- Postings name their account by an 8-byte number instead of its 30-byte text id: in every row and
-- in every entry of the primary key, (account_number, account_seq). docs/decisions.md, "Accounts
-- numbered in postings", gives the bytes and times this saves and what it costs an upgrade.
--
-- Every account gets its number once, from a sequence, and keeps it: the number is internal, never
-- shown by the API, which still names accounts and postings by their ids.
ALTER TABLE accounts ADD COLUMN number bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE accounts ADD CONSTRAINT accounts_number UNIQUE (number);

-- Looks up an account's number, for the rewrite below only: ALTER ... TYPE takes no subquery.
CREATE FUNCTION account_number_of(account_id text) RETURNS bigint LANGUAGE sql STABLE
  AS 'SELECT number FROM accounts WHERE id = account_id';

-- One rewrite of the table, with the key rebuilt once after it. Rows keep their order and their
-- other columns; triggers do not run (postings stay immutable to every statement but this one).
-- The rewrite holds writes to postings back while it runs: about a minute for ten million rows
-- on the bench machine (docs/operations.md, "Upgrading").
ALTER TABLE postings DROP CONSTRAINT postings_account_seq;
ALTER TABLE postings ALTER COLUMN account_id TYPE bigint USING account_number_of(account_id);
ALTER TABLE postings RENAME COLUMN account_id TO account_number;
ALTER TABLE postings ADD CONSTRAINT postings_account_seq PRIMARY KEY (account_number, account_seq);
DROP FUNCTION account_number_of(text);

-- As migration 0040's, with the account found by its number.
CREATE OR REPLACE FUNCTION postings_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced record;
  orphan record;
BEGIN
  SELECT i.account_seq, i.transaction_id, i.account_number INTO orphan FROM inserted i
  LEFT JOIN ledger_transactions t ON t.id = i.transaction_id
  LEFT JOIN accounts a ON a.number = i.account_number
  WHERE t.id IS NULL OR a.id IS NULL OR a.asset <> i.asset OR a.livemode <> t.livemode
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'posting % of account number % names a missing or mismatched entry % or account',
      orphan.account_seq, orphan.account_number, orphan.transaction_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT transaction_id, asset, layer, count(*) AS postings INTO unbalanced FROM inserted
  GROUP BY transaction_id, asset, layer
  HAVING sum(CASE WHEN (side = 'debit') <> release THEN amount ELSE -amount END) <> 0
      OR count(*) < 2
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance in % (%)', unbalanced.transaction_id,
      unbalanced.asset, unbalanced.layer USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
