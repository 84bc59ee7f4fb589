import { type Static, Type } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { Amount } from '../http/money-schemas.js';
import { findWallet } from '../ledger/accounts.js';
import { addressOwner } from '../rails/deposit-addresses.js';
import type { RailContext } from '../rails/index.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, type Result } from '../shared/result.js';
import { createPayment } from './service.js';
import type { PaymentView } from './view.js';

export const CryptoDepositBody = Type.Object(
  {
    address: Type.String({ minLength: 1, maxLength: 128 }),
    amount: Amount,
    tx_hash: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{8,128}$' })),
  },
  {
    additionalProperties: false,
    examples: [{ address: '0x52908400098527886e0f7030069857d2e4169ee7', amount: '0.25' }],
  },
);

export type CryptoDepositInput = Static<typeof CryptoDepositBody>;

/** The wallet a deposit address credits, with its asset; undefined for an unknown address. */
export async function depositTarget(
  db: Queryable,
  livemode: boolean,
  address: string,
): Promise<{ wallet_id: string; network: string; asset: string } | undefined> {
  const owner = await addressOwner(db, livemode, address);
  const wallet = owner === undefined ? undefined : await findWallet(db, livemode, owner.wallet_id);
  return owner === undefined || wallet === undefined ? undefined : { ...owner, asset: wallet.asset };
}

/**
 * Test mode: money arrives at a deposit address, as a processing payment into its wallet that the
 * sandbox chain confirms. A pay-in like any other, so it is screened before it is recorded.
 */
export async function simulateCryptoDeposit(
  ctx: RailContext,
  input: CryptoDepositInput,
): Promise<Result<PaymentView>> {
  if (ctx.livemode) return fail(domainError('test_mode_only', 'Test helpers act on test-mode objects only.'));
  const target = await depositTarget(ctx.db, ctx.livemode, input.address);
  if (target === undefined) return fail(notFound('deposit address', input.address, 'address'));
  return createPayment(ctx, {
    wallet_id: target.wallet_id,
    amount: input.amount,
    currency: target.asset,
    source: {
      type: 'crypto',
      network: target.network,
      ...(input.tx_hash === undefined ? {} : { tx_hash: input.tx_hash }),
    },
  });
}
