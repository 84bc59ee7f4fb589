import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import type { CreateEscrowBody, ReleaseBody, ResolveBody } from '../escrows/schemas.js';
import { createEscrow } from '../escrows/service.js';
import { cancelEscrow, releaseEscrow, resolveEscrow } from '../escrows/transitions.js';
import { type ConversionInput, type ConversionView, createConversion } from '../fx/conversions.js';
import { createConvertedTransfer } from '../fx/converted-transfer.js';
import { type CryptoDepositInput, simulateCryptoDeposit } from '../payments/deposits.js';
import { type CreatePaymentInput, createPayment } from '../payments/service.js';
import type { PaymentView } from '../payments/view.js';
import { cancelPayout, retryPayout } from '../payouts/actions.js';
import { createPayoutBatch } from '../payouts/batches.js';
import type { CreatePayoutBatchBody, CreatePayoutBody } from '../payouts/schemas.js';
import { createPayout } from '../payouts/service.js';
import type { RailContext } from '../rails/index.js';
import type { CreateRefundBody } from '../refunds/schemas.js';
import { createRefund } from '../refunds/service.js';
import { assert } from '../shared/assert.js';
import { domainError, type ErrorCode } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { batchOutcome } from '../transfers/outcomes.js';
import type { TransferInput } from '../transfers/prepare.js';
import type { BatchBody, CaptureBody } from '../transfers/schemas.js';
import { captureTransfer, createTransfers } from '../transfers/service.js';
import type { TransferView } from '../transfers/view.js';
import type { Movement } from './movement.js';
import {
  captureMovements,
  conversionMovements,
  depositMovements,
  escrowMovements,
  escrowSettleMovements,
  paymentMovements,
  payoutCancelMovements,
  payoutMovements,
  payoutRetryMovements,
  refundMovements,
  releaseMovements,
  transferMovements,
} from './movements-of.js';

type Params = Readonly<Record<string, string>>;

/**
 * An endpoint that moves money, described so that its requests can be screened (as movements)
 * and, once approved, executed again later from what was stored: the route, the path parameters
 * and the body as the endpoint validated them.
 */
export interface MoneyEndpoint<B, T> {
  readonly route: string;
  readonly success_status: 200 | 201;
  movements(db: Queryable, livemode: boolean, body: B, params: Params): Promise<Result<Movement[]>>;
  execute(ctx: RailContext, body: B, params: Params, request_id: string): Promise<Result<T>>;
  /** Per movement, the object it made, or undefined where an item failed. */
  objects(value: T): readonly (string | undefined)[];
  /**
   * Written through the mutation group-commit engine, sharing its transaction with concurrent
   * requests: for an effect that only writes to the database (no call leaves the process while its
   * locks are held) and that hot accounts would otherwise serialise, one commit each.
   */
  readonly grouped?: true;
}

const one = (value: { id: string }) => [value.id];

export const transfer_endpoint: MoneyEndpoint<TransferInput, TransferView> = {
  route: 'POST /v1/transfers',
  success_status: 201,
  movements: (db, livemode, body) => transferMovements(db, livemode, [body], false),
  async execute(ctx, body) {
    if (body.quote_id !== undefined) return createConvertedTransfer(ctx, body);
    const [result] = await createTransfers(ctx, [body]);
    assert(result !== undefined, 'one transfer, one result');
    return result;
  },
  objects: one,
};

type TransferBatch = { results: { transfer?: { id: string } }[] };

export const transfer_batch_endpoint: MoneyEndpoint<Static<typeof BatchBody>, TransferBatch> = {
  route: 'POST /v1/transfers/batch',
  success_status: 200,
  movements: (db, livemode, body) => transferMovements(db, livemode, body.transfers, true),
  async execute(ctx, body, _params, request_id) {
    const results = await createTransfers(ctx, body.transfers);
    const outcome = batchOutcome(results, body.atomic === true, request_id);
    const answer = JSON.parse(outcome.body) as TransferBatch & {
      code: ErrorCode;
      detail: string;
      param?: string;
    };
    return outcome.rolled_back ? fail(domainError(answer.code, answer.detail, answer.param)) : ok(answer);
  },
  objects: (value) => value.results.map((item) => item.transfer?.id),
};

export const payout_endpoint: MoneyEndpoint<Static<typeof CreatePayoutBody>, { id: string }> = {
  route: 'POST /v1/payouts',
  success_status: 201,
  movements: (db, livemode, body) => payoutMovements(db, livemode, [body], false),
  execute: (ctx, body) => createPayout(ctx, body),
  objects: one,
};

/** Money back to the payer's own wallet from a payout that has not left Purse (payouts/actions.ts). */
export const payout_cancel_endpoint: MoneyEndpoint<unknown, { id: string }> = {
  route: 'POST /v1/payouts/:id/cancel',
  success_status: 200,
  movements: (db, livemode, _body, params) => payoutCancelMovements(db, livemode, params.id ?? ''),
  execute: (ctx, _body, params) => cancelPayout(ctx, params.id ?? ''),
  objects: one,
};

/** A failed or returned payout paid again as a new one: screened as POST /v1/payouts is. */
export const payout_retry_endpoint: MoneyEndpoint<unknown, { id: string }> = {
  route: 'POST /v1/payouts/:id/retry',
  success_status: 201,
  movements: (db, livemode, _body, params) => payoutRetryMovements(db, livemode, params.id ?? ''),
  execute: (ctx, _body, params) => retryPayout(ctx, params.id ?? ''),
  objects: one,
};

