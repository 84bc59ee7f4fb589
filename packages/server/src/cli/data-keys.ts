import { type RecordClass, record_classes } from '../crypto/envelope.js';
import { decodeKek, KekError } from '../crypto/kek.js';
import { sealExisting } from '../crypto/legacy.js';
import {
  activation_delay_ms_default,
  type Rotation,
  rotatable_classes,
  rotateDataKey,
  rotateKek,
} from '../crypto/rotation.js';
import type { Pool } from '../db/pool.js';
import { type Flags, flag } from './args.js';
import { type Outcome, success, UsageError } from './output.js';

export const data_key_commands = ['rotate-data-key', 'rotate-kek', 'seal-existing'] as const;
export type DataKeyCommand = (typeof data_key_commands)[number];

export function isDataKeyCommand(name: string | undefined): name is DataKeyCommand {
  return (data_key_commands as readonly (string | undefined)[]).includes(name);
}

export const data_keys_usage = `purse keys rotate-data-key [--class personal|instrument|file] [--activate-after-s N] [--json]
purse keys rotate-kek [--json]    (the new KEK in PURSE_NEW_KEK or PURSE_NEW_KEK_FILE)
purse keys seal-existing [--json] (once after upgrading: seal and tokenize rows written before 0025)`;

/**
 * `purse keys rotate-data-key`: a new data key version per class (all rotatable classes unless
 * --class), active after --activate-after-s (default 10 s, so running processes load it first),
 * then every sealed row re-sealed under it. `purse keys rotate-kek`: every data key re-wrapped under
 * the KEK in PURSE_NEW_KEK(_FILE); then run the processes with it as PURSE_KEK. `purse keys
 * seal-existing`: rows from before migration 0025 sealed and tokenized (crypto/legacy.ts). The caller has
 * installed the current KEK and loaded the data keys.
 */
export async function dataKeyCommand(
  pool: Pool,
  command: DataKeyCommand,
  flags: Flags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Outcome> {
  if (command === 'seal-existing') {
    const done = await sealExisting(pool, new Date());
    return success(
      done,
      `sealed ${done.sealed_values} value(s), hashed ${done.email_hashes} email(s), tokenized ${done.tokenized} card or bank detail(s)`,
    );
  }
  if (command === 'rotate-kek') {
    const rotated = await rotateKek(pool, await newKek(env));
    return success(
      rotated,
      `re-wrapped ${rotated.rewrapped} data key(s) under ${rotated.kek_id}: set PURSE_KEK to the new key`,
    );
  }
  const rotations: Rotation[] = [];
  for (const record_class of classesOf(flags))
    rotations.push(await rotateDataKey(pool, record_class, activationDelayMs(flags)));
  const lines = rotations.map(
    (rotation) =>
      `${rotation.record_class}: version ${rotation.version} (${rotation.key_id}), ${rotation.resealed_rows} row(s) re-sealed${rotation.stale_rows > 0 ? `, ${rotation.stale_rows} still under an older key: run it again` : ''}`,
  );
  return success({ rotations }, lines.join('\n'));
}

function classesOf(flags: Flags): readonly RecordClass[] {
  const chosen = flag(flags, 'class');
  if (chosen === undefined) return rotatable_classes;
  if (!(rotatable_classes as readonly string[]).includes(chosen))
    throw new UsageError(
      `--class is one of ${rotatable_classes.join(', ')}${(record_classes as readonly string[]).includes(chosen) ? ` (${chosen} does not rotate)` : ''}`,
    );
  return [chosen as RecordClass];
}

function activationDelayMs(flags: Flags): number {
  const raw = flag(flags, 'activate-after-s');
  if (raw === undefined) return activation_delay_ms_default;
  if (!/^\d+$/.test(raw)) throw new UsageError('--activate-after-s is a whole number of seconds');
  return Number(raw) * 1_000;
}

async function newKek(env: NodeJS.ProcessEnv): Promise<Buffer> {
  const value = env.PURSE_NEW_KEK?.trim();
  if (value !== undefined && value !== '') return decodeKek(value, 'PURSE_NEW_KEK');
  const file = env.PURSE_NEW_KEK_FILE?.trim();
  if (file === undefined || file === '')
    throw new KekError('kek_missing', 'rotate-kek needs the new KEK in PURSE_NEW_KEK or PURSE_NEW_KEK_FILE');
  const { readFile } = await import('node:fs/promises');
  return decodeKek(await readFile(file, 'utf8'), 'PURSE_NEW_KEK_FILE');
}
