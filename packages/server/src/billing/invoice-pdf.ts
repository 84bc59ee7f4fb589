import PDFDocument from 'pdfkit';
import { assert } from '../shared/assert.js';

/**
 * An invoice as the billing service hands it to the renderer: plain data, every amount already a
 * decimal string in the invoice's currency ("12.50", "-3.00"), so the PDF shows exactly what the API
 * returns and does no arithmetic of its own.
 */
export interface InvoiceDocument {
  readonly number: string;
  readonly status: string;
  readonly currency: string;
  /** When the invoice was finalized; null for a draft. */
  readonly issued_at: Date | null;
  readonly due_at: Date | null;
  readonly paid_at: Date | null;
  readonly period: InvoicePeriod | null;
  /** The platform sending the invoice. */
  readonly issuer: { readonly name: string };
  readonly bill_to: { readonly name: string; readonly email: string | null; readonly holder_id: string };
  readonly lines: readonly InvoiceDocumentLine[];
  readonly subtotal: string;
  readonly discount: string;
  readonly tax: string;
  readonly total: string;
  readonly amount_paid: string;
  readonly amount_due: string;
  readonly taxes: readonly { readonly name: string; readonly amount: string }[];
}

export interface InvoicePeriod {
  readonly start: Date;
  readonly end: Date;
}

export interface InvoiceDocumentLine {
  readonly description: string;
  readonly quantity: string;
  readonly unit_amount: string;
  readonly amount: string;
  readonly period: InvoicePeriod | null;
}

const invoice_statuses = ['draft', 'open', 'paid', 'void', 'uncollectible'] as const;
type InvoiceStatus = (typeof invoice_statuses)[number];

/** Four times what `invoices.lines` may hold (250), so the renderer is never the stricter limit. */
export const invoice_pdf_lines_max = 1_000;
export const invoice_pdf_taxes_max = 50;
/** Longer text is cut with an ellipsis, so that one line always fits on one page. */
const description_chars_max = 1_000;
const name_chars_max = 200;
/** As `tax_rates.display_name`. */
const tax_name_chars_max = 100;
/** NUMERIC(39,0) minor units at 18 decimals, a sign and a point: 41 characters; a little room over. */
const amount_chars_max = 48;
/** The footer is one line across the page. */
const footer_number_chars_max = 60;

/** A PDF needs a creation date; a draft has none, and the render must not depend on the clock. */
const undated_creation = new Date(Date.UTC(2000, 0, 1));

const decimal_pattern = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const currency_pattern = /^[A-Z][A-Z0-9_]{1,15}$/;

/**
 * Renders an invoice as a PDF: A4 pages with the issuer and number, the bill-to block, the dates, a
 * table of lines (its header repeated on every page it runs onto), the totals, a stamp for drafts,
 * paid and void invoices, and "page n of m" at the foot of each page. The same invoice renders to
 * the same bytes: the creation date is the invoice's, and the file id is derived from it.
 */
export async function renderInvoicePdf(invoice: InvoiceDocument): Promise<Buffer> {
  const status = checkInvoice(invoice);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: page.margin_pt,
    bufferPages: true,
    pdfVersion: '1.4',
    lang: 'en',
    displayTitle: true,
    info: {
      Title: `Invoice ${fieldText(invoice.number, name_chars_max)}`,
      Author: fieldText(invoice.issuer.name, name_chars_max),
      Creator: 'Purse',
      Producer: 'Purse',
      CreationDate: invoice.issued_at ?? undated_creation,
    },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  drawInvoice(pdf, invoice, status);
  pdf.end();
  const bytes = await finished;
  assert(bytes.subarray(0, 5).toString('latin1') === '%PDF-', 'pdfkit wrote no PDF header');
  return bytes;
}

/**
 * Text the standard PDF fonts can draw. They cover WinAnsiEncoding only: printable ASCII, Latin-1
 * from U+00A0, and the 27 characters such as € and curly quotes that pdfkit maps into 0x80-0x9F.
 * pdfkit would write any other character as a code the font does not have, so each one becomes a
 * single '?' (one per code point, so an emoji or an unpaired surrogate is one '?' too), and control
 * characters, line breaks included, become a space so no field can grow past its box.
 */
