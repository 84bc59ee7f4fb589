import { describe, expect, it } from 'vitest';
import { excessPower, type KeyPowers, type PowerFacts, walletsNamed } from './powers.js';

const admin: KeyPowers = {
  id: 'key_admin',
  livemode: true,
  scopes: ['*'],
  restrictions: null,
  spend_policy: null,
  expires_at: null,
  rate_limit_requests_max: 10_000,
};

const no_facts: PowerFacts = { wallet_holder_ids: new Map() };
const facts: PowerFacts = {
  wallet_holder_ids: new Map([
    ['wal_a', 'hol_1'],
    ['wal_b', 'hol_1'],
    ['wal_c', 'hol_2'],
    ['wal_p', null],
  ]),
};

function key(changes: Partial<KeyPowers>): KeyPowers {
  return { ...admin, id: 'key_target', ...changes };
}

/** The error code and param when `target` exceeds `actor`, or 'ok'. */
function compare(target: KeyPowers, actor: KeyPowers, with_facts = facts): string {
  const excess = excessPower(target, actor, with_facts);
  return excess === undefined ? 'ok' : `${excess.code} ${excess.param}`;
}

const policy = {
  limits: [{ currency: 'USD', per_movement_max: '20.00', daily_max: '50.00', approval_above: '15.00' }],
};

