import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../shared/assert.js';
import {
  type InvoiceDocument,
  type InvoiceDocumentLine,
  renderInvoicePdf,
  winAnsiText,
} from './invoice-pdf.js';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

function line(index: number, overrides: Partial<InvoiceDocumentLine> = {}): InvoiceDocumentLine {
  return {
    description: `Pro plan seat ${index}`,
    quantity: '1',
    unit_amount: '12.50',
    amount: '12.50',
    period: { start: day('2026-11-01'), end: day('2026-12-01') },
    ...overrides,
  };
}

function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    number: 'PURSE-TEST-000042',
    status: 'paid',
    currency: 'USD',
    issued_at: day('2026-12-01'),
    due_at: day('2026-12-31'),
    paid_at: day('2026-12-02'),
    period: { start: day('2026-11-01'), end: day('2026-12-01') },
    issuer: { name: 'Purse Platform Ltd' },
    bill_to: { name: 'Acme (Europe) GmbH', email: 'billing@acme.example', holder_id: 'hld_01JABCDEF' },
    lines: [
      line(1),
      line(2, { quantity: '3', amount: '37.50' }),
      line(3, { description: 'Coupon', period: null }),
    ],
    subtotal: '50.00',
    discount: '-5.00',
    tax: '9.00',
    total: '1234.50',
    amount_paid: '1234.50',
    amount_due: '0.00',
    taxes: [{ name: 'VAT 20%', amount: '9.00' }],
    ...overrides,
  };
}

/** Page objects, not the /Pages tree: pdfkit writes no object streams, so the dictionaries are plain text. */
function pageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g)?.length ?? 0;
}

/**
 * The text drawn on each page: every content stream inflated (pdfkit keeps one per page, in page
 * order), and in each, the hex strings of one TJ array (pdfkit splits a run only for kerning) joined
 * into one run, decoded as Latin-1, which WinAnsi matches outside 0x80-0x9F. Streams without text
 * (the XMP metadata) are left out.
 */
function pageTexts(pdf: Buffer): string[] {
  const pages: string[] = [];
  for (const stream of pdf.toString('latin1').matchAll(/stream\n([\s\S]*?)\nendstream/g)) {
    const raw = Buffer.from(stream[1] ?? '', 'latin1');
    let content: string;
    try {
      content = inflateSync(raw).toString('latin1');
    } catch {
      content = raw.toString('latin1');
    }
    const runs = [...content.matchAll(/\[([^\]]*)\]\s*TJ/g)].map((array) => {
      const hex = [...(array[1] ?? '').matchAll(/<([0-9a-fA-F]*)>/g)].map((match) => match[1]).join('');
      return Buffer.from(hex, 'hex').toString('latin1');
    });
    if (runs.length > 0) pages.push(runs.join('\n'));
  }
  return pages;
}

function drawnText(pdf: Buffer): string {
  return pageTexts(pdf).join('\n');
}

