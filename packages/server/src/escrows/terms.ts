import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { findWallet } from '../ledger/accounts.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { formatAmount, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateEscrowBody } from './schemas.js';
import type { StoredMilestone } from './view.js';

export type CreateEscrowInput = Static<typeof CreateEscrowBody>;

/** How far ahead an automatic release or refund may be set. */
export const auto_action_s_max = 2 * 366 * 86_400;

/**
 * Checks the two wallets: they exist in this mode, hold the currency and differ. The payee's
 * wallet must not be closed (the money could never reach it); a frozen one may still thaw before
 * a release. The payer's status and funds are checked by the ledger write that funds the escrow.
 */
export async function checkWallets(
  db: Queryable,
  livemode: boolean,
  input: CreateEscrowInput,
): Promise<DomainError | undefined> {
  for (const param of ['payer_wallet_id', 'payee_wallet_id'] as const) {
    const id = input[param];
    const wallet = await findWallet(db, livemode, id);
    if (wallet === undefined) return notFound('wallet', id, param);
    if (wallet.asset !== input.currency)
      return domainError(
        'currency_mismatch',
        `Wallet ${id} holds ${wallet.asset}, not ${input.currency}.`,
        param,
      );
    if (param === 'payee_wallet_id' && wallet.status === 'closed')
      return domainError('wallet_closed', `Wallet ${id} is closed.`, param);
  }
  if (input.payer_wallet_id === input.payee_wallet_id)
    return domainError('same_wallet', 'An escrow cannot pay its own payer.', 'payee_wallet_id');
  return undefined;
}

/** Numbers the milestones ms_1, ms_2, ... and checks that they add up to the amount exactly. */
export function parseMilestones(
  input: CreateEscrowInput,
  amount_minor: bigint,
  scale: number,
): Result<StoredMilestone[]> {
  if (input.milestones === undefined) return ok([]);
  const milestones: StoredMilestone[] = [];
  let sum_minor = 0n;
  for (const [index, milestone] of input.milestones.entries()) {
    const amount = parseAmount(milestone.amount, scale, `milestones.${index}.amount`);
    if (!amount.ok) return amount;
    sum_minor += amount.value;
    milestones.push({
      id: `ms_${index + 1}`,
      amount_minor: amount.value.toString(),
      description: milestone.description ?? null,
      status: 'pending',
    });
  }
  if (sum_minor !== amount_minor) {
    const detail = `The milestones add up to ${formatAmount(sum_minor, scale)}, not the amount ${formatAmount(amount_minor, scale)}.`;
    return fail(domainError('invalid_request', detail, 'milestones'));
  }
  return ok(milestones);
}

/** At most one automatic action, in the future and at most `auto_action_s_max` away. */
export function parseAutoAction(
  input: CreateEscrowInput,
  now: Date,
): Result<{ auto_release_at: Date | null; auto_refund_at: Date | null }> {
  if (input.auto_release_at !== undefined && input.auto_refund_at !== undefined)
    return fail(
      domainError('invalid_request', 'Give auto_release_at or auto_refund_at, not both.', 'auto_refund_at'),
    );
  const param = input.auto_release_at !== undefined ? 'auto_release_at' : 'auto_refund_at';
  const value = input[param];
  if (value === undefined) return ok({ auto_release_at: null, auto_refund_at: null });
  const at = new Date(value);
  const ahead_s = (at.getTime() - now.getTime()) / 1000;
  if (ahead_s <= 0 || ahead_s > auto_action_s_max) {
    const detail = `${param} must be in the future and at most ${auto_action_s_max / 86_400} days away.`;
    return fail(domainError('invalid_request', detail, param));
  }
  return ok({
    auto_release_at: param === 'auto_release_at' ? at : null,
    auto_refund_at: param === 'auto_refund_at' ? at : null,
  });
}