export function winAnsiText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += ' ';
    else if (code <= 0xff || win_ansi_extra.has(code)) out += char;
    else out += '?';
  }
  return out;
}

const win_ansi_extra = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'].map((char) => char.codePointAt(0)));

/** `winAnsiText`, cut to `chars_max` characters with an ellipsis when longer. */
function fieldText(text: string, chars_max: number): string {
  const safe = winAnsiText(text);
  return safe.length <= chars_max ? safe : `${safe.slice(0, chars_max - 1)}…`;
}

/** Asserts what the layout relies on; returns the status, known to be one of `invoice_statuses`. */
function checkInvoice(invoice: InvoiceDocument): InvoiceStatus {
  const status = invoice_statuses.find((known) => known === invoice.status);
  assert(status !== undefined, `unknown invoice status ${invoice.status}`);
  assert(
    currency_pattern.test(invoice.currency),
    `invoice currency ${invoice.currency} is not an asset code`,
  );
  assert(invoice.lines.length <= invoice_pdf_lines_max, `invoice has ${invoice.lines.length} lines`);
  assert(invoice.taxes.length <= invoice_pdf_taxes_max, `invoice has ${invoice.taxes.length} taxes`);
  for (const date of [invoice.issued_at, invoice.due_at, invoice.paid_at]) checkDate(date);
  checkPeriod(invoice.period);
  const totals = [invoice.subtotal, invoice.discount, invoice.tax, invoice.total];
  for (const amount of [...totals, invoice.amount_paid, invoice.amount_due]) checkDecimal(amount);
  for (const tax of invoice.taxes) checkDecimal(tax.amount);
  for (const line of invoice.lines) {
    for (const amount of [line.quantity, line.unit_amount, line.amount]) checkDecimal(amount);
    checkPeriod(line.period);
  }
  return status;
}

function checkDecimal(value: string): void {
  assert(
    value.length <= amount_chars_max && decimal_pattern.test(value),
    `invoice amount "${value.slice(0, amount_chars_max)}" is not a decimal string`,
  );
}

function checkDate(date: Date | null): void {
  assert(date === null || Number.isFinite(date.getTime()), 'invoice date is not a valid date');
}

function checkPeriod(period: InvoicePeriod | null): void {
  if (period === null) return;
  checkDate(period.start);
  checkDate(period.end);
  assert(period.start.getTime() <= period.end.getTime(), 'invoice period ends before it starts');
}

type Pdf = InstanceType<typeof PDFDocument>;

/** A4 in points, and the layout's fixed measures. */
const page = {
  width_pt: 595.28,
  height_pt: 841.89,
  margin_pt: 50,
  footer_pt: 30,
} as const;
const content_width_pt = page.width_pt - 2 * page.margin_pt;
const content_bottom_pt = page.height_pt - page.margin_pt - page.footer_pt;
const row_padding_pt = 4;
/**
 * What one row may take, well under a page below the table header: a line with the longest
 * description is about 250 pt, a total with the longest tax name about 50.
 */
const row_height_pt_max = 400;

const ink = { text: '#111827', muted: '#6b7280', rule: '#d1d5db' } as const;
const fonts = { regular: 'Helvetica', bold: 'Helvetica-Bold' } as const;

const stamps: Partial<Record<InvoiceStatus, { readonly text: string; readonly color: string }>> = {
  draft: { text: 'DRAFT', color: '#6b7280' },
  paid: { text: 'PAID', color: '#15803d' },
  void: { text: 'VOID', color: '#b91c1c' },
};

const status_labels: Record<InvoiceStatus, string> = {
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  void: 'Void',
  uncollectible: 'Uncollectible',
};

interface Cell {
  readonly text: string;
  readonly x_pt: number;
  readonly width_pt: number;
  readonly align: 'left' | 'right';
  readonly font: string;
  readonly size_pt: number;
  readonly color: string;
}

function cell(text: string, x_pt: number, width_pt: number, options: Partial<Cell> = {}): Cell {
  return {
    text,
    x_pt,
    width_pt,
    align: 'left',
    font: fonts.regular,
    size_pt: 9,
    color: ink.text,
    ...options,
  };
}

