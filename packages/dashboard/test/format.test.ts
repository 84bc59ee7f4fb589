import { describe, expect, it } from 'vitest';
import { currenciesOf, daysBetween, fillDays, pageTitle, percent, routeOfId } from '../src/format.js';

describe('the overview helpers', () => {
  it('fills the days the overview left out with zeros', () => {
    const days = daysBetween('2026-11-29', '2026-12-02');
    expect(days).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    const rows = [
      { date: '2026-11-30', count: 2 },
      { date: '2026-12-02', count: 5 },
    ];
    expect(fillDays(days, rows, (row) => row.count)).toEqual([0, 2, 0, 5]);
  });

  it('bounds the days it lists', () => {
    expect(daysBetween('2020-01-01', '2026-01-01', 10)).toHaveLength(10);
    expect(daysBetween('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it('shows rates as percents and currencies once each', () => {
    expect(percent('0.0909')).toBe('9.09 %');
    expect(percent(null)).toBe('–');
    expect(currenciesOf([{ currency: 'USD' }, { currency: 'EUR' }, { currency: 'USD' }])).toEqual([
      'EUR',
      'USD',
    ]);
  });

  it('links an id to its page and puts the mode first in every title', () => {
    expect(routeOfId('pay_01abc')).toBe('/payments/pay_01abc');
    expect(routeOfId('wal_01abc')).toBe('/wallets/wal_01abc');
    expect(routeOfId('nope')).toBeUndefined();
    expect(pageTitle('Overview', 'live')).toBe('LIVE · Overview · Purse dashboard');
  });
});
