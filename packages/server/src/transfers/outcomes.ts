import { problemBody } from '../http/problem.js';
import { type JobOutcome, problemOutcome } from '../requests/outcome.js';
import { catalogue } from '../shared/errors.js';
import type { Result } from '../shared/result.js';
import type { TransferView } from './view.js';

/** POST /v1/transfers: the transfer (201) or why it was refused. */
export function singleOutcome(result: Result<TransferView>, request_id: string): JobOutcome {
  return result.ok
    ? { status: 201, body: JSON.stringify(result.value), replayed: false, value: result.value }
    : problemOutcome(result.error, request_id);
}

/**
 * POST /v1/transfers/batch: a result per item (200). For an atomic batch with a refused item the
 * answer is that item's problem, with `param` prefixed by its index, and `rolled_back` tells the
 * engine to undo the batch's effect.
 */
export function batchOutcome(
  results: readonly Result<TransferView>[],
  atomic: boolean,
  request_id: string,
): JobOutcome & { readonly rolled_back: boolean } {
  const first_failure = results.findIndex((result) => !result.ok);
  const failed = results[first_failure];
  if (atomic && failed !== undefined && !failed.ok) {
    const param = `transfers.${first_failure}${failed.error.param === undefined ? '' : `.${failed.error.param}`}`;
    const error = {
      ...failed.error,
      detail: `Item ${first_failure}: ${failed.error.detail} Nothing was created.`,
      param,
    };
    return { ...problemOutcome(error, request_id), rolled_back: true };
  }
  const items = results.map((result, index) =>
    result.ok
      ? { index, status: 201, transfer: result.value }
      : { index, status: catalogue[result.error.code].status, error: problemBody(result.error, request_id) },
  );
  const succeeded = items.filter((item) => item.status === 201).length;
  const body = {
    object: 'transfer_batch',
    atomic,
    succeeded,
    failed: items.length - succeeded,
    results: items,
  };
  return { status: 200, body: JSON.stringify(body), replayed: false, value: body, rolled_back: false };
}