function cellHeight(pdf: Pdf, c: Cell): number {
  pdf.font(c.font).fontSize(c.size_pt);
  return pdf.heightOfString(c.text, { width: c.width_pt, align: c.align });
}

function drawCell(pdf: Pdf, c: Cell, y_pt: number): void {
  pdf.font(c.font).fontSize(c.size_pt).fillColor(c.color);
  pdf.text(c.text, c.x_pt, y_pt, { width: c.width_pt, align: c.align });
}

/** Draws cells stacked from `y_pt` (each column may hold several, one under the other); returns the height. */
function drawStacks(pdf: Pdf, stacks: readonly (readonly Cell[])[], y_pt: number): number {
  let height_pt = 0;
  for (const stack of stacks) {
    let at_pt = y_pt;
    for (const c of stack) {
      drawCell(pdf, c, at_pt);
      at_pt += cellHeight(pdf, c);
    }
    height_pt = Math.max(height_pt, at_pt - y_pt);
  }
  return height_pt;
}

function stacksHeight(pdf: Pdf, stacks: readonly (readonly Cell[])[]): number {
  const heights = stacks.map((stack) => stack.reduce((sum, c) => sum + cellHeight(pdf, c), 0));
  return Math.max(0, ...heights);
}

function rule(pdf: Pdf, y_pt: number, color: string = ink.rule): void {
  pdf
    .moveTo(page.margin_pt, y_pt)
    .lineTo(page.width_pt - page.margin_pt, y_pt)
    .lineWidth(0.5)
    .strokeColor(color)
    .stroke();
}

function drawInvoice(pdf: Pdf, invoice: InvoiceDocument, status: InvoiceStatus): void {
  let y_pt = drawHeader(pdf, invoice);
  y_pt = drawParties(pdf, invoice, status, y_pt + 20);
  y_pt = drawLines(pdf, invoice, y_pt + 24);
  drawTotals(pdf, invoice, y_pt + 12);
  finishPages(pdf, invoice, status);
}

function drawHeader(pdf: Pdf, invoice: InvoiceDocument): number {
  const left = cell(fieldText(invoice.issuer.name, name_chars_max), page.margin_pt, 280, {
    font: fonts.bold,
    size_pt: 16,
  });
  const right_x_pt = page.width_pt - page.margin_pt - 200;
  const title = cell('INVOICE', right_x_pt, 200, { align: 'right', font: fonts.bold, size_pt: 20 });
  const number = cell(fieldText(invoice.number, name_chars_max), right_x_pt, 200, {
    align: 'right',
    size_pt: 10,
    color: ink.muted,
  });
  const height_pt = drawStacks(pdf, [[left], [title, number]], page.margin_pt);
  const bottom_pt = page.margin_pt + height_pt + 10;
  rule(pdf, bottom_pt, ink.text);
  return bottom_pt;
}

function drawParties(pdf: Pdf, invoice: InvoiceDocument, status: InvoiceStatus, y_pt: number): number {
  const bill_x_pt = page.margin_pt;
  const bill_width_pt = 250;
  const label = { font: fonts.bold, size_pt: 8, color: ink.muted };
  const bill_to = [
    cell('BILL TO', bill_x_pt, bill_width_pt, label),
    cell(fieldText(invoice.bill_to.name, name_chars_max), bill_x_pt, bill_width_pt, {
      font: fonts.bold,
      size_pt: 11,
    }),
    ...(invoice.bill_to.email === null
      ? []
      : [cell(fieldText(invoice.bill_to.email, name_chars_max), bill_x_pt, bill_width_pt)]),
    cell(`Holder ${fieldText(invoice.bill_to.holder_id, name_chars_max)}`, bill_x_pt, bill_width_pt, {
      color: ink.muted,
    }),
  ];
  const facts: [string, string][] = [
    ['Invoice number', fieldText(invoice.number, name_chars_max)],
    ['Status', status_labels[status]],
    ['Issued', day(invoice.issued_at)],
    ['Due', day(invoice.due_at)],
    ...(invoice.paid_at === null ? [] : [['Paid', day(invoice.paid_at)] as [string, string]]),
    ['Period', period(invoice.period)],
    ['Currency', invoice.currency],
  ];
  const label_x_pt = page.width_pt - page.margin_pt - 220;
  const value_x_pt = label_x_pt + 90;
  const bill_to_height_pt = drawStacks(pdf, [bill_to], y_pt);
  // Fact by fact, so that a value that wraps keeps the next label beside its own value.
  let facts_y_pt = y_pt;
  for (const [name, value] of facts) {
    const row = [
      [cell(name, label_x_pt, 85, { color: ink.muted })],
      [cell(value, value_x_pt, 130, { align: 'right' })],
    ];
    facts_y_pt += drawStacks(pdf, row, facts_y_pt);
  }
  return Math.max(y_pt + bill_to_height_pt, facts_y_pt);
}

