import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { openNullable } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { domainError } from '../shared/errors.js';
import { formatAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type InvoiceDocument, renderInvoicePdf } from './invoice-pdf.js';
import { getInvoiceView } from './reads.js';

/** The issuer printed on invoices. */
const issuer_name = 'Purse';

/**
 * Rendering is synchronous CPU work (about 0.1 s for a 250-line invoice, more on a busy machine),
 * so it must not be done more than needed nor by many requests at once: a rendered invoice is kept
 * until what it shows changes (the key is a digest of the document), and renders run one at a time, between which the
 * process serves everything else; past `renders_waiting_max` waiting, a request is told to retry.
 */
const rendered = new LRUCache<string, Buffer>({
  max: 200,
  maxSize: 50_000_000,
  sizeCalculation: (pdf) => pdf.length,
});
const renders_waiting_max = 16;
let renders_waiting = 0;
let last_render: Promise<unknown> = Promise.resolve();

async function renderOnce(key: string, document: InvoiceDocument): Promise<Result<Buffer>> {
  const cached = rendered.get(key);
  if (cached !== undefined) return ok(cached);
  if (renders_waiting >= renders_waiting_max)
    return fail(domainError('service_unavailable', 'Too many invoices are being rendered; retry shortly.'));
  renders_waiting += 1;
  const turn = last_render.then(async () => {
    // Yield to the event loop between two renders, so waiting requests run in between.
    await new Promise((resolve) => setImmediate(resolve));
    return renderInvoicePdf(document);
  });
  last_render = turn.catch(() => undefined);
  try {
    const pdf = await turn;
    rendered.set(key, pdf);
    return ok(pdf);
  } finally {
    renders_waiting -= 1;
  }
}

/** An invoice as a PDF: its view, the holder it bills and the names of its tax rates, rendered. */
export async function invoicePdf(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<{ filename: string; body: Buffer }>> {
  const found = await getInvoiceView(db, livemode, id);
  if (!found.ok) return found;
  const invoice = found.value;
  const holder = await db.query<{ name: string | null; email: string | null }>(
    'SELECT name, email FROM holders WHERE id = $1',
    [invoice.holder_id],
  );
  // Sealed personal data, opened for the document only.
  const bill_to = holder.rows[0];
  const rates = await db.query<{ id: string; display_name: string; percentage: string }>(
    'SELECT id, display_name, percentage FROM tax_rates WHERE id = ANY($1::text[])',
    [invoice.tax_rate_ids],
  );
  const scale = invoice.total.split('.')[1]?.length ?? 0;
  const date = (text: string | null) => (text === null ? null : new Date(text));
  const taxes = rates.rows.map((rate) => {
    const minor = invoice.lines
      .flatMap((line) => line.tax_amounts.filter((tax) => tax.tax_rate_id === rate.id))
      .reduce((sum, tax) => sum + BigInt(tax.amount.replace('.', '')), 0n);
    return { name: `${rate.display_name} ${Number(rate.percentage)}%`, amount: formatAmount(minor, scale) };
  });
  const document: InvoiceDocument = {
    number: invoice.number ?? `Draft ${invoice.id}`,
    status: invoice.status,
    currency: invoice.currency,
    issued_at: date(invoice.finalized_at),
    due_at: date(invoice.due_date),
    paid_at: date(invoice.paid_at),
    period:
      invoice.subscription_id === null
        ? null
        : { start: new Date(invoice.period_start), end: new Date(invoice.period_end) },
    issuer: { name: issuer_name },
    bill_to: {
      name: openNullable('personal', bill_to?.name ?? null) ?? invoice.holder_id,
      email: openNullable('personal', bill_to?.email ?? null),
      holder_id: invoice.holder_id,
    },
    lines: invoice.lines.map((line) => ({
      description: line.description,
      quantity: String(line.quantity),
      unit_amount: line.unit_amount ?? '',
      amount: line.amount,
      period:
        line.type === 'invoice_item'
          ? null
          : { start: new Date(line.period.start), end: new Date(line.period.end) },
    })),
    subtotal: invoice.subtotal,
    discount: invoice.discount,
    tax: invoice.tax,
    total: invoice.total,
    amount_paid: invoice.amount_paid,
    amount_due: invoice.amount_due,
    taxes,
  };
  const pdf = await renderOnce(createHash('sha256').update(JSON.stringify(document)).digest('hex'), document);
  return pdf.ok ? ok({ filename: `${invoice.number ?? invoice.id}.pdf`, body: pdf.value }) : pdf;
}
