-- An audit entry is written unsealed (seq NULL) and sealed later (0011). The UNIQUE (seq) constraint
-- of 0010 indexed the NULL of every fresh entry too, one index entry per audited request that no
-- query reads and no uniqueness needs (NULLs never conflict). The same uniqueness now covers only
-- sealed entries; `purse verify` walks the chain by seq with this index.
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_seq_unique;
CREATE UNIQUE INDEX audit_logs_seq_unique ON audit_logs (seq) WHERE seq IS NOT NULL;
