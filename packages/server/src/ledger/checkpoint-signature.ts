import { createHmac, timingSafeEqual } from 'node:crypto';
import { currentKek, installedKek } from '../crypto/keyring.js';

/**
 * Checkpoints are signed (migration 0038): an HMAC-SHA-256 of the checkpoint's id, itself the
 * digest of its fields and of every account's checkpointed state, under a key derived from the
 * key-encryption key. Whoever can write the database can recompute a digest; only a holder of the
 * KEK can sign one, so a later `purse verify` starts only from a checkpoint `purse verify` wrote.
 */
export interface CheckpointSigner {
  readonly kek_id: string;
  readonly key: Buffer;
}

const signing_purpose = 'purse:ledger-checkpoint';

function signingKey(kek: Buffer): Buffer {
  return createHmac('sha256', kek).update(signing_purpose).digest();
}

/** The signer of this process: its current KEK (installProcessKek). */
export function processSigner(): CheckpointSigner {
  const { id, kek } = currentKek();
  return { kek_id: id, key: signingKey(kek) };
}

export function signCheckpoint(signer: CheckpointSigner, checkpoint_id: string): Buffer {
  return createHmac('sha256', signer.key).update(checkpoint_id).digest();
}

/** Why the checkpoint's signature cannot be trusted, or undefined when it holds. */
export function signatureProblem(checkpoint: {
  readonly seq: string;
  readonly id: string;
  readonly kek_id: string | null;
  readonly signature: Buffer | null;
}): string | undefined {
  const start_over = 'run `purse verify --full` to check everything and start a new chain of checkpoints';
  if (checkpoint.kek_id === null || checkpoint.signature === null)
    return `checkpoint ${checkpoint.seq} is not signed (written before migration 0038): ${start_over}`;
  const kek = installedKek(checkpoint.kek_id);
  if (kek === undefined)
    return `checkpoint ${checkpoint.seq} was signed under key-encryption key ${checkpoint.kek_id}, which this process does not have (PURSE_KEK, or PURSE_KEK_PREVIOUS while rotating): ${start_over}`;
  const expected = signCheckpoint({ kek_id: checkpoint.kek_id, key: signingKey(kek) }, checkpoint.id);
  if (checkpoint.signature.length !== expected.length || !timingSafeEqual(checkpoint.signature, expected))
    return `checkpoint ${checkpoint.seq} does not carry the signature of its content: it was changed, or not written by \`purse verify\` with this server's key-encryption key; ${start_over}`;
  return undefined;
}
