import { appendAudit } from '../audit/append.js';
import {
  type ApiKeyView,
  admin_scopes,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../auth/keys-service.js';
import { isValidScope } from '../auth/scopes.js';
import type { Queryable } from '../db/pool.js';
import { type Flags, flag } from './args.js';
import { data_keys_usage } from './data-keys.js';
import { type Outcome, ProblemError, success, UsageError } from './output.js';

const keys_usage = `purse keys create [--name NAME] [--mode test|live] [--scopes a,b] [--expires-at ISO] [--json]
purse keys list [--mode test|live] [--json]
purse keys revoke KEY_ID [--mode test|live] [--json]
${data_keys_usage}`;

/** `purse keys create|list|revoke`: key administration from the machine, e.g. to make the first live key. */
export async function keysCommand(db: Queryable, positionals: string[], flags: Flags): Promise<Outcome> {
  const livemode = modeFlag(flags);
  switch (positionals[0]) {
    case 'create': {
      const scopes = (flag(flags, 'scopes') ?? admin_scopes.join(','))
        .split(',')
        .map((scope) => scope.trim());
      const invalid = scopes.find((scope) => !isValidScope(scope));
      if (invalid !== undefined) throw new UsageError(`unknown scope "${invalid}"`);
      const expires = flag(flags, 'expires-at');
      const key = await createApiKey(db, {
        livemode,
        name: flag(flags, 'name') ?? 'CLI key',
        scopes,
        ...(expires === undefined ? {} : { expires_at: parseDate(expires) }),
      });
      await auditCli(db, livemode, 'keys.create', key.id);
      return success(key, `${key.id}\n${key.secret}\n(the secret is shown only this once)`);
    }
    case 'list': {
      const page = await listApiKeys(db, livemode, { limit: 100 });
      if (!page.ok) throw new Error(page.error.detail);
      return success(page.value.data, page.value.data.map(describe).join('\n'));
    }
    case 'revoke': {
      const id = positionals[1];
      if (id === undefined) throw new UsageError('revoke needs a key id');
      const revoked = await revokeApiKey(db, { kind: 'operator', livemode }, id, new Date());
      if (!revoked.ok) throw new ProblemError({ code: revoked.error.code, detail: revoked.error.detail });
      await auditCli(db, livemode, 'keys.revoke', id);
      return success(revoked.value, `revoked ${id}`);
    }
    default:
      throw new UsageError(keys_usage);
  }
}

function describe(key: ApiKeyView): string {
  const state =
    key.revoked_at !== null ? 'revoked' : key.expires_at !== null ? `expires ${key.expires_at}` : 'active';
  return `${key.id}  ${key.redacted_secret}  ${key.scopes.join(',')}  ${state}  ${key.name}`;
}

function modeFlag(flags: Flags): boolean {
  const mode = flag(flags, 'mode') ?? 'test';
  if (mode !== 'test' && mode !== 'live') throw new UsageError('--mode must be test or live');
  return mode === 'live';
}

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date <= new Date())
    throw new UsageError('--expires-at must be a future ISO date');
  return date;
}

/** Operator actions from the machine are audited like API requests, with `cli` as the actor. */
export function auditCli(db: Queryable, livemode: boolean, action: string, object_id: string): Promise<void> {
  return appendAudit(db, [
    {
      livemode,
      actor: 'cli',
      action,
      object_id,
      request_id: null,
      ip: null,
      outcome_status: 200,
      outcome_code: null,
      created_at: new Date(),
    },
  ]);
}
