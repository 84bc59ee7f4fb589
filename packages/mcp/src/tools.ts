import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Purse } from '@purse/sdk';
import { z } from 'zod';
import {
  amount,
  currency,
  description,
  idempotency_key,
  limit,
  metadata,
  objectId,
  payment_source,
  payout_destination,
  startingAfter,
  wallet_id,
} from './schemas.js';

/**
 * One tool: what an agent reads (name, description, the schema of its arguments) and the one API
 * request it makes. Every tool is exactly one request under the server's one key, so the key's
 * scopes, restrictions, spend policy, approvals and risk rules apply as they do over HTTP.
 */
export interface Tool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: Shape;
  readonly annotations: ToolAnnotations;
  run(purse: Purse, args: Arguments<Shape>): Promise<unknown>;
}

/**
 * The parsed arguments. Zod types an optional field as `T | undefined`, but the arguments come from
 * JSON, which has no undefined: a field is there with its value or absent, as the SDK's
 * exact-optional types want it.
 */
type Arguments<Shape extends z.ZodRawShape> = Defined<z.output<z.ZodObject<Shape>>>;
type Defined<T> = T extends object ? { [K in keyof T]: Defined<Exclude<T[K], undefined>> } : T;

/** Checks a definition against its own shape; the table then holds tools of different shapes. */
function tool<Shape extends z.ZodRawShape>(definition: Tool<Shape>): Tool {
  return definition as unknown as Tool;
}

const reads: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
/** Moves money: not read-only, and not idempotent unless the agent passes an idempotency_key. */
const moves_money: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, openWorldHint: true };

const approval_id = objectId('apr', 'approval');
const money_note =
  'Limits of this key (per movement, per day, allowed destinations), approvals and risk rules apply: a refusal comes back as an error with a code (e.g. spend_limit_exceeded) and param naming the limit; above the approval threshold the request is parked and an approval (apr_...) comes back instead: poll it with get_approval.';

