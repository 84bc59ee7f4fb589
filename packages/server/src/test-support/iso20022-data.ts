import fc from 'fast-check';
import type { CreditTransfer, CreditTransferBatch } from '../rails/iso20022/types.js';

/**
 * ISO 20022 credit-transfer batches for the tests of src/rails/iso20022/, fixed and random. It lives
 * with the test support so that it (and fast-check) stay out of the build.
 */
export const debtor_iban = 'DE89370400440532013000';

export function sampleBatch(): CreditTransferBatch {
  return {
    message_id: 'pob_01jd0000000000000000000001',
    created_at: new Date('2026-11-23T09:15:00.250Z'),
    requested_execution_date: '2026-11-23',
    initiating_party_name: 'Purse Payouts & Co',
    debtor: { name: 'Purse "Platform" Ltd', account: { iban: debtor_iban }, agent: { bic: 'COBADEFFXXX' } },
    payouts: [
      {
        payout_id: 'po_01jd0000000000000000000001',
        amount: '1234.50',
        currency: 'EUR',
        creditor: {
          name: "O'Brien & Sons <Ltd>",
          account: { iban: 'GB29NWBK60161331926819' },
          agent: { bic: 'NWBKGB2L' },
        },
        remittance_information: 'Payout for invoice #42 > 30 days',
      },
      {
        payout_id: 'po_01jd0000000000000000000002',
        amount: '250.00',
        currency: 'EUR',
        creditor: { name: 'Acme GmbH', account: { iban: 'DE44500105175407324931' } },
      },
      {
        payout_id: 'po_01jd0000000000000000000003',
        amount: '0.01',
        currency: 'EUR',
        creditor: {
          name: 'Jane Doe',
          account: { other_id: '000123456789' },
          agent: { clearing_system_code: 'USABA', member_id: '021000021' },
        },
      },
    ],
  };
}

/** Basic Latin text full of the characters XML must escape, without a space at either end. */
const xml_special_text = (length_max: number) =>
  fc
    .string({
      unit: fc.constantFrom(...'&<>"\'; ]]>/-?:().,+aZ09'.split('')),
      minLength: 1,
      maxLength: length_max,
    })
    .filter((text) => text.trim() === text);

/** Positive amounts of scale 2 up to 10^13, as decimal strings such as "1234.05". */
const arbitraryAmount = fc
  .bigInt({ min: 1n, max: 10n ** 15n - 1n })
  .map((cents) => `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`);

const arbitraryPayout = (index: number) =>
  fc
    .record({
      amount: arbitraryAmount,
      name: xml_special_text(140),
      remittance: fc.option(xml_special_text(140), { nil: undefined }),
      iban: fc.boolean(),
    })
    .map(
      ({ amount, name, remittance, iban }): CreditTransfer => ({
        payout_id: `po_01jd${index.toString().padStart(22, '0')}`,
        amount,
        currency: 'EUR',
        creditor: {
          name,
          account: iban ? { iban: 'GB29NWBK60161331926819' } : { other_id: `ACCT-${index}` },
        },
        ...(remittance === undefined ? {} : { remittance_information: remittance }),
      }),
    );

export const arbitraryBatch: fc.Arbitrary<CreditTransferBatch> = fc
  .integer({ min: 1, max: 12 })
  .chain((count) =>
    fc.tuple(
      xml_special_text(140),
      fc.tuple(...Array.from({ length: count }, (_, index) => arbitraryPayout(index))),
    ),
  )
  .map(([debtor_name, payouts]) => ({
    ...sampleBatch(),
    debtor: { ...sampleBatch().debtor, name: debtor_name },
    payouts,
  }));
