import { idPrefixes } from '../shared/ids.js';

const bigint_max = 9_223_372_036_854_775_807n;

/**
 * A posting's API id: `pst_`, its account's id without the account's own prefix, `_`, and its
 * number on the account, as `pst_01jd0w3n3w8m5t5vq6fz1y2k3h_42`. The pair is the postings' primary
 * key (migration 0040), so the id is stored nowhere: unique because account ids are, and ordered
 * within an account as its postings are.
 */
export function postingId(account_id: string, account_seq: bigint | string): string {
  return `${idPrefixes.posting}_${account_id.slice(account_id.indexOf('_') + 1)}_${account_seq}`;
}

/** The number of the posting of `account_id` that `id` names; undefined if it names none of its. */
export function postingSeqOf(id: string, account_id: string): bigint | undefined {
  const number = /_([1-9][0-9]{0,18})$/.exec(id)?.[1];
  if (number === undefined || postingId(account_id, number) !== id) return undefined;
  const seq = BigInt(number);
  return seq <= bigint_max ? seq : undefined;
}
