import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { fund, newWallet } from '../test-support/money.js';
import { verifyLedger } from './verify.js';

/**
 * A model-based test of the ledger under concurrency, in the spirit of TigerBeetle's simulator at
 * our scale: an in-memory reference model of every wallet's available and held balance, and
 * rounds of random steps submitted all at once, so that the group-commit engine forms real
 * batches. After every round the model and the API must agree exactly.
 *
 * A step's outcome depends on the order the engine applies a round in, which the model cannot
 * know; so the model follows what the API answered, and checks that every answer was possible:
 * nothing refused while the round left enough for it (a round is planned so that, where the
 * sources cannot cover every step, refusals are expected), nothing accepted that overdrew, and
 * every refusal is `insufficient_funds`.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const wallet_count = 6;
const opening_minor = 50_00n;

/** `pending` is what an open hold will pay the wallet; `total` counts all three. */
interface WalletModel {
  available: bigint;
  held: bigint;
  pending: bigint;
}

type Step =
  | { readonly op: 'transfer'; readonly from: number; readonly to: number; readonly minor: bigint }
  | { readonly op: 'hold'; readonly from: number; readonly to: number; readonly minor: bigint }
  | { readonly op: 'capture'; readonly hold: number; readonly percent: number }
  | { readonly op: 'void'; readonly hold: number };

interface Hold {
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly minor: bigint;
  settled: boolean;
}

const index = fc.integer({ min: 0, max: wallet_count - 1 });
const minor = fc.bigInt({ min: 1n, max: 20_00n });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('transfer' as const), from: index, to: index, minor }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hold' as const), from: index, to: index, minor }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('capture' as const),
      hold: fc.nat(),
      percent: fc.integer({ min: 1, max: 100 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('void' as const), hold: fc.nat() }) },
);

const dollars = (value: bigint) => `${value / 100n}.${(value % 100n).toString().padStart(2, '0')}`;

function post(url: string, payload: Record<string, unknown>) {
  return t.request({ method: 'POST', url, payload });
}

/** Runs one step against the API and applies what it answered to the model; true when refused. */
async function apply(wallets: string[], model: WalletModel[], holds: Hold[], item: Step): Promise<boolean> {
  if (item.op === 'transfer' || item.op === 'hold') {
    const to = item.to === item.from ? (item.to + 1) % wallet_count : item.to;
    const response = await post('/v1/transfers', {
      source_wallet_id: wallets[item.from],
      destination_wallet_id: wallets[to],
      amount: dollars(item.minor),
      currency: 'USD',
      ...(item.op === 'hold' ? { hold: true } : {}),
    });
    if (response.statusCode !== 201) {
      expect(response.json().code, response.body).toBe('insufficient_funds');
      return true;
    }
    const source = model[item.from] as WalletModel;
    source.available -= item.minor;
    if (item.op === 'hold') {
      source.held += item.minor;
      (model[to] as WalletModel).pending += item.minor;
      holds.push({ id: response.json().id, from: item.from, to, minor: item.minor, settled: false });
    } else (model[to] as WalletModel).available += item.minor;
    return false;
  }
  const open = holds.filter((hold) => !hold.settled);
  const hold = open[item.hold % Math.max(open.length, 1)];
  if (hold === undefined) return false;
  hold.settled = true;
  const captured = item.op === 'void' ? 0n : (hold.minor * BigInt(item.percent) + 99n) / 100n;
  const response = await post(
    `/v1/transfers/${hold.id}/${item.op}`,
    item.op === 'void' ? {} : { amount: dollars(captured) },
  );
  expect(response.statusCode, response.body).toBe(200);
  const source = model[hold.from] as WalletModel;
  source.held -= hold.minor;
  source.available += hold.minor - captured;
  const destination = model[hold.to] as WalletModel;
  destination.pending -= hold.minor;
  destination.available += captured;
  return false;
}

async function expectAgreement(wallets: string[], model: WalletModel[]): Promise<void> {
  const actual = await Promise.all(
    wallets.map(async (id) => (await t.request({ method: 'GET', url: `/v1/wallets/${id}` })).json().balance),
  );
  expect(actual).toEqual(
    model.map((wallet) => ({
      available: dollars(wallet.available),
      held: dollars(wallet.held),
      pending: dollars(wallet.pending),
      total: dollars(wallet.available + wallet.held + wallet.pending),
    })),
  );
}

describe('the ledger against a reference model, steps submitted in parallel', () => {
  it('agrees with the model after every round, and refuses only what could not be paid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 5, maxLength: 40 }), { minLength: 3, maxLength: 6 }),
        async (rounds) => {
          const wallets: string[] = [];
          for (let i = 0; i < wallet_count; i += 1) {
            const id = await newWallet(t);
            await fund(t, id, dollars(opening_minor));
            wallets.push(id);
          }
          const model: WalletModel[] = wallets.map(() => ({
            available: opening_minor,
            held: 0n,
            pending: 0n,
          }));
          const holds: Hold[] = [];
          for (const round of rounds) {
            const before = model.map((wallet) => wallet.available);
            // What the round asks of each source, at most: refusals are possible only where it
            // exceeds what the source had at the start of the round.
            const asked = wallets.map(() => 0n);
            for (const item of round) {
              if (item.op === 'transfer' || item.op === 'hold')
                asked[item.from] = (asked[item.from] ?? 0n) + item.minor;
            }
            const refusals = await countRefusals(wallets, model, holds, round);
            for (const [i, source] of before.entries()) {
              if ((asked[i] ?? 0n) <= source) expect(refusals.get(i) ?? 0).toBe(0);
            }
            for (const wallet of model) expect(wallet.available).toBeGreaterThanOrEqual(0n);
            await expectAgreement(wallets, model);
          }
        },
      ),
      { numRuns: 4, seed: 20_261_201 },
    );
    expect(await verifyLedger(t.db.pool)).toEqual([]);
  }, 120_000);
});

/** Submits a round at once; returns, per source wallet, how many of its steps were refused. */
async function countRefusals(
  wallets: string[],
  model: WalletModel[],
  holds: Hold[],
  round: readonly Step[],
): Promise<Map<number, number>> {
  const refusals = new Map<number, number>();
  await Promise.all(
    round.map(async (item) => {
      const refused = await apply(wallets, model, holds, item);
      if (refused && (item.op === 'transfer' || item.op === 'hold')) {
        refusals.set(item.from, (refusals.get(item.from) ?? 0) + 1);
      }
    }),
  );
  return refusals;
}
