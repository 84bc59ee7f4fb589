import { type Static, Type } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';

export const Restrictions = Type.Object(
  {
    wallet_ids: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
      }),
    ),
    holder_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  {
    additionalProperties: false,
    description:
      'The only wallets the key may see and move money from: a list, or every wallet of one holder. Other wallets, and objects of theirs, are 404 to it.',
    examples: [
      { wallet_ids: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] },
      { holder_id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h' },
    ],
  },
);
export type RestrictionsValue = Static<typeof Restrictions>;

/** Exactly one of wallet_ids or holder_id, naming objects of the key's mode. */
export async function validateRestrictions(
  db: Queryable,
  livemode: boolean,
  restrictions: RestrictionsValue,
): Promise<Result<RestrictionsValue>> {
  const { wallet_ids, holder_id } = restrictions;
  if ((wallet_ids === undefined) === (holder_id === undefined))
    return fail(
      domainError('invalid_request', 'Give exactly one of wallet_ids or holder_id.', 'restrictions'),
    );
  const found = await db.query<{ id: string }>(
    `SELECT id FROM accounts WHERE id = ANY($1::text[]) AND livemode = $3 AND kind = 'wallet'
     UNION ALL SELECT id FROM holders WHERE id = $2 AND livemode = $3`,
    [wallet_ids ?? [], holder_id ?? null, livemode],
  );
  const ids = new Set(found.rows.map((row) => row.id));
  const missing = [...(wallet_ids ?? []), ...(holder_id === undefined ? [] : [holder_id])].find(
    (id) => !ids.has(id),
  );
  if (missing !== undefined)
    return fail(
      domainError('resource_not_found', `No wallet or holder "${missing}" in this mode.`, 'restrictions'),
    );
  return ok(restrictions);
}

/** Which of `wallet_ids` a restricted key may act on. */
export async function permittedWallets(
  db: Queryable,
  restrictions: RestrictionsValue,
  wallet_ids: readonly string[],
): Promise<Set<string>> {
  if (restrictions.wallet_ids !== undefined) {
    const allowed = new Set(restrictions.wallet_ids);
    return new Set(wallet_ids.filter((id) => allowed.has(id)));
  }
  const result = await db.query<{ id: string }>(
    'SELECT id FROM accounts WHERE id = ANY($1::text[]) AND holder_id = $2',
    [[...new Set(wallet_ids)], restrictions.holder_id],
  );
  return new Set(result.rows.map((row) => row.id));
}

/** The objects a restricted key may read when they involve one of its wallets. */
export type ObjectKind =
  | 'transfer'
  | 'payment'
  | 'payout'
  | 'refund'
  | 'escrow'
  | 'approval'
  | 'challenge'
  | 'file'
  | 'conversion'
  | 'fx_quote';

/**
 * Per kind, the wallets an object involves, from its typed columns (never its metadata), and the
 * key that made it where that is what grants access. `$1` is the id, `$2` the mode.
 */
const involved_wallets: Readonly<Record<ObjectKind, string>> = {
  transfer: `SELECT ARRAY[source_wallet_id, fee_account_id]
      || ARRAY(SELECT leg->>'wallet_id' FROM jsonb_array_elements(destinations) leg) AS wallet_ids, NULL AS api_key_id
    FROM transfers WHERE id = $1 AND livemode = $2`,
  payment: `SELECT ARRAY[wallet_id, fee_account_id]
      || ARRAY(SELECT leg->>'wallet_id' FROM jsonb_array_elements(legs) leg) AS wallet_ids, NULL AS api_key_id
    FROM payments WHERE id = $1 AND livemode = $2`,
  payout:
    'SELECT ARRAY[wallet_id] AS wallet_ids, NULL AS api_key_id FROM payouts WHERE id = $1 AND livemode = $2',
  refund: `SELECT ARRAY(SELECT unnest(ARRAY[part->>'account_id', part->>'covered_by'])
      FROM jsonb_array_elements(parts) part) AS wallet_ids, NULL AS api_key_id
    FROM refunds WHERE id = $1 AND livemode = $2`,
  escrow: `SELECT ARRAY[payer_wallet_id, payee_wallet_id] AS wallet_ids, NULL AS api_key_id
    FROM escrows WHERE id = $1 AND livemode = $2`,
  approval: 'SELECT ARRAY[]::text[] AS wallet_ids, api_key_id FROM approvals WHERE id = $1 AND livemode = $2',
  challenge:
    'SELECT ARRAY[]::text[] AS wallet_ids, api_key_id FROM challenges WHERE id = $1 AND livemode = $2',
  // An upload involves no wallet: it is visible to the key that uploaded it.
  file: 'SELECT ARRAY[]::text[] AS wallet_ids, api_key_id FROM files WHERE id = $1 AND livemode = $2',
  conversion: `SELECT ARRAY[source_wallet_id, target_wallet_id] AS wallet_ids, NULL AS api_key_id
    FROM conversions WHERE id = $1 AND livemode = $2`,
  // A quote names no wallet: it is visible to the key that asked for it.
  fx_quote: 'SELECT ARRAY[]::text[] AS wallet_ids, api_key_id FROM fx_quotes WHERE id = $1 AND livemode = $2',
};

/** The wallets one object of the mode involves, and the key it belongs to; undefined if none. */
export async function objectWallets(
  db: Queryable,
  kind: ObjectKind,
  id: string,
  livemode: boolean,
): Promise<{ wallet_ids: string[]; api_key_id: string | null } | undefined> {
  const found = await db.query<{ wallet_ids: (string | null)[]; api_key_id: string | null }>(
    involved_wallets[kind],
    [id, livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return undefined;
  return {
    wallet_ids: row.wallet_ids.filter((wallet): wallet is string => wallet !== null),
    api_key_id: row.api_key_id,
  };
}

/** The holder a verification session of the mode belongs to; undefined if there is none. */
export async function sessionHolder(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<string | undefined> {
  const found = await db.query<{ holder_id: string }>(
    'SELECT holder_id FROM verification_sessions WHERE id = $1 AND livemode = $2',
    [id, livemode],
  );
  return found.rows[0]?.holder_id;
}