const columns = {
  description: { x_pt: page.margin_pt, width_pt: 235 },
  quantity: { x_pt: page.margin_pt + 240, width_pt: 55 },
  unit_amount: { x_pt: page.margin_pt + 300, width_pt: 90 },
  amount: { x_pt: page.margin_pt + 395, width_pt: content_width_pt - 395 },
} as const;

function tableHeader(currency: string): (readonly Cell[])[] {
  const style = { font: fonts.bold, size_pt: 8, color: ink.muted };
  const right = { ...style, align: 'right' as const };
  const { description, quantity, unit_amount, amount } = columns;
  return [
    [cell('DESCRIPTION', description.x_pt, description.width_pt, style)],
    [cell('QTY', quantity.x_pt, quantity.width_pt, right)],
    [cell(`UNIT PRICE (${currency})`, unit_amount.x_pt, unit_amount.width_pt, right)],
    [cell(`AMOUNT (${currency})`, amount.x_pt, amount.width_pt, right)],
  ];
}

function lineRow(line: InvoiceDocumentLine): (readonly Cell[])[] {
  const { description, quantity, unit_amount, amount } = columns;
  const text = [
    cell(fieldText(line.description, description_chars_max), description.x_pt, description.width_pt),
  ];
  if (line.period !== null) {
    text.push(
      cell(period(line.period), description.x_pt, description.width_pt, { size_pt: 8, color: ink.muted }),
    );
  }
  return [
    text,
    [cell(line.quantity, quantity.x_pt, quantity.width_pt, { align: 'right' })],
    [cell(line.unit_amount, unit_amount.x_pt, unit_amount.width_pt, { align: 'right' })],
    [cell(line.amount, amount.x_pt, amount.width_pt, { align: 'right' })],
  ];
}

/** Draws `row` at `y_pt`, or on a new page when it does not fit; returns where the next row starts. */
function drawRow(
  pdf: Pdf,
  row: readonly (readonly Cell[])[],
  y_pt: number,
  on_new_page: () => number,
): number {
  const height_pt = stacksHeight(pdf, row) + 2 * row_padding_pt;
  assert(height_pt <= row_height_pt_max, `an invoice row is ${height_pt} pt tall`);
  const top_pt = y_pt + height_pt > content_bottom_pt ? on_new_page() : y_pt;
  drawStacks(pdf, row, top_pt + row_padding_pt);
  return top_pt + height_pt;
}

function drawLines(pdf: Pdf, invoice: InvoiceDocument, y_pt: number): number {
  const header = tableHeader(invoice.currency);
  const drawTableHeader = (top_pt: number): number => {
    const bottom_pt = top_pt + drawStacks(pdf, header, top_pt) + row_padding_pt;
    rule(pdf, bottom_pt, ink.text);
    return bottom_pt;
  };
  const continueOnNewPage = (): number => {
    pdf.addPage();
    return drawTableHeader(page.margin_pt);
  };
  let at_pt = drawTableHeader(y_pt);
  if (invoice.lines.length === 0) {
    at_pt = drawRow(
      pdf,
      [[cell('No lines.', page.margin_pt, 200, { color: ink.muted })]],
      at_pt,
      continueOnNewPage,
    );
  }
  for (const line of invoice.lines) {
    at_pt = drawRow(pdf, lineRow(line), at_pt, continueOnNewPage);
    rule(pdf, at_pt);
  }
  return at_pt;
}