describe('excessPower: is a key no more powerful than the one managing it', () => {
  it('lets a key manage an equal or weaker key, and itself', () => {
    expect(compare(admin, admin)).toBe('ok');
    expect(compare(key({ scopes: ['holders:read'] }), admin)).toBe('ok');
    const bound = key({ spend_policy: policy, restrictions: { wallet_ids: ['wal_a'] } });
    expect(compare(bound, bound)).toBe('ok');
  });

  it('compares scopes with wildcards', () => {
    const writer = key({ id: 'key_w', scopes: ['api_keys:write', 'transfers:*', 'holders:write'] });
    expect(compare(key({ scopes: ['*'] }), writer)).toBe('insufficient_scope scopes');
    expect(compare(key({ scopes: ['transfers:read', 'transfers:write'] }), writer)).toBe('ok');
    expect(compare(key({ scopes: ['transfers:*'] }), writer)).toBe('ok');
    expect(compare(key({ scopes: ['holders:read'] }), writer)).toBe('ok');
    // holders:write implies read today, but a wildcard also grants actions added later.
    expect(compare(key({ scopes: ['holders:*'] }), writer)).toBe('insufficient_scope scopes');
    expect(compare(key({ scopes: ['wallets:read'] }), writer)).toBe('insufficient_scope scopes');
  });

  it('keeps live keys out of reach of test keys', () => {
    const test = key({ id: 'key_t', livemode: false });
    expect(compare(key({ livemode: true }), test)).toBe('mode_mismatch mode');
    expect(compare(key({ livemode: false }), admin)).toBe('ok');
  });

  it("wants a restricted key's target restricted to wallets the key may use", () => {
    const to_a = key({ id: 'key_r', restrictions: { wallet_ids: ['wal_a', 'wal_c'] } });
    const to_holder = key({ id: 'key_h', restrictions: { holder_id: 'hol_1' } });
    const refused = 'key_restricted restrictions';
    expect(compare(key({ restrictions: null }), to_a)).toBe(refused);
    expect(compare(key({ restrictions: { wallet_ids: ['wal_a'] } }), to_a)).toBe('ok');
    expect(compare(key({ restrictions: { wallet_ids: ['wal_a', 'wal_b'] } }), to_a)).toBe(refused);
    // A holder may get new wallets later: a list of wallets never covers a holder.
    expect(compare(key({ restrictions: { holder_id: 'hol_1' } }), to_a)).toBe(refused);
    expect(compare(key({ restrictions: { holder_id: 'hol_1' } }), to_holder)).toBe('ok');
    expect(compare(key({ restrictions: { holder_id: 'hol_2' } }), to_holder)).toBe(refused);
    expect(compare(key({ restrictions: { wallet_ids: ['wal_a', 'wal_b'] } }), to_holder)).toBe('ok');
    expect(compare(key({ restrictions: { wallet_ids: ['wal_c'] } }), to_holder)).toBe(refused);
    expect(compare(key({ restrictions: { wallet_ids: ['wal_a'] } }), to_holder, no_facts)).toBe(refused);
    expect(compare(to_a, admin)).toBe('ok');
  });

  it('lets a policy-bound key manage only itself, and never loosen its policy', () => {
    const agent = key({ id: 'key_agent', spend_policy: policy });
    const refused = 'key_restricted spend_policy';
    // Counters are per key: even an identical policy on a second key would double the budget.
    expect(compare(key({ id: null, spend_policy: policy }), agent)).toBe(refused);
    expect(compare(key({ id: 'key_other', spend_policy: policy }), agent)).toBe(refused);
    const self = (spend_policy: KeyPowers['spend_policy']) => compare({ ...agent, spend_policy }, agent);
    expect(self(null)).toBe(refused);
    expect(self({ limits: [{ ...policy.limits[0], currency: 'USD', daily_max: '50.01' }] })).toBe(refused);
    expect(self({ limits: [{ ...policy.limits[0], currency: 'USD', daily_max: '49.9' }] })).toBe('ok');
    expect(self({ limits: [{ currency: 'USD', per_movement_max: '20', daily_max: '50' }] })).toBe(refused);
    // Asking approval above 15 is moot when no movement may pass 15.
    expect(self({ limits: [{ currency: 'USD', per_movement_max: '15', daily_max: '50' }] })).toBe('ok');
    expect(self({ limits: [{ ...policy.limits[0], currency: 'EUR' }] })).toBe(refused);
    expect(self({ ...policy, allowed_hours: { start_hour: 9, end_hour: 17 } })).toBe('ok');
    expect(compare(key({ spend_policy: policy }), admin)).toBe('ok');
  });

  it('compares allowed destinations and hours', () => {
    const guarded = {
      ...policy,
      allowed_destinations: { wallet_ids: ['wal_p'], holder_ids: ['hol_1'] },
      allowed_hours: { time_zone: 'Europe/Paris', start_hour: 8, end_hour: 20, weekdays: [1, 2, 3, 4, 5] },
    };
    const agent = key({ id: 'key_agent', spend_policy: guarded });
    const self = (changes: object) => compare({ ...agent, spend_policy: { ...guarded, ...changes } }, agent);
    const refused = 'key_restricted spend_policy';
    expect(self({})).toBe('ok');
    expect(self({ allowed_destinations: { wallet_ids: ['wal_a', 'wal_p'] } })).toBe('ok');
    expect(self({ allowed_destinations: { wallet_ids: ['wal_c'] } })).toBe(refused);
    expect(self({ allowed_destinations: { holder_ids: ['hol_2'] } })).toBe(refused);
    expect(self({ allowed_destinations: undefined })).toBe(refused);
    expect(
      self({ allowed_hours: { time_zone: 'Europe/Paris', start_hour: 9, end_hour: 12, weekdays: [1] } }),
    ).toBe('ok');
    expect(self({ allowed_hours: { time_zone: 'Europe/Paris', start_hour: 8, end_hour: 21 } })).toBe(refused);
    expect(self({ allowed_hours: { start_hour: 9, end_hour: 12, weekdays: [1] } })).toBe(refused);
    expect(self({ allowed_hours: undefined })).toBe(refused);
  });

  it('never lets a key outlive the key managing it', () => {
    const expires_at = new Date('2027-01-01T00:00:00Z');
    const short = key({ id: 'key_short', expires_at });
    const refused = 'api_key_exceeds_caller expires_at';
    expect(compare(key({ expires_at: null }), short)).toBe(refused);
    expect(compare(key({ expires_at: new Date('2027-01-01T00:00:01Z') }), short)).toBe(refused);
    expect(compare(key({ expires_at }), short)).toBe('ok');
    expect(compare(key({ expires_at: new Date('2026-12-01T00:00:00Z') }), short)).toBe('ok');
    expect(compare(key({ expires_at }), admin)).toBe('ok');
  });

  it("never raises a restricted or policy-bound key's rate limit above its own (0: unlimited)", () => {
    const slow = key({ id: 'key_slow', rate_limit_requests_max: 100, spend_policy: policy });
    const refused = 'api_key_exceeds_caller rate_limit_requests_max';
    const self = (rate_limit_requests_max: number) => compare({ ...slow, rate_limit_requests_max }, slow);
    expect(self(101)).toBe(refused);
    expect(self(0)).toBe(refused);
    expect(self(100)).toBe('ok');
    expect(self(1)).toBe('ok');
    const free = key({ id: 'key_free', restrictions: { wallet_ids: ['wal_a'] }, rate_limit_requests_max: 0 });
    expect(compare({ ...free, id: 'key_other', rate_limit_requests_max: 5 }, free)).toBe('ok');
    // An unbound key may mint more keys anyway: its own limit bounds nothing, so it is not compared.
    expect(compare(key({ rate_limit_requests_max: 50_000 }), admin)).toBe('ok');
  });

  it('names every wallet either key mentions, for the holder lookup', () => {
    const named = walletsNamed(
      key({ restrictions: { wallet_ids: ['wal_a'] } }),
      key({ spend_policy: { ...policy, allowed_destinations: { wallet_ids: ['wal_a', 'wal_p'] } } }),
    );
    expect(named).toEqual(['wal_a', 'wal_p']);
  });
});
