import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { arbitraryBatch, debtor_iban, sampleBatch } from '../../test-support/iso20022-data.js';
import { buildCamt054 } from './camt054.js';
import { buildPain001 } from './pain001.js';
import type { BankNotification } from './types.js';

/**
 * Validates what we write, and the statement fixture, with libxml2 (compiled to WebAssembly) against
 * the XSDs in ./schemas: the subset of the published ISO 20022 schemas that Purse uses, with their
 * names, order, types and cardinalities (see the comment at the top of schemas/common.subset.xsd).
 */
type MessageType = 'pain.001.001.09' | 'camt.053.001.08' | 'camt.054.001.08';

const schema_files = [
  'common.subset.xsd',
  'camt-entries.subset.xsd',
  'pain.001.001.09.subset.xsd',
  'camt.053.001.08.subset.xsd',
  'camt.054.001.08.subset.xsd',
];
const schemas = new Map<string, XMLFileInfo>();

beforeAll(async () => {
  for (const fileName of schema_files) {
    const contents = await readFile(new URL(`./schemas/${fileName}`, import.meta.url), 'utf8');
    schemas.set(fileName, { fileName, contents });
  }
});

function schemaFile(fileName: string): XMLFileInfo {
  const file = schemas.get(fileName);
  if (file === undefined) throw new Error(`schema ${fileName} not loaded`);
  return file;
}

/** The validator's error messages; empty when the document is valid. */
async function schemaErrors(xml: string, type: MessageType): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'document.xml', contents: xml }],
    schema: [schemaFile(`${type}.subset.xsd`)],
    preload: [schemaFile('common.subset.xsd'), schemaFile('camt-entries.subset.xsd')],
  });
  const errors = result.errors.map((error) => error.message);
  expect(result.valid, result.rawOutput).toBe(errors.length === 0);
  return errors;
}

function pain001(): string {
  const built = buildPain001(sampleBatch());
  if (!built.ok) throw new Error(built.error.detail);
  return built.value;
}

const notification: BankNotification = {
  message_id: 'NTFCTN-0001',
  created_at: new Date('2026-11-24T06:00:00Z'),
  account: { iban: debtor_iban },
  entries: [
    {
      outcome: 'paid',
      end_to_end_id: 'po_01jd0000000000000000000001',
      amount: '1234.50',
      currency: 'EUR',
      booking_date: '2026-11-23',
      account_servicer_reference: 'BANKREF-1',
    },
    {
      outcome: 'returned',
      return_reason_code: 'AC04',
      end_to_end_id: 'po_01jd0000000000000000000002',
      amount: '250.00',
      currency: 'EUR',
      booking_date: '2026-11-24',
      account_servicer_reference: 'BANKREF-2',
    },
    {
      outcome: 'paid',
      status: 'PDNG',
      end_to_end_id: 'po_01jd0000000000000000000003',
      amount: '0.01',
      currency: 'EUR',
      account_servicer_reference: 'BANKREF-3',
    },
  ],
};

function camt054(): string {
  const built = buildCamt054(notification);
  if (!built.ok) throw new Error(built.error.detail);
  return built.value;
}

describe('ISO 20022 schema validation', () => {
  it('accepts the pain.001 we write', async () => {
    expect(await schemaErrors(pain001(), 'pain.001.001.09')).toEqual([]);
  });

  it('accepts the camt.054 we write, paid, returned and pending', async () => {
    expect(await schemaErrors(camt054(), 'camt.054.001.08')).toEqual([]);
  });

  it('accepts the hand-written camt.053 statement fixture', async () => {
    const xml = await readFile(new URL('./fixtures/camt053-statement.xml', import.meta.url), 'utf8');
    expect(await schemaErrors(xml, 'camt.053.001.08')).toEqual([]);
  });

  // Each mutation breaks one rule of the published schema; the validator must name the element.
  it.each([
    [
      'a missing GrpHdr/MsgId',
      (xml: string) => xml.replace(/<MsgId>[^<]*<\/MsgId>/, ''),
      'Expected is ( {urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}MsgId )',
    ],
    [
      'Dbtr after DbtrAcct',
      (xml: string) => xml.replace(/(<Dbtr>[\s\S]*?<\/Dbtr>)(\s*)(<DbtrAcct>[\s\S]*?<\/DbtrAcct>)/, '$3$2$1'),
      'DbtrAcct',
    ],
    ['an unknown ChrgBr code', (xml: string) => xml.replace('<ChrgBr>SLEV', '<ChrgBr>OURS'), 'ChrgBr'],
    ['six decimals', (xml: string) => xml.replace('>1234.50<', '>1234.500001<'), 'InstdAmt'],
    [
      'an EndToEndId of 36 characters',
      (xml: string) => xml.replace('po_01jd', 'po_01jd12345678'),
      'EndToEndId',
    ],
    ['a lower-case IBAN country', (xml: string) => xml.replace('<IBAN>GB29', '<IBAN>gb29'), 'IBAN'],
    ['no CdtTrfTxInf', (xml: string) => xml.replace(/<CdtTrfTxInf>[\s\S]*<\/CdtTrfTxInf>/, ''), 'PmtInf'],
    ['another namespace', (xml: string) => xml.replace('pain.001.001.09', 'pain.001.001.03'), 'Document'],
  ])('refuses a pain.001 with %s', async (_what, mutate, element) => {
    const mutated = mutate(pain001());
    expect(mutated).not.toBe(pain001());
    const errors = await schemaErrors(mutated, 'pain.001.001.09');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain(element);
  });

  it.each([
    ['a missing Sts', (xml: string) => xml.replace(/<Sts>[\s\S]*?<\/Sts>/, ''), 'Sts'],
    [
      'CdtDbtInd before Amt',
      (xml: string) =>
        xml.replace(/(<Amt Ccy="EUR">1234.50<\/Amt>)(\s*)(<CdtDbtInd>DBIT<\/CdtDbtInd>)/, '$3$2$1'),
      'CdtDbtInd',
    ],
    ['a missing Ccy', (xml: string) => xml.replace('<Amt Ccy="EUR">250.00', '<Amt>250.00'), 'Ccy'],
    ['a missing BkTxCd', (xml: string) => xml.replace(/<BkTxCd>[\s\S]*?<\/BkTxCd>/, ''), 'BkTxCd'],
    ['a return reason of 5 characters', (xml: string) => xml.replace('<Cd>AC04', '<Cd>AC041'), 'Cd'],
  ])('refuses a camt.054 with %s', async (_what, mutate, element) => {
    const mutated = mutate(camt054());
    expect(mutated).not.toBe(camt054());
    const errors = await schemaErrors(mutated, 'camt.054.001.08');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain(element);
  });

  it('refuses a camt.053 statement without a balance (Bal is 1..n)', async () => {
    const xml = await readFile(new URL('./fixtures/camt053-statement.xml', import.meta.url), 'utf8');
    const errors = await schemaErrors(
      xml.replace(/<Bal>[\s\S]*?<\/Bal>\s*<Bal>[\s\S]*?<\/Bal>/, ''),
      'camt.053.001.08',
    );
    expect(errors.join('\n')).toContain('Ntry');
  });

  it('accepts every random batch we write, names full of XML specials', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryBatch, async (batch) => {
        const built = buildPain001(batch);
        expect(built.ok).toBe(true);
        if (built.ok) expect(await schemaErrors(built.value, 'pain.001.001.09')).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });
});
