import { describe, expect, it } from 'vitest';
import { debtor_iban, sampleBatch } from '../../test-support/iso20022-data.js';
import { buildCamt054 } from './camt054.js';
import { buildPain001 } from './pain001.js';
import type { BankNotification, CreditTransfer, CreditTransferBatch } from './types.js';

const batch = sampleBatch();
function payoutAt(index: number): CreditTransfer {
  const payout = batch.payouts[index];
  if (payout === undefined) throw new Error(`the sample batch has no payout ${index}`);
  return payout;
}
const first = payoutAt(0);
const second = payoutAt(1);

function withFirst(change: Partial<CreditTransfer>): CreditTransferBatch {
  return { ...batch, payouts: [{ ...first, ...change }, second] };
}

function withCreditor(change: Partial<CreditTransfer['creditor']>): CreditTransferBatch {
  return withFirst({ creditor: { ...first.creditor, ...change } });
}

describe('buildPain001 refuses bad batches with the field at fault', () => {
  it.each<[string, CreditTransferBatch, string, string]>([
    ['no payouts', { ...batch, payouts: [] }, 'payouts', 'invalid_request'],
    [
      'an EndToEndId of 36 characters',
      withFirst({ payout_id: `po_${'x'.repeat(33)}` }),
      'payouts[0].payout_id',
      'invalid_request',
    ],
    [
      'a repeated payout id',
      withFirst({ payout_id: second.payout_id }),
      'payouts[1].payout_id',
      'invalid_request',
    ],
    [
      'a name outside Basic Latin',
      withCreditor({ name: 'Zoë Müller' }),
      'payouts[0].creditor.name',
      'invalid_request',
    ],
    [
      'a control character',
      withCreditor({ name: 'Ann\u0000Lee' }),
      'payouts[0].creditor.name',
      'invalid_request',
    ],
    [
      'a name with a leading space',
      withCreditor({ name: ' Ann' }),
      'payouts[0].creditor.name',
      'invalid_request',
    ],
    ['an empty name', withCreditor({ name: '' }), 'payouts[0].creditor.name', 'invalid_request'],
    [
      'a name of 141 characters',
      withCreditor({ name: 'a'.repeat(141) }),
      'payouts[0].creditor.name',
      'invalid_request',
    ],
    [
      'wrong IBAN check digits',
      withCreditor({ account: { iban: 'GB28NWBK60161331926819' } }),
      'payouts[0].creditor.account.iban',
      'invalid_request',
    ],
    [
      'an IBAN with spaces',
      withCreditor({ account: { iban: 'GB29 NWBK 6016 1331 9268 19' } }),
      'payouts[0].creditor.account.iban',
      'invalid_request',
    ],
    [
      'an account number of 35 characters',
      withCreditor({ account: { other_id: '1'.repeat(35) } }),
      'payouts[0].creditor.account.other_id',
      'invalid_request',
    ],
    [
      'a BIC of 9 characters',
      withCreditor({ agent: { bic: 'NWBKGB2LX' } }),
      'payouts[0].creditor.agent.bic',
      'invalid_request',
    ],
    [
      'a clearing code of 6 characters',
      withCreditor({ agent: { clearing_system_code: 'USABAX', member_id: '1' } }),
      'payouts[0].creditor.agent.clearing_system_code',
      'invalid_request',
    ],
    ['a mixed currency', withFirst({ currency: 'USD' }), 'payouts[1].currency', 'invalid_request'],
    [
      'a lower-case currency',
      { ...batch, payouts: batch.payouts.map((payout) => ({ ...payout, currency: 'eur' })) },
      'payouts[0].currency',
      'invalid_request',
    ],
    ['six decimals', withFirst({ amount: '1.000001' }), 'payouts[0].amount', 'invalid_amount'],
    ['a zero amount', withFirst({ amount: '0.00' }), 'payouts[0].amount', 'invalid_amount'],
    ['a negative amount', withFirst({ amount: '-5.00' }), 'payouts[0].amount', 'invalid_amount'],
    ['an amount in exponent form', withFirst({ amount: '1e3' }), 'payouts[0].amount', 'invalid_amount'],
    ['19 digits', withFirst({ amount: '12345678901234567.89' }), 'payouts[0].amount', 'invalid_amount'],
    [
      'a remittance of 141 characters',
      withFirst({ remittance_information: 'r'.repeat(141) }),
      'payouts[0].remittance_information',
      'invalid_request',
    ],
    [
      'a message id of 36 characters',
      { ...batch, message_id: 'm'.repeat(36) },
      'message_id',
      'invalid_request',
    ],
    [
      'an impossible date',
      { ...batch, requested_execution_date: '2026-02-30' },
      'requested_execution_date',
      'invalid_request',
    ],
    ['an invalid created_at', { ...batch, created_at: new Date('nope') }, 'created_at', 'invalid_request'],
    [
      'a debtor BIC in lower case',
      { ...batch, debtor: { ...batch.debtor, agent: { bic: 'cobadeffxxx' } } },
      'debtor.agent.bic',
      'invalid_request',
    ],
  ])('%s', (_what, input, param, code) => {
    const result = buildPain001(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code, param, problem: 'invalid_field' });
  });

  it('refuses a control sum past 18 digits', () => {
    const payouts = Array.from({ length: 11 }, (_, index) => ({
      ...first,
      payout_id: `po_big_${index}`,
      amount: '9999999999999999.99',
    }));
    const result = buildPain001({ ...batch, payouts });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ problem: 'too_large', param: 'payouts' });
  });
});

describe('buildCamt054 refuses what a bank would not send', () => {
  const notification: BankNotification = {
    message_id: 'NTF-1',
    created_at: new Date('2026-11-24T06:00:00Z'),
    account: { iban: debtor_iban },
    entries: [
      {
        outcome: 'returned',
        return_reason_code: 'AC04',
        end_to_end_id: 'po_1',
        amount: '1.00',
        currency: 'EUR',
        booking_date: '2026-11-24',
        account_servicer_reference: 'REF-1',
      },
    ],
  };
  const [entry] = notification.entries;
  if (entry === undefined) throw new Error('one entry');

  it.each<[string, BankNotification['entries'][number], string]>([
    [
      'a return reason of 5 characters',
      { ...entry, return_reason_code: 'AC041' } as typeof entry,
      'entries[0].return_reason_code',
    ],
    [
      'a booked entry without a booking date',
      { ...entry, booking_date: undefined } as unknown as typeof entry,
      'entries[0].booking_date',
    ],
    ['a zero amount', { ...entry, amount: '0' }, 'entries[0].amount'],
    [
      'an EndToEndId of 36 characters',
      { ...entry, end_to_end_id: 'e'.repeat(36) },
      'entries[0].end_to_end_id',
    ],
  ])('%s', (_what, bad, param) => {
    const result = buildCamt054({ ...notification, entries: [bad] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ param, problem: 'invalid_field' });
  });

  it('writes a pending entry without a booking date', () => {
    const { booking_date: _omitted, ...pending } = entry;
    const result = buildCamt054({ ...notification, entries: [{ ...pending, status: 'PDNG' }] });
    expect(result.ok && result.value).toContain('<Cd>PDNG</Cd>');
    expect(result.ok && result.value).not.toContain('BookgDt');
  });
});
