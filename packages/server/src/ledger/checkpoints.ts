import { appendAudit } from '../audit/append.js';
import type { ChainPoint } from '../audit/verify.js';
import type { Queryable } from '../db/pool.js';
import { type CheckpointSigner, signatureProblem, signCheckpoint } from './checkpoint-signature.js';
import { statesWrittenSince } from './checkpoint-states.js';
import type { Violation } from './verify.js';
import { idIn } from './verify-changed.js';

/** A successful `purse verify`: every posting up to it holds (migration 0035). */
export interface Checkpoint {
  readonly seq: string;
  readonly id: string;
  readonly previous_id: string | null;
  readonly full_check: boolean;
  readonly created_at: Date;
  readonly postings_checked: string;
  readonly postings_through: string;
  readonly audit_seq: string;
  readonly audit_hash: Buffer;
  /** Every event position up to it was held once (0039); null before, when the next run reads all. */
  readonly events_position: string | null;
  /**
   * The xmin of the snapshot it verified and its own transaction's id (0047), which tell the next
   * run the accounts written since (verify-changed.ts); null before.
   */
  readonly snapshot_xmin: string | null;
  readonly xact_id: string | null;
  /**
   * Which account states its digest covers (0049): every one, or those it wrote, the others being
   * vouched for by their row versions (checkpoint-states.ts).
   */
  readonly digest_states: 'every' | 'written';
  /** The KEK whose derived key signed it, and the signature (checkpoint-signature.ts); null before 0038. */
  readonly kek_id: string | null;
  readonly signature: Buffer | null;
}

/** The audit action that links a checkpoint's id (its digest) into the hash chain. */
export const checkpoint_action = 'ledger.checkpoint';

const digest_of = (c: string) =>
  `'lcp_' || encode(ledger_checkpoint_digest(${c}seq, ${c}previous_id, ${c}full_check, ${c}created_at,
     ${c}postings_checked, ${c}postings_through, ${c}audit_seq, ${c}audit_hash, ${c}events_position,
     ${c}snapshot_xmin, ${c}xact_id, ${c}digest_states), 'hex')`;

export async function latestCheckpoint(db: Queryable): Promise<Checkpoint | undefined> {
  const result = await db.query<Checkpoint>('SELECT * FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1');
  return result.rows[0];
}

export function chainPoint(checkpoint: Checkpoint): ChainPoint {
  return { seq: BigInt(checkpoint.audit_seq), hash: checkpoint.audit_hash };
}

/**
 * A checkpoint is trusted only if it carries the signature of its id (checkpoint-signature.ts), its
 * id is still the digest of its fields and of the account states it covers, no other state was
 * written since (checkpoint-states.ts), an audit entry names that id (so it is in the hash chain,
 * or will be once sealed), and the audit entry it says it verified up to is the one in the log.
 */
export async function checkCheckpoint(db: Queryable, checkpoint: Checkpoint): Promise<Violation[]> {
  const unsigned = signatureProblem(checkpoint);
  if (unsigned !== undefined)
    return [{ check: 'checkpoint_signature', subject: checkpoint.id, detail: unsigned }];
  const result = await db.query<{ digest: string; audited: boolean; chain_point: boolean }>(
    `SELECT ${digest_of('c.')} AS digest,
       EXISTS (SELECT 1 FROM audit_logs WHERE object_id = c.id AND action = $2) AS audited,
       (c.audit_seq = 0 OR EXISTS (SELECT 1 FROM audit_logs WHERE seq = c.audit_seq AND hash = c.audit_hash)) AS chain_point
     FROM ledger_checkpoints c WHERE c.seq = $1`,
    [checkpoint.seq, checkpoint_action],
  );
  const row = result.rows[0];
  const problem = (detail: string): Violation[] => [
    { check: 'checkpoint_matches_digest', subject: checkpoint.id, detail },
  ];
  if (row === undefined) return problem('the checkpoint is gone');
  // The states a checkpoint wrote are known by its transaction's id, which a logical dump renumbers.
  const after_restore =
    checkpoint.digest_states === 'written'
      ? ' (or the database was restored from a logical dump, which numbers transactions anew: run `purse verify --full`)'
      : '';
  if (row.digest !== checkpoint.id)
    return problem(
      `checkpoint ${checkpoint.seq} or the accounts' checkpointed states changed: their digest is now ${row.digest}${after_restore}`,
    );
  if (!row.audited) return problem(`no ${checkpoint_action} audit entry names checkpoint ${checkpoint.seq}`);
  if (!row.chain_point)
    return problem(
      `audit entry ${checkpoint.audit_seq} is not the one checkpoint ${checkpoint.seq} verified up to`,
    );
  return checkpoint.digest_states === 'written' ? statesWrittenSince(db, checkpoint) : [];
}

