import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { RestrictionsValue } from '../auth/restrictions.js';
import type { Limits } from '../config.js';
import type { Client, Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { isSanctionsBlocked } from '../identity/sanctions-blocks.js';
import { type AccountRow, findWallet, insertWallet, setWalletStatus } from '../ledger/accounts.js';
import { domainError, notFound } from '../shared/errors.js';
import { checkMetadata } from '../shared/metadata.js';
import { parseAmount } from '../shared/money.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateWalletBody, WalletListQuery } from './schemas.js';
import { type WalletView, walletView } from './view.js';

export type NewWalletInput = Static<typeof CreateWalletBody>;

export async function createWallet(
  db: Client,
  livemode: boolean,
  input: NewWalletInput,
  limits: Limits,
  now: Date,
): Promise<Result<WalletView>> {
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  if (input.holder_id !== undefined) {
    const holder = await db.query('SELECT 1 FROM holders WHERE id = $1 AND livemode = $2', [
      input.holder_id,
      livemode,
    ]);
    if (holder.rowCount === 0) return fail(notFound('holder', input.holder_id, 'holder_id'));
    // Blocking froze the holder's wallets; a new one must not open around the freeze.
    if (await isSanctionsBlocked(db, livemode, input.holder_id))
      return fail(
        domainError(
          'holder_blocked',
          `Holder ${input.holder_id} is blocked by a sanctions match until an operator lifts it.`,
          'holder_id',
        ),
      );
    if (input.overdraft_limit !== undefined) {
      return fail(
        domainError(
          'invalid_request',
          'Only platform wallets (without holder_id) may have an overdraft.',
          'overdraft_limit',
        ),
      );
    }
  }
  let overdraft = 0n;
  // Zero ("0", "0.00") is the default and allowed; anything else must be a valid positive amount.
  const zero = scale.value === 0 ? /^0$/ : new RegExp(`^0(\\.0{1,${scale.value}})?$`);
  if (input.overdraft_limit !== undefined && !zero.test(input.overdraft_limit)) {
    const parsed = parseAmount(input.overdraft_limit, scale.value, 'overdraft_limit');
    if (!parsed.ok) return parsed;
    overdraft = parsed.value;
  }
  const row = await insertWallet(
    db,
    {
      livemode,
      asset: input.currency,
      holder_id: input.holder_id ?? null,
      floor_minor: -overdraft,
      settlement_delay_days: input.settlement_delay_days ?? 0,
      metadata: metadata.value,
    },
    now,
  );
  const view = walletView(row, scale.value);
  await recordEvents(db, [eventOf('wallet.created', view)], now);
  return ok(view);
}

export async function viewOf(db: Queryable, row: AccountRow): Promise<WalletView> {
  const scale = await assetScale(db, row.livemode, row.asset, 'currency');
  if (!scale.ok) throw new Error(`wallet ${row.id} has unknown asset ${row.asset}`);
  return walletView(row, scale.value);
}

export async function getWallet(db: Queryable, livemode: boolean, id: string): Promise<Result<WalletView>> {
  const row = await findWallet(db, livemode, id);
  return row === undefined ? fail(notFound('wallet', id)) : ok(await viewOf(db, row));
}

export async function listWallets(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof WalletListQuery>,
  /** A restricted key's grant: only its wallets are listed (auth/restricted-routes.ts). */
  restrictions: RestrictionsValue | null = null,
): Promise<Result<Page<WalletView>>> {
  const where = ["kind = 'wallet'", 'livemode = $1'];
  const params: unknown[] = [livemode];
  if (restrictions?.wallet_ids !== undefined) {
    params.push(restrictions.wallet_ids);
    where.push(`id = ANY($${params.length}::text[])`);
  }
  if (restrictions?.holder_id !== undefined) {
    params.push(restrictions.holder_id);
    where.push(`holder_id = $${params.length}`);
  }
  for (const [field, column] of [
    ['holder_id', 'holder_id'],
    ['currency', 'asset'],
    ['status', 'status'],
  ] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  const page = await fetchPage(
    db,
    { table: 'accounts', where, params, id_prefix: 'wal', map: (row: AccountRow) => row },
    pageQuery(filter),
  );
  if (!page.ok) return page;
  const data = await Promise.all(page.value.data.map((row) => viewOf(db, row)));
  return ok({ ...page.value, data });
}

export type StatusChange = 'freeze' | 'unfreeze' | 'close';

const status_events = {
  freeze: 'wallet.frozen',
  unfreeze: 'wallet.unfrozen',
  close: 'wallet.closed',
} as const;

/**
 * Freezing stops a wallet sending and receiving (holds can still be voided); unfreezing resumes;
 * closing is final and needs every balance at zero, including holds and incoming funds.
 */
export async function changeWalletStatus(
  db: Client,
  livemode: boolean,
  id: string,
  change: StatusChange,
  now: Date,
): Promise<Result<WalletView>> {
  const row = await findWallet(db, livemode, id, true);
  if (row === undefined) return fail(notFound('wallet', id));
  if (row.status === 'closed') return fail(domainError('wallet_closed', `Wallet ${id} is closed.`));
  if (change === 'close') {
    const empty =
      row.posted_credits === row.posted_debits && row.pending_debits === '0' && row.pending_credits === '0';
    if (!empty)
      return fail(
        domainError('wallet_not_empty', `Wallet ${id} still holds funds; move them out before closing it.`),
      );
  }
  const status = change === 'freeze' ? 'frozen' : change === 'unfreeze' ? 'active' : 'closed';
  const view = await viewOf(db, await setWalletStatus(db, id, status));
  // Freezing a frozen wallet (or unfreezing an active one) changes nothing, so it records nothing.
  if (status !== row.status) await recordEvents(db, [eventOf(status_events[change], view)], now);
  return ok(view);
}
