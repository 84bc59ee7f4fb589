import { walletTime } from '../clocks/scope.js';
import type { Client } from '../db/pool.js';
import { recordRowEvents } from '../events/index.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { EntryIntent, Movement } from '../ledger/entries.js';
import { type EntryOutcome, writeEntries } from '../ledger/write.js';
import { clearingAccount } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { minorFromDb } from '../shared/money.js';
import { type PaymentRow, paymentParts, paymentView } from './view.js';

const day_ms = 86_400_000;

/**
 * Credits a succeeded payment: from the rail's clearing account to the fee account and every leg,
 * in one ledger entry. A wallet with a settlement delay gets it as pending (incoming), to be
 * settled when due; otherwise it is available at once. Returns the settlement times to store.
 */
export async function creditPayment(
  db: Client,
  row: PaymentRow,
  now: Date,
): Promise<{ outcome: EntryOutcome; settles_at: Date | null; settled_at: Date | null }> {
  const delay = await db.query<{ settlement_delay_days: number }>(
    'SELECT settlement_delay_days FROM accounts WHERE id = $1',
    [row.wallet_id],
  );
  const delay_days = delay.rows[0]?.settlement_delay_days ?? 0;
  const layer = delay_days > 0 ? 'pending' : 'posted';
  const clearing = systemAccountId(row.livemode, row.asset, clearingAccount(row.rail));
  const movements: Movement[] = paymentParts(row)
    .filter((part) => part.amount_minor > 0n)
    .map((part) => ({ from: clearing, to: part.account_id, amount_minor: part.amount_minor, layer }));
  const [outcome] = await writeEntries(
    db,
    [{ livemode: row.livemode, reason: 'payment.succeeded', reference_id: row.id, movements }],
    now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (layer !== 'pending') return { outcome, settles_at: null, settled_at: now };
  // A wallet whose holder lives in a test clock settles in the clock's time.
  const from = await walletTime(db, row.livemode, row.wallet_id, now);
  return { outcome, settles_at: new Date(from.getTime() + delay_days * day_ms), settled_at: null };
}

/**
 * Makes pending payment funds available: for each payment, what each part still holds (its amount
 * less what refunds took back) moves from pending to posted, in one batch of ledger entries. A
 * payment whose entry is refused (a frozen wallet) stays pending and is tried again next round.
 */
export async function settlePayments(db: Client, rows: readonly PaymentRow[], now: Date): Promise<string[]> {
  const entries: EntryIntent[] = [];
  for (const row of rows) {
    const clearing = systemAccountId(row.livemode, row.asset, clearingAccount(row.rail));
    const movements: Movement[] = [];
    for (const [index, part] of paymentParts(row).entries()) {
      const remaining = part.amount_minor - minorFromDb(row.refunded_parts[index] ?? '0');
      if (remaining <= 0n) continue;
      movements.push({ from: clearing, to: part.account_id, amount_minor: remaining, layer: 'release' });
      movements.push({ from: clearing, to: part.account_id, amount_minor: remaining, layer: 'posted' });
    }
    entries.push({ livemode: row.livemode, reason: 'payment.settled', reference_id: row.id, movements });
  }
  const settled = rows
    .filter((_, index) => (entries[index]?.movements.length ?? 0) === 0)
    .map((row) => row.id);
  const writable = entries.filter((entry) => entry.movements.length > 0);
  const outcomes = await writeEntries(db, writable, now);
  outcomes.forEach((outcome, index) => {
    if (outcome.ok) settled.push(writable[index]?.reference_id ?? '');
  });
  const updated = await db.query<PaymentRow>(
    'UPDATE payments SET settled_at = $2, updated_at = $2 WHERE id = ANY($1::text[]) RETURNING *',
    [settled, now],
  );
  await recordRowEvents(db, updated.rows, paymentView, () => 'payment.settled', now);
  return settled;
}