function drawTotals(pdf: Pdf, invoice: InvoiceDocument, y_pt: number): void {
  const taxes =
    invoice.taxes.length === 0
      ? [{ label: 'Tax', amount: invoice.tax, strong: false }]
      : invoice.taxes.map((tax) => ({
          label: fieldText(tax.name, tax_name_chars_max),
          amount: tax.amount,
          strong: false,
        }));
  const totals = [
    { label: 'Subtotal', amount: invoice.subtotal, strong: false },
    { label: 'Discount', amount: invoice.discount, strong: false },
    ...taxes,
    { label: 'Total', amount: invoice.total, strong: true },
    { label: 'Amount paid', amount: invoice.amount_paid, strong: false },
    { label: 'Amount due', amount: invoice.amount_due, strong: true },
  ];
  const label_x_pt = page.width_pt - page.margin_pt - 350;
  const value_x_pt = page.width_pt - page.margin_pt - 140;
  const rows = totals.map(({ label, amount, strong }) => {
    const style = { align: 'right', font: strong ? fonts.bold : fonts.regular, size_pt: 10 } as const;
    return [
      [cell(label, label_x_pt, 205, style)],
      [cell(`${amount} ${invoice.currency}`, value_x_pt, 140, style)],
    ];
  });
  // The totals stay together, on the last page of lines or else on a page of their own; only a block
  // taller than a page (dozens of long tax names) flows from page to page.
  const height_pt = rows.reduce((sum, row) => sum + stacksHeight(pdf, row) + 2 * row_padding_pt, 0);
  const newPage = (): number => {
    pdf.addPage();
    return page.margin_pt;
  };
  let at_pt = y_pt;
  if (at_pt + height_pt > content_bottom_pt && height_pt <= content_bottom_pt - page.margin_pt) {
    at_pt = newPage();
  }
  for (const row of rows) at_pt = drawRow(pdf, row, at_pt, newPage);
}

/** With every page laid out: the stamp and the footer on each, then back to the last page. */
function finishPages(pdf: Pdf, invoice: InvoiceDocument, status: InvoiceStatus): void {
  const range = pdf.bufferedPageRange();
  const stamp = stamps[status];
  for (let index = 0; index < range.count; index++) {
    pdf.switchToPage(range.start + index);
    if (stamp !== undefined) drawStamp(pdf, stamp.text, stamp.color);
    drawFooter(pdf, invoice, index + 1, range.count);
  }
}

/** A large, faint word across the middle of the page: it covers no figure a reader needs. */
function drawStamp(pdf: Pdf, text: string, color: string): void {
  const size_pt = 110;
  const center_x_pt = page.width_pt / 2;
  const center_y_pt = page.height_pt / 2;
  pdf.save();
  pdf.font(fonts.bold).fontSize(size_pt);
  const width_pt = pdf.widthOfString(text);
  pdf.rotate(-35, { origin: [center_x_pt, center_y_pt] });
  pdf.fillOpacity(0.12).fillColor(color);
  pdf.text(text, center_x_pt - width_pt / 2, center_y_pt - size_pt / 2, { lineBreak: false });
  pdf.restore();
}

function drawFooter(pdf: Pdf, invoice: InvoiceDocument, number: number, count: number): void {
  const y_pt = page.height_pt - page.margin_pt - 10;
  // Text below the bottom margin makes pdfkit start a new page; the footer lives there on purpose.
  const bottom_margin_pt = pdf.page.margins.bottom;
  pdf.page.margins.bottom = 0;
  pdf.font(fonts.regular).fontSize(8).fillColor(ink.muted);
  const label = `Invoice ${fieldText(invoice.number, footer_number_chars_max)} · Page ${number} of ${count}`;
  pdf.text(label, page.margin_pt, y_pt, { width: content_width_pt, align: 'center', lineBreak: false });
  pdf.page.margins.bottom = bottom_margin_pt;
}

/** A date as YYYY-MM-DD in UTC, the zone every Purse timestamp is written in; '-' when absent. */
function day(date: Date | null): string {
  return date === null ? '-' : date.toISOString().slice(0, 10);
}

function period(value: InvoicePeriod | null): string {
  return value === null ? '-' : `${day(value.start)} – ${day(value.end)}`;
}
