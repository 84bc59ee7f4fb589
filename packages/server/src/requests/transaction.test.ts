import { describe, expect, it } from 'vitest';
import { inUse } from './idempotency-store.js';
import { AbortedRequest, transientProblem } from './transaction.js';

/** An error as node-postgres raises it: the SQLSTATE in `code`. */
function databaseError(code: string): Error {
  return Object.assign(new Error(`database error ${code}`), { code });
}

describe('transientProblem', () => {
  it('answers a lock timeout, a deadlock and a serialization failure with 409 lock_timeout', () => {
    for (const code of ['55P03', '40P01', '40001']) {
      expect(transientProblem(databaseError(code)), code).toMatchObject({ code: 'lock_timeout' });
    }
  });

  it('answers an aborted request with its own problem (a key in use)', () => {
    expect(transientProblem(new AbortedRequest(inUse()))).toMatchObject({ code: 'idempotency_key_in_use' });
  });

  it('leaves anything else to the 500 handler: other database errors, bugs, non-errors', () => {
    for (const error of [databaseError('23505'), new TypeError('bug'), null, 'text', { code: 7 }]) {
      expect(transientProblem(error)).toBeUndefined();
    }
  });
});