describe('renderInvoicePdf', () => {
  it('writes one PDF page with the number, the bill-to and the totals in the invoice currency', async () => {
    const pdf = await renderInvoicePdf(invoice());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    expect(pageCount(pdf)).toBe(1);
    const text = drawnText(pdf);
    for (const expected of [
      'Purse Platform Ltd',
      'PURSE-TEST-000042',
      'Acme (Europe) GmbH',
      'billing@acme.example',
      'hld_01JABCDEF',
      '2026-12-31',
      'Pro plan seat 2',
      '37.50',
      'VAT 20%',
      '1234.50 USD',
      '-5.00 USD',
      'PAID',
      'Page 1 of 1',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('renders the same invoice to the same bytes', async () => {
    const first = await renderInvoicePdf(invoice());
    const second = await renderInvoicePdf(invoice());
    expect(first.equals(second)).toBe(true);
    const draft = { status: 'draft', issued_at: null, due_at: null, paid_at: null } as const;
    expect((await renderInvoicePdf(invoice(draft))).equals(await renderInvoicePdf(invoice(draft)))).toBe(
      true,
    );
  });

  it('runs 200 lines onto further pages, numbered, with the table header on each', async () => {
    const lines = Array.from({ length: 200 }, (_, index) => line(index + 1));
    const pdf = await renderInvoicePdf(invoice({ lines }));
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThan(1);
    const text = drawnText(pdf);
    expect(text).toContain('Pro plan seat 200');
    expect(text).toContain(`Page ${pages} of ${pages}`);
    expect(text.match(/^DESCRIPTION$/gm)?.length).toBe(pages);
    expect(text.match(/^PAID$/gm)?.length).toBe(pages);
    const last = pageTexts(pdf).at(-1) ?? '';
    for (const total of ['Subtotal', 'VAT 20%', '1234.50 USD', 'Amount due']) expect(last).toContain(total);
  });

  it('flows a totals block taller than a page from page to page', async () => {
    const taxes = Array.from({ length: 50 }, (_, index) => ({
      name: `Tax ${index} ${'long '.repeat(30)}`,
      amount: '0.10',
    }));
    const pdf = await renderInvoicePdf(invoice({ taxes }));
    expect(pageCount(pdf)).toBeGreaterThan(1);
    expect(drawnText(pdf)).toContain('Amount due');
  });

  it('stamps drafts and void invoices, and nothing on an open one', async () => {
    const stamped = async (status: string) =>
      drawnText(await renderInvoicePdf(invoice({ status }))).match(/^(DRAFT|PAID|VOID)$/m)?.[0];
    expect(await stamped('draft')).toBe('DRAFT');
    expect(await stamped('void')).toBe('VOID');
    expect(await stamped('open')).toBeUndefined();
    expect(await stamped('uncollectible')).toBeUndefined();
  });

  it('draws hostile text without throwing, cut to its limit', async () => {
    const hostile = 'Zoë ) ( \\ \\) 東京 😀 \u0000 \uD800 \n\t\r \u202E <> %%EOF endstream € “quoted”';
    const pdf = await renderInvoicePdf(
      invoice({
        number: `${hostile} ${'9'.repeat(500)}`,
        issuer: { name: hostile },
        bill_to: { name: `(${hostile})`, email: `${hostile}@example`, holder_id: hostile },
        lines: [
          line(1, { description: 'x'.repeat(100_000) }),
          line(2, { description: 'word '.repeat(20_000) }),
          line(3, { description: hostile }),
          line(4, { description: '', quantity: '123456789012345678901.5', amount: '-0.000000000000000001' }),
        ],
        taxes: [{ name: hostile.repeat(50), amount: '0.01' }],
      }),
    );
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    const text = drawnText(pdf);
    expect(text).toContain('Zoë ) ( \\ \\) ?? ?');
    expect(text).not.toContain('x'.repeat(1_000));
  });

  it('refuses amounts, dates and statuses that are not what the billing service produces', async () => {
    const refused = [
      invoice({ total: '12,50' }),
      invoice({ amount_due: '1e3' }),
      invoice({ total: '1'.repeat(100) }),
      invoice({ status: 'refunded' }),
      invoice({ currency: 'usd' }),
      invoice({ due_at: new Date(Number.NaN) }),
      invoice({ period: { start: day('2026-12-01'), end: day('2026-11-01') } }),
      invoice({ lines: Array.from({ length: 1_001 }, (_, index) => line(index)) }),
    ];
    for (const bad of refused) await expect(renderInvoicePdf(bad)).rejects.toThrow(AssertionError);
  });
});

describe('winAnsiText', () => {
  it('keeps WinAnsi characters and puts one ? for each other code point', () => {
    expect(winAnsiText('Zoë (東京) \\ 😀 €5 – “ok”')).toBe('Zoë (??) \\ ? €5 – “ok”');
    expect(winAnsiText('a\nb\tc\u0000d\u0085e')).toBe('a b c d e');
    expect(winAnsiText('\uD800x\uDC00')).toBe('?x?');
  });
});