export const tools: readonly Tool[] = [
  tool({
    name: 'list_wallets',
    title: 'List wallets',
    description:
      'Lists the wallets this key can see (a restricted key sees only its own), newest first, each with its currency, status and balance. Start here to learn the ids of the wallets this key may spend from.',
    input: {
      currency: currency.optional(),
      limit: limit.optional(),
      starting_after: startingAfter('wal').optional(),
    },
    annotations: reads,
    run: async (purse, args) => purse.wallets.list(args),
  }),
  tool({
    name: 'get_balance',
    title: 'Get a wallet and its balance',
    description:
      "Returns a wallet with its balance: available (spendable now), held (reserved by pending outgoing transfers), pending (incoming, not yet settled) and total, as decimal strings in the wallet's currency.",
    input: { wallet_id },
    annotations: reads,
    run: (purse, args) => purse.wallets.retrieve(args.wallet_id),
  }),
  tool({
    name: 'list_transactions',
    title: "List a wallet's history",
    description:
      "Lists the movements of one wallet, newest first: each posting with its side (debit: money left the wallet; credit: it came in), amount, reason (e.g. transfer.posted), reference_id (the transfer, payment or payout that caused it) and the wallet's balance after it.",
    input: { wallet_id, limit: limit.optional(), starting_after: startingAfter('pst').optional() },
    annotations: reads,
    run: async (purse, { wallet_id, ...page }) => purse.wallets.transactions(wallet_id, page),
  }),
  tool({
    name: 'create_transfer',
    title: 'Transfer between wallets',
    description: `Moves money from one wallet (the source, which this key must be allowed to spend from) to another wallet inside Purse, at once. ${money_note}`,
    input: {
      source_wallet_id: wallet_id.describe('The wallet the money leaves (wal_...).'),
      destination_wallet_id: wallet_id.describe('The wallet the money goes to (wal_...).'),
      amount,
      currency,
      description: description.optional(),
      metadata: metadata.optional(),
      idempotency_key: idempotency_key.optional(),
    },
    annotations: moves_money,
    run: (purse, { idempotency_key, ...params }) =>
      purse.transfers.create(params, requestOptions(idempotency_key)),
  }),
  tool({
    name: 'create_payment',
    title: 'Take a payment into a wallet',
    description: `Takes money in from outside Purse (a card, a bank debit or a crypto deposit) into a wallet. The answer is a payment whose status is succeeded, processing (bank debits settle later) or failed. ${money_note}`,
    input: {
      wallet_id: wallet_id.describe('The wallet that receives the money (wal_...).'),
      amount,
      currency,
      source: payment_source,
      description: description.optional(),
      metadata: metadata.optional(),
      idempotency_key: idempotency_key.optional(),
    },
    annotations: moves_money,
    run: (purse, { idempotency_key, ...params }) =>
      purse.payments.create(params, requestOptions(idempotency_key)),
  }),
  tool({
    name: 'create_payout',
    title: 'Pay out of Purse',
    description: `Sends money from a wallet to a bank account, card or crypto address outside Purse. The answer is a payout, pending until the rail reports it paid or failed (a failure returns the money). A key limited to allowed destinations cannot pay out. ${money_note}`,
    input: {
      wallet_id: wallet_id.describe('The wallet the money leaves (wal_...).'),
      amount,
      currency,
      destination: payout_destination,
      description: z.string().min(1).max(140).describe('Sent to the bank as remittance text.').optional(),
      metadata: metadata.optional(),
      idempotency_key: idempotency_key.optional(),
    },
    annotations: moves_money,
    run: (purse, { idempotency_key, ...params }) =>
      purse.payouts.create(params, requestOptions(idempotency_key)),
  }),
  tool({
    name: 'quote_conversion',
    title: 'Quote a currency conversion',
    description:
      'Asks the price of converting between two currencies: give source_amount (what would be paid) or target_amount (what would be received). The answer is a quote (fxq_...) with the rate, both amounts and expires_at (30 seconds by default); nothing moves. Pass its id to convert_currency before it expires.',
    input: {
      source_currency: currency.describe('The currency paid.'),
      target_currency: currency.describe('The currency received.'),
      source_amount: amount.optional(),
      target_amount: amount.optional(),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    run: (purse, args) => purse.fx_quotes.create(args),
  }),
  tool({
    name: 'convert_currency',
    title: "Convert between a holder's wallets",
    description: `Spends a quote (from quote_conversion): the source wallet pays the quote's source amount and the target wallet, of the same holder in the target currency, receives its target amount, at once. A quote converts once; an expired one is refused (quote_expired): ask for a new one. ${money_note}`,
    input: {
      quote_id: objectId('fxq', 'quote'),
      source_wallet_id: wallet_id.describe("The wallet that pays, in the quote's source currency (wal_...)."),
      target_wallet_id: wallet_id.describe(
        "The wallet that receives, in the quote's target currency (wal_...).",
      ),
      idempotency_key: idempotency_key.optional(),
    },
    annotations: moves_money,
    run: (purse, { idempotency_key, ...params }) =>
      purse.conversions.create(params, requestOptions(idempotency_key)),
  }),
  tool({
    name: 'list_approvals',
    title: 'List approvals',
    description:
      'Lists the requests parked for a person\'s approval that this key can see (its own), newest first. Filter with status "pending" for what still waits.',
    input: {
      status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional(),
      limit: limit.optional(),
      starting_after: startingAfter('apr').optional(),
    },
    annotations: reads,
    run: async (purse, args) => purse.approvals.list(args),
  }),
  tool({
    name: 'get_approval',
    title: 'Get an approval',
    description:
      "Returns one approval: status pending (still waiting for a person), approved (result holds the API's answer to the parked request: its status and body, e.g. the transfer), rejected (nothing ran) or expired.",
    input: { approval_id },
    annotations: reads,
    run: (purse, args) => purse.approvals.retrieve(args.approval_id),
  }),
];

function requestOptions(idempotency_key: string | undefined) {
  return idempotency_key === undefined ? {} : { idempotency_key };
}
