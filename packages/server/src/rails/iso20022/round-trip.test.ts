import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAmount } from '../../shared/money.js';
import { arbitraryBatch, debtor_iban, sampleBatch } from '../../test-support/iso20022-data.js';
import { parseBankStatement } from './bank-statement.js';
import { buildCamt054 } from './camt054.js';
import { buildPain001 } from './pain001.js';
import { parsePain001 } from './pain001-reader.js';
import type { CreditTransferBatch, NotificationEntry, NotifiedOutcome } from './types.js';

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { detail: string } }): T {
  if (!result.ok) throw new Error(result.error.detail);
  return result.value;
}

/** The sandbox bank: reads the pain.001 it is handed and reports each payout with the outcome given. */
function bankNotifies(pain001: string, outcomeOf: (index: number) => NotifiedOutcome): string {
  const batch = unwrap(parsePain001(pain001));
  const entries = batch.payouts.map(
    (payout, index): NotificationEntry => ({
      ...outcomeOf(index),
      end_to_end_id: payout.payout_id,
      amount: payout.amount,
      currency: payout.currency,
      booking_date: batch.requested_execution_date,
      account_servicer_reference: `BANKREF-${index}`,
    }),
  );
  return unwrap(
    buildCamt054({ message_id: 'NTF-1', created_at: new Date(), account: batch.debtor.account, entries }),
  );
}

const return_codes = ['AC04', 'AC01', 'AM04'];

function expectedOutcomes(batch: CreditTransferBatch, outcomeOf: (index: number) => NotifiedOutcome) {
  return batch.payouts.map((payout, index) => {
    const outcome = outcomeOf(index);
    return {
      end_to_end_id: payout.payout_id,
      amount: payout.amount,
      currency: payout.currency,
      credit_debit: outcome.outcome === 'paid' ? 'DBIT' : 'CRDT',
      status: 'BOOK',
      booking_date: batch.requested_execution_date,
      account_servicer_reference: `BANKREF-${index}`,
      ...(outcome.outcome === 'paid'
        ? { kind: 'paid' }
        : { kind: 'returned', return_reason_code: outcome.return_reason_code }),
    };
  });
}

describe('ISO 20022 round trip', () => {
  it('matches every payout of a pain.001 to its outcome and amount in the bank camt.054', () => {
    const batch = sampleBatch();
    const outcomeOf = (index: number): NotifiedOutcome =>
      index === 1 ? { outcome: 'returned', return_reason_code: 'AC04' } : { outcome: 'paid' };
    const parsed = unwrap(parseBankStatement(bankNotifies(unwrap(buildPain001(batch)), outcomeOf)));
    expect(parsed).toMatchObject({
      message_type: 'camt.054.001.08',
      message_id: 'NTF-1',
      account: { iban: debtor_iban },
    });
    expect(parsed.entries).toEqual(expectedOutcomes(batch, outcomeOf));
    expect(parsed.other_entries).toEqual([]);
    for (const [index, entry] of parsed.entries.entries()) {
      const sent = parseAmount(batch.payouts[index]?.amount, 2, 'amount');
      expect(parseAmount(entry.amount, 2, 'amount')).toEqual(sent);
    }
  });

  it('reads back exactly the batch it wrote: names with XML specials, amounts, accounts, agents', () => {
    fc.assert(
      fc.property(arbitraryBatch, (batch) => {
        expect(unwrap(parsePain001(unwrap(buildPain001(batch))))).toEqual(batch);
      }),
      { numRuns: 200 },
    );
  });

  it('brings every random payout back with its outcome and exact amount through pain.001 and camt.054', () => {
    fc.assert(
      fc.property(
        arbitraryBatch,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
        (batch, picks) => {
          const outcomeOf = (index: number): NotifiedOutcome => {
            const code = return_codes[picks[index] ?? 0];
            return code === undefined
              ? { outcome: 'paid' }
              : { outcome: 'returned', return_reason_code: code };
          };
          const parsed = unwrap(parseBankStatement(bankNotifies(unwrap(buildPain001(batch)), outcomeOf)));
          expect(parsed.entries).toEqual(expectedOutcomes(batch, outcomeOf));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('sums CtrlSum exactly where floating point would not', () => {
    const batch = sampleBatch();
    const payouts = ['0.10', '0.20', '9999999999999.99', '0.01'].map((amount, index) => ({
      ...batch.payouts[0],
      payout_id: `po_sum_${index}`,
      amount,
    })) as CreditTransferBatch['payouts'];
    const xml = unwrap(buildPain001({ ...batch, payouts }));
    expect(xml.match(/<CtrlSum>([^<]*)<\/CtrlSum>/g)).toEqual([
      '<CtrlSum>10000000000000.30</CtrlSum>',
      '<CtrlSum>10000000000000.30</CtrlSum>',
    ]);
    expect(xml).toContain('<NbOfTxs>4</NbOfTxs>');
  });
});
