import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { debtor_iban, sampleBatch } from '../../test-support/iso20022-data.js';
import { parseBankStatement } from './bank-statement.js';
import { buildPain001 } from './pain001.js';
import type { IsoProblem } from './problems.js';

let statement = '';

beforeAll(async () => {
  statement = await readFile(new URL('./fixtures/camt053-statement.xml', import.meta.url), 'utf8');
});

function expectRefused(xml: string, problem: IsoProblem, detail: string | RegExp): void {
  const result = parseBankStatement(xml);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error).toMatchObject({ code: 'invalid_request', problem });
  expect(result.error.detail).toMatch(detail);
}

const booked = { currency: 'EUR', status: 'BOOK', booking_date: '2026-11-23' } as const;

describe('parseBankStatement', () => {
  it('reads the hand-written camt.053 statement: outcomes apart from everything else', () => {
    const result = parseBankStatement(statement);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      message_type: 'camt.053.001.08',
      message_id: 'STMT-20261124-0001',
      created_at: '2026-11-24T06:00:00+01:00',
      account: { iban: debtor_iban },
    });
    expect(result.value.entries).toEqual([
      {
        ...booked,
        end_to_end_id: 'po_01jd0000000000000000000001',
        amount: '1234.50',
        credit_debit: 'DBIT',
        account_servicer_reference: 'BANKREF-0001',
        kind: 'paid',
      },
      {
        ...booked,
        end_to_end_id: 'po_01jd0000000000000000000002',
        amount: '250.00',
        credit_debit: 'CRDT',
        account_servicer_reference: 'BANKREF-0002-TX',
        kind: 'returned',
        return_reason_code: 'AC04',
      },
      {
        ...booked,
        end_to_end_id: 'po_01jd0000000000000000000003',
        amount: '100.00',
        credit_debit: 'DBIT',
        account_servicer_reference: 'BANKREF-0003',
        kind: 'paid',
      },
      {
        ...booked,
        end_to_end_id: 'po_01jd0000000000000000000004',
        amount: '200.00',
        credit_debit: 'DBIT',
        account_servicer_reference: 'BANKREF-0003',
        kind: 'paid',
      },
      {
        ...booked,
        status: 'PDNG',
        booking_date: null,
        end_to_end_id: 'po_01jd0000000000000000000005',
        amount: '40.00',
        credit_debit: 'DBIT',
        account_servicer_reference: null,
        kind: 'paid',
      },
    ]);
    expect(result.value.other_entries).toEqual([
      {
        ...booked,
        end_to_end_id: null,
        amount: '2500.00',
        credit_debit: 'CRDT',
        account_servicer_reference: 'BANKREF-0004',
      },
      {
        ...booked,
        end_to_end_id: null,
        amount: '0.85',
        credit_debit: 'DBIT',
        account_servicer_reference: 'BANKREF-0005',
      },
    ]);
  });

  it('reads the same statement written with a namespace prefix', () => {
    const prefixed = statement
      .replace(/<(\/?)([A-Za-z]+)([ >])/g, '<$1c:$2$3')
      .replace('<c:Document xmlns=', '<c:Document xmlns:c=');
    expect(prefixed).toContain('<c:Ntry>');
    expect(parseBankStatement(prefixed)).toEqual(parseBankStatement(statement));
  });

  it('reads a transaction without its own amount from its entry, amounts without leading zeros', () => {
    const xml = statement
      .replace(
        '<Amt Ccy="EUR">1234.50</Amt>\n        <CdtDbtInd>DBIT',
        '<Amt Ccy="EUR">001234.50</Amt>\n        <CdtDbtInd>DBIT',
      )
      .replace(/<Amt Ccy="EUR">1234.50<\/Amt>\s*<CdtDbtInd>DBIT<\/CdtDbtInd>\s*<RltdPties>/, '<RltdPties>');
    const result = parseBankStatement(xml);
    expect(result.ok && result.value.entries[0]).toMatchObject({ amount: '1234.50', credit_debit: 'DBIT' });
  });

  it.each([
    [
      'unclosed elements',
      (xml: string) => xml.replace('</Document>', ''),
      'malformed_xml',
      /not well-formed XML: .*unclosed tag/,
    ],
    [
      'an undefined entity',
      (xml: string) => xml.replace('O&apos;Brien', 'O&nbsp;Brien').replace("O'Brien", 'O&nbsp;Brien'),
      'malformed_xml',
      /undefined entity/,
    ],
    ['two roots', (xml: string) => `${xml}<Document/>`, 'malformed_xml', /only one root/],
    ['no XML at all', () => 'STMT;2026-11-23;1234.50', 'malformed_xml', /not well-formed XML/],
    [
      'a DOCTYPE defining entities (billion laughs)',
      (xml: string) =>
        xml
          .replace(
            '<Document',
            '<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Document',
          )
          .replace('BANKREF-0001', '&b;'),
      'doctype_refused',
      /DOCTYPE/,
    ],
    [
      'an old camt.053 version',
      (xml: string) => xml.replace('camt.053.001.08', 'camt.053.001.02'),
      'unknown_namespace',
      /"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"; this reads camt.053.001.08, camt.054.001.08/,
    ],
    [
      'no namespace',
      (xml: string) => xml.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', ''),
      'unknown_namespace',
      /no namespace/,
    ],
    [
      'another root',
      () => '<Statement xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>',
      'unknown_message',
      /root element is Statement/,
    ],
    [
      'a message element of the other type',
      (xml: string) => xml.replaceAll('BkToCstmrStmt', 'BkToCstmrDbtCdtNtfctn'),
      'missing_element',
      /Document has no BkToCstmrStmt/,
    ],
    [
      'no GrpHdr/MsgId',
      (xml: string) => xml.replace(/<MsgId>STMT[^<]*<\/MsgId>/, ''),
      'missing_element',
      /GrpHdr\[0\] has no MsgId/,
    ],
    [
      'no statement',
      (xml: string) => xml.replace(/<Stmt>[\s\S]*<\/Stmt>/, ''),
      'missing_element',
      /has no Stmt/,
    ],
    [
      'an entry without Sts',
      (xml: string) => xml.replace('<Sts><Cd>BOOK</Cd></Sts>', ''),
      'missing_element',
      /Ntry\[0\] has no Sts/,
    ],
    [
      'a proprietary status',
      (xml: string) => xml.replace('<Sts><Cd>BOOK</Cd></Sts>', '<Sts><Prtry>DONE</Prtry></Sts>'),
      'invalid_value',
      /Sts\[0\] has no Cd; expected one of BOOK, PDNG, INFO, FUTR/,
    ],
    [
      'a negative amount',
      (xml: string) => xml.replace('>1234.50<', '>-1234.50<'),
      'invalid_value',
      /Ntry\[0\]\/Amt\[0\] is not an amount/,
    ],
    [
      'an amount in exponent form',
      (xml: string) => xml.replace('>1234.50<', '>1.2345E3<'),
      'invalid_value',
      /is not an amount/,
    ],
    [
      'six decimals',
      (xml: string) => xml.replace('>1234.50<', '>1234.500001<'),
      'invalid_value',
      /at most 5 decimals/,
    ],
    [
      'a missing Ccy',
      (xml: string) => xml.replace('<Amt Ccy="EUR">1234.50', '<Amt>1234.50'),
      'invalid_value',
      /no valid Ccy/,
    ],
    [
      'a bad credit-debit code',
      (xml: string) => xml.replace('<CdtDbtInd>DBIT', '<CdtDbtInd>DEBIT'),
      'invalid_value',
      /"DEBIT", not CRDT or DBIT/,
    ],
    [
      'an empty EndToEndId',
      (xml: string) => xml.replace('<EndToEndId>po_01jd0000000000000000000001', '<EndToEndId> '),
      'invalid_value',
      /EndToEndId\[0\] is empty/,
    ],
    [
      'a batch transaction without an amount',
      (xml: string) => xml.replace('<Amt Ccy="EUR">100.00</Amt>', ''),
      'missing_element',
      /TxDtls\[0\] has no Amt of its own/,
    ],
    [
      'a statement of another account',
      (xml: string) =>
        xml.replace(
          '</Stmt>',
          '</Stmt><Stmt><Id>2</Id><Acct><Id><IBAN>GB29NWBK60161331926819</IBAN></Id></Acct></Stmt>',
        ),
      'several_accounts',
      /Stmt\[1\] reports on another account/,
    ],
    [
      'elements nested 40 deep',
      (xml: string) => xml.replace('<AddtlNtryInf>', `${'<X>'.repeat(40)}${'</X>'.repeat(40)}<AddtlNtryInf>`),
      'malformed_xml',
      /nest deeper than 32/,
    ],
  ])('refuses a file with %s', (_what, mutate, problem, detail) => {
    const mutated = mutate(statement);
    expect(mutated).not.toBe(statement);
    expectRefused(mutated, problem as IsoProblem, detail);
  });

  it('refuses a pain.001, naming the namespaces it reads', () => {
    const built = buildPain001(sampleBatch());
    expect(built.ok).toBe(true);
    if (built.ok) expectRefused(built.value, 'unknown_namespace', /pain.001.001.09"; this reads camt.053/);
  });

  it('ignores elements of other namespaces inside the message', () => {
    const xml = statement.replace(
      '<AddtlNtryInf>',
      '<x:Extra xmlns:x="urn:example"><x:Amt>9</x:Amt></x:Extra><AddtlNtryInf>',
    );
    expect(parseBankStatement(xml)).toEqual(parseBankStatement(statement));
  });
});
