/**
 * The journal entry of posting `p`, as a LATERAL item `e` (reason, reference_id) for a FROM list:
 * a row of `ledger_transactions`, or the transfer that is its own entry (migration 0045), found
 * in mode `livemode_sql` (the transfers' key is (livemode, id)). At most two index probes per
 * posting read, whatever the statistics say: the LIMIT keeps the planner from flattening the
 * subquery into a join, which it may hash over every entry (200 ms for a page of a wallet's
 * postings at 100,000 transfers, against 0.5 ms).
 */
export function entryOfPosting(livemode_sql: string): string {
  return `LATERAL (SELECT j.reason, j.reference_id FROM journal_entries j
    WHERE j.livemode = ${livemode_sql} AND j.id = p.transaction_id LIMIT 1) e`;
}
