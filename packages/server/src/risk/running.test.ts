import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Movement } from '../guard/movement.js';
import type { WalletFacts } from './evaluate.js';
import { riskReads } from './locks.js';
import type { RiskRuleRow } from './rules.js';
import { type LoggedMovement, RunningMovements } from './running.js';

const wallets = ['wal_a', 'wal_b', 'wal_c'];

const logged = fc.record({
  direction: fc.constantFrom<'out' | 'in'>('out', 'in'),
  source_wallet_id: fc.constantFrom(...wallets),
  holder_id: fc.constantFrom('hol_x', 'hol_y', null),
  api_key_id: fc.constantFrom('key_1', 'key_2'),
  asset: fc.constantFrom('USD', 'EUR'),
  amount_minor: fc.bigInt({ min: 1n, max: 10n ** 12n }),
});

const step = fc.record({
  movement: logged,
  destinations: fc.subarray(wallets),
  kept: fc.boolean(),
});

describe('running movements of a transaction', () => {
  it('count exactly the movements of kept layers, as a list of them would', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const running = new RunningMovements();
        const model: { movement: LoggedMovement; destinations: string[] }[] = [];
        for (const { movement, destinations, kept } of steps) {
          const layer = running.layer();
          layer.add([movement], destinations, movement.amount_minor);
          // A layer sees what is below it plus its own, in the movement's direction only.
          const same = (item: { movement: LoggedMovement }) =>
            item.movement.source_wallet_id === movement.source_wallet_id &&
            item.movement.direction === movement.direction;
          expect(
            layer.sum('source_wallet_id', movement.source_wallet_id, undefined, movement.direction).count,
          ).toBe(model.filter(same).length + 1);
          if (!kept) continue;
          layer.keep();
          model.push({ movement, destinations });
        }
        for (const wallet of wallets) {
          const mine = model.filter(
            (item) => item.movement.source_wallet_id === wallet && item.movement.direction === 'out',
          );
          const usd = mine.filter((item) => item.movement.asset === 'USD');
          expect(running.sum('source_wallet_id', wallet, 'USD')).toEqual({
            count: usd.length,
            amount: usd.reduce((sum, item) => sum + item.movement.amount_minor, 0n),
          });
          const credited = model
            .filter((item) => item.destinations.includes(wallet))
            .reduce((sum, item) => sum + item.movement.amount_minor, 0n);
          expect(running.credited(wallet)).toBe(credited);
        }
      }),
    );
  });
});

function movement(overrides: Partial<Movement>): Movement {
  return {
    source_wallet_id: 'wal_payer',
    source_param: 'source_wallet_id',
    destination_wallet_ids: ['wal_fee', 'wal_capped'],
    external: false,
    inflow: false,
    currency: 'USD',
    scale: 2,
    amount_minor: 100n,
    counts: true,
    ...overrides,
  };
}

function rule(type: RiskRuleRow['type'], params: RiskRuleRow['params']): RiskRuleRow {
  const now = new Date();
  return {
    id: `rr_${type}`,
    livemode: false,
    name: type,
    type,
    action: 'block',
    asset: 'USD',
    params,
    enabled: true,
    metadata: {},
    created_at: now,
    updated_at: now,
  };
}

describe('what the rules read, to lock', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const subject = { livemode: false, api_key_id: 'key_1', now };
  const facts = new Map<string, WalletFacts>([
    ['wal_payer', { id: 'wal_payer', holder_id: 'hol_p', kyc_tier: 0, created_at: now, balance_minor: 0n }],
    ['wal_capped', { id: 'wal_capped', holder_id: 'hol_c', kyc_tier: 0, created_at: now, balance_minor: 0n }],
    ['wal_fee', { id: 'wal_fee', holder_id: null, kyc_tier: null, created_at: now, balance_minor: 0n }],
  ]);

  it('names the subject each rule counts, and capped destinations, never the fee wallet', () => {
    const reads = (rules: RiskRuleRow[], of = movement({})) => riskReads(subject, rules, [of], facts).sort();
    expect(reads([rule('amount_above', { amount: '1' })])).toEqual([]);
    expect(reads([rule('velocity', { subject: 'wallet', window_s: 60, count_max: 1 })])).toEqual([
      'wal_payer',
    ]);
    expect(reads([rule('velocity', { subject: 'holder', window_s: 60, count_max: 1 })])).toEqual(['hol_p']);
    expect(reads([rule('velocity', { subject: 'api_key', window_s: 60, count_max: 1 })])).toEqual(['key_1']);
    expect(reads([rule('new_wallet', { wallet_age_s: 60, amount_max: '1' })])).toEqual(['wal_payer']);
    expect(reads([rule('kyc_tier', { kyc_tier: 0, balance_max: '1' })])).toEqual(['wal_capped']);
    expect(reads([rule('kyc_tier', { kyc_tier: 1, balance_max: '1' })])).toEqual([]);
    expect(reads([rule('kyc_tier', { kyc_tier: 0, daily_outflow_max: '1' })])).toEqual(['hol_p']);
    // A pay-in leaves no wallet: only the balances it raises are read.
    const pay_in = movement({ inflow: true, source_wallet_id: 'wal_capped' });
    const all = [
      rule('velocity', { subject: 'wallet', window_s: 60, count_max: 1 }),
      rule('new_wallet', { wallet_age_s: 60, amount_max: '1' }),
      rule('kyc_tier', { kyc_tier: 0, balance_max: '1', daily_outflow_max: '1' }),
    ];
    expect(reads(all, pay_in)).toEqual(['wal_capped']);
    expect(reads(all, movement({ currency: 'EUR' }))).toEqual([]);
  });
});
