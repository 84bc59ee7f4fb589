import { payment_update_job, runPaymentUpdateJob } from '../payments/lifecycle.js';
import { payout_update_job, runPayoutUpdateJob } from '../payouts/lifecycle.js';
import { completeRefund, refund_update_job } from '../refunds/service.js';
import type { JobHandler } from './queue.js';

/** Every kind of job and what runs it: the rails' asynchronous steps. */
export const job_handlers: ReadonlyMap<string, JobHandler> = new Map<string, JobHandler>([
  [payment_update_job, (db, job, now) => runPaymentUpdateJob(db, job.payload, now)],
  [payout_update_job, (db, job, now) => runPayoutUpdateJob(db, job.payload, now)],
  [
    refund_update_job,
    async (db, job, now) => {
      const refund = await db.query<{ livemode: boolean }>('SELECT livemode FROM refunds WHERE id = $1', [
        job.payload.refund_id,
      ]);
      const livemode = refund.rows[0]?.livemode;
      if (livemode !== undefined) await completeRefund(db, livemode, String(job.payload.refund_id), now);
    },
  ],
]);