/**
 * Records what the caller's transaction verified: every account's state at its last posting (of
 * the accounts `changed`, when given: the others' are as the previous checkpoint recorded them),
 * then the checkpoint (its id the digest of its fields, of the transaction's snapshot and of the
 * states it wrote, signed by `signer`), then its audit entry, all committing together.
 */
export async function recordCheckpoint(
  db: Queryable,
  run: {
    previous: Checkpoint | undefined;
    full_check: boolean;
    postings_checked: number;
    audit: ChainPoint;
    events_position: string;
    /** The ids of the accounts written since `previous` (accountBatches); null for every account. */
    changed: readonly string[] | null;
    now: Date;
    signer: CheckpointSigner;
  },
): Promise<Checkpoint> {
  if (run.full_check) await db.query('DELETE FROM ledger_checkpoint_accounts');
  await db.query(
    `INSERT INTO ledger_checkpoint_accounts AS c (account_id, account_seq, posted_after, held_after, incoming_after,
       created_at_max, posted_debits, posted_credits, pending_debits, pending_credits)
     SELECT a.id, a.postings_count, p.posted_after, p.held_after, p.incoming_after, p.created_at_max,
       a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits
     FROM accounts a JOIN postings p ON p.account_number = a.number AND p.account_seq = a.postings_count
     LEFT JOIN ledger_checkpoint_accounts old ON old.account_id = a.id
     WHERE a.postings_count > 0 AND old.account_seq IS DISTINCT FROM a.postings_count
       ${run.changed === null ? '' : `AND ${idIn('$1')}`}
     ON CONFLICT (account_id) DO UPDATE SET account_seq = excluded.account_seq, posted_after = excluded.posted_after,
       held_after = excluded.held_after, incoming_after = excluded.incoming_after, created_at_max = excluded.created_at_max,
       posted_debits = excluded.posted_debits, posted_credits = excluded.posted_credits,
       pending_debits = excluded.pending_debits, pending_credits = excluded.pending_credits`,
    run.changed === null ? [] : [run.changed],
  );
  // Every posting up to the previous checkpoint, and those this run checked: all of them from the start.
  const postings_through =
    BigInt(run.full_check ? 0 : (run.previous?.postings_through ?? '0')) + BigInt(run.postings_checked);
  // The id is computed first, in this transaction, so that it can be signed before the row is
  // written (checkpoints are append-only: no UPDATE adds the signature later).
  const fields = await db.query<Omit<Checkpoint, 'kek_id' | 'signature'>>(
    `SELECT n.seq, ${digest_of('n.')} AS id, n.previous_id, n.full_check, n.created_at, n.postings_checked,
       n.postings_through, n.audit_seq, n.audit_hash, n.events_position, n.snapshot_xmin, n.xact_id, n.digest_states
     FROM (SELECT $1::bigint AS seq, $2::text AS previous_id, $3::boolean AS full_check, $4::timestamptz AS created_at,
       $5::bigint AS postings_checked, $9::bigint AS postings_through,
       $6::bigint AS audit_seq, $7::bytea AS audit_hash, $8::bigint AS events_position,
       pg_snapshot_xmin(pg_current_snapshot()) AS snapshot_xmin, pg_current_xact_id() AS xact_id,
       'written'::text AS digest_states) n`,
    [
      (BigInt(run.previous?.seq ?? '0') + 1n).toString(),
      run.previous?.id ?? null,
      run.full_check,
      run.now,
      run.postings_checked,
      run.audit.seq.toString(),
      run.audit.hash,
      run.events_position,
      postings_through.toString(),
    ],
  );
  const row = fields.rows[0];
  if (row === undefined) throw new Error('the checkpoint digest query returned no row');
  const inserted = await db.query<Checkpoint>(
    `INSERT INTO ledger_checkpoints (seq, id, previous_id, full_check, created_at, postings_checked, postings_through,
       audit_seq, audit_hash, events_position, snapshot_xmin, xact_id, digest_states, kek_id, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *`,
    [
      row.seq,
      row.id,
      row.previous_id,
      row.full_check,
      row.created_at,
      row.postings_checked,
      row.postings_through,
      row.audit_seq,
      row.audit_hash,
      row.events_position,
      row.snapshot_xmin,
      row.xact_id,
      row.digest_states,
      run.signer.kek_id,
      signCheckpoint(run.signer, row.id),
    ],
  );
  const checkpoint = inserted.rows[0] as Checkpoint;
  await appendAudit(db, [
    {
      livemode: true,
      actor: 'cli',
      action: checkpoint_action,
      object_id: checkpoint.id,
      request_id: null,
      ip: null,
      outcome_status: 200,
      outcome_code: null,
      created_at: run.now,
    },
  ]);
  return checkpoint;
}