type PayoutBatch = { items: { payout: { id: string } | null }[] };

export const payout_batch_endpoint: MoneyEndpoint<Static<typeof CreatePayoutBatchBody>, PayoutBatch> = {
  route: 'POST /v1/payout_batches',
  success_status: 201,
  movements: (db, livemode, body) => payoutMovements(db, livemode, body.payouts, true),
  execute: (ctx, body) => createPayoutBatch(ctx, body),
  objects: (value) => value.items.map((item) => item.payout?.id),
};

export const payment_endpoint: MoneyEndpoint<CreatePaymentInput, PaymentView> = {
  route: 'POST /v1/payments',
  success_status: 201,
  movements: (db, livemode, body) => paymentMovements(db, livemode, body),
  execute: (ctx, body) => createPayment(ctx, body),
  objects: one,
  // Every card pay-in debits the rail's clearing account: one lock, one commit per batch.
  grouped: true,
};

export const crypto_deposit_endpoint: MoneyEndpoint<CryptoDepositInput, PaymentView> = {
  route: 'POST /v1/test_helpers/crypto_deposits',
  success_status: 200,
  movements: (db, livemode, body) => depositMovements(db, livemode, body),
  execute: (ctx, body) => simulateCryptoDeposit(ctx, body),
  objects: one,
};

export const escrow_endpoint: MoneyEndpoint<Static<typeof CreateEscrowBody>, { id: string }> = {
  route: 'POST /v1/escrows',
  success_status: 201,
  movements: (db, livemode, body) => escrowMovements(db, livemode, body),
  execute: (ctx, body) => createEscrow(ctx, body),
  objects: one,
};

export const escrow_release_endpoint: MoneyEndpoint<Static<typeof ReleaseBody>, { id: string }> = {
  route: 'POST /v1/escrows/:id/release',
  success_status: 200,
  movements: (db, livemode, body, params) => releaseMovements(db, livemode, params.id ?? '', body),
  execute: (ctx, body, params) => releaseEscrow(ctx.db, ctx.livemode, params.id ?? '', body, ctx.now),
  objects: one,
};

export const capture_endpoint: MoneyEndpoint<Static<typeof CaptureBody>, { id: string }> = {
  route: 'POST /v1/transfers/:id/capture',
  success_status: 200,
  movements: (db, livemode, body, params) => captureMovements(db, livemode, params.id ?? '', body),
  execute: (ctx, body, params) =>
    captureTransfer(ctx.db, ctx.livemode, params.id ?? '', body.amount, ctx.now),
  objects: one,
};

export const escrow_cancel_endpoint: MoneyEndpoint<unknown, { id: string }> = {
  route: 'POST /v1/escrows/:id/cancel',
  success_status: 200,
  movements: (db, livemode, _body, params) => escrowSettleMovements(db, livemode, params.id ?? '', 'payer'),
  execute: (ctx, _body, params) => cancelEscrow(ctx.db, ctx.livemode, params.id ?? '', ctx.now),
  objects: one,
};

const settled_toward = { release: 'payee', refund: 'payer', resume: 'resume' } as const;

export const escrow_resolve_endpoint: MoneyEndpoint<Static<typeof ResolveBody>, { id: string }> = {
  route: 'POST /v1/escrows/:id/resolve',
  success_status: 200,
  movements: (db, livemode, body, params) =>
    escrowSettleMovements(db, livemode, params.id ?? '', settled_toward[body.outcome]),
  execute: (ctx, body, params) => resolveEscrow(ctx.db, ctx.livemode, params.id ?? '', body.outcome, ctx.now),
  objects: one,
};

export const refund_endpoint: MoneyEndpoint<Static<typeof CreateRefundBody>, { id: string }> = {
  route: 'POST /v1/refunds',
  success_status: 201,
  movements: (db, livemode, body) => refundMovements(db, livemode, body),
  execute: (ctx, body) => createRefund(ctx, body),
  objects: one,
};

export const conversion_endpoint: MoneyEndpoint<ConversionInput, ConversionView> = {
  route: 'POST /v1/conversions',
  success_status: 201,
  movements: (db, livemode, body) => conversionMovements(db, livemode, body),
  execute: (ctx, body) => createConversion(ctx, body),
  objects: one,
};

// biome-ignore lint/suspicious/noExplicitAny: the registry holds endpoints of every body and result type.
type AnyEndpoint = MoneyEndpoint<any, any>;

/** Every money endpoint by route, for executing approved requests. */
export const money_endpoints: ReadonlyMap<string, AnyEndpoint> = new Map(
  [
    transfer_endpoint,
    transfer_batch_endpoint,
    payout_endpoint,
    payout_batch_endpoint,
    payout_cancel_endpoint,
    payout_retry_endpoint,
    payment_endpoint,
    crypto_deposit_endpoint,
    escrow_endpoint,
    escrow_release_endpoint,
    escrow_cancel_endpoint,
    escrow_resolve_endpoint,
    capture_endpoint,
    refund_endpoint,
    conversion_endpoint,
  ].map((endpoint: AnyEndpoint) => [endpoint.route, endpoint]),
);
