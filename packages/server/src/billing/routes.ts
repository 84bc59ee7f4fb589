import { Type } from '@sinclair/typebox';
import { finishAdvance } from '../clocks/advance.js';
import { type Api, type RouteDeps, railContext, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses, IdParams, ListOf, PageQuerystring } from '../http/schemas.js';
import { pageQuery } from '../shared/pagination.js';
import { ok } from '../shared/result.js';
import { closeInvoice, createInvoice, finalizeInvoice, payInvoice } from './invoice-actions.js';
import { invoicePdf } from './invoice-document.js';
import {
  AdvanceTestClockBody,
  CreateInvoiceBody,
  CreateTestClockBody,
  Invoice,
  InvoiceListQuery,
  PayInvoiceBody,
  TestClock,
} from './invoice-schemas.js';
import {
  getInvoiceView,
  getSubscription,
  getTestClock,
  listInvoices,
  listSubscriptions,
  listTestClocks,
} from './reads.js';
import {
  cancelSubscription,
  pauseSubscription,
  resumeSubscription,
  updateSubscription,
} from './subscription-changes.js';
import {
  CancelSubscriptionBody,
  CreateSubscriptionBody,
  CreateUsageRecordBody,
  Subscription,
  SubscriptionListQuery,
  UpdateSubscriptionBody,
  UsageRecord,
} from './subscription-schemas.js';
import { createSubscription } from './subscriptions.js';
import { createTestClock, startAdvance } from './test-clocks.js';
import { recordUsage, usageIdentifierTaken } from './usage.js';

export function billingRoutes(app: Api, deps: RouteDeps): void {
  subscriptionRoutes(app, deps);
  invoiceRoutes(app, deps);
  testClockRoutes(app, deps);
}

function subscriptionRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Subscriptions'];
  const responses = { 200: Subscription, ...errorResponses };
  const write = { config: { scope: 'subscriptions:write' as const } };
  const read = { config: { scope: 'subscriptions:read' as const } };

  app.post(
    '/v1/subscriptions',
    {
      ...write,
      schema: {
        tags,
        summary: 'Create a subscription',
        description:
          "Subscribes a holder to prices. The first invoice is written and collected in this request: from the holder's wallet in one ledger entry (active at once, or incomplete with the invoice open if the wallet cannot pay), or from a source through its rail; during a trial, nothing is charged.",
        body: CreateSubscriptionBody,
        response: { 201: Subscription, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createSubscription(railContext(deps, request, db), request.body),
      ),
  );

  app.get(
    '/v1/subscriptions',
    {
      ...read,
      schema: {
        tags,
        summary: 'List subscriptions',
        description: 'Newest first; filter by holder, status or test clock.',
        querystring: SubscriptionListQuery,
        response: { 200: ListOf(Subscription), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { holder_id, status, test_clock_id } = request.query;
      return sendResult(
        request,
        reply,
        await listSubscriptions(deps.pool, authOf(request).livemode, pageQuery(request.query), {
          holder_id,
          status,
          test_clock_id,
        }),
      );
    },
  );

  app.get(
    '/v1/subscriptions/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Retrieve a subscription',
        description: 'With its items, period and status.',
        params: IdParams,
        response: responses,
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getSubscription(deps.pool, authOf(request).livemode, request.params.id),
      ),
  );

  app.post(
    '/v1/subscriptions/:id',
    {
      ...write,
      schema: {
        tags,
        summary: 'Update a subscription',
        description:
          'Changes items and quantities (prorated to the second: waiting for the next invoice, invoiced now with always_invoice, or not at all with none), the coupon, tax rates, cancel_at_period_end or metadata. 409 subscription_canceled once canceled.',
        params: IdParams,
        body: UpdateSubscriptionBody,
        response: responses,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        updateSubscription(railContext(deps, request, db), request.params.id, request.body),
      ),
  );

  app.post(
    '/v1/subscriptions/:id/cancel',
    {
      ...write,
      schema: {
        tags,
        summary: 'Cancel a subscription',
        description:
          'Ends it now. With prorate, the unused time is credited back to the wallet on a final invoice, which also bills usage not yet billed.',
        params: IdParams,
        body: Type.Optional(CancelSubscriptionBody),
        response: responses,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        cancelSubscription(railContext(deps, request, db), request.params.id, request.body ?? {}),
      ),
  );

  for (const [action, run, description] of [
    ['pause', pauseSubscription, 'Stops renewals until resumed; nothing is billed meanwhile.'],
    [
      'resume',
      resumeSubscription,
      'Goes on within the paid period; after it, a new period starts now and is invoiced at once.',
    ],
  ] as const) {
    app.post(
      `/v1/subscriptions/:id/${action}`,
      {
        ...write,
        schema: {
          tags,
          summary: `${action === 'pause' ? 'Pause' : 'Resume'} a subscription`,
          description,
          params: IdParams,
          response: responses,
        },
      },
      (request, reply) =>
        runMutation(mutation, request, reply, 200, (db) =>
          run(railContext(deps, request, db), request.params.id),
        ),
    );
  }

  app.post(
    '/v1/usage_records',
    {
      config: { scope: 'usage_records:write' as const },
      schema: {
        tags,
        summary: 'Record usage',
        description:
          "Usage of a metered item, billed at its period's end; a record for a period already billed is billed on the next invoice. The same identifier twice records once (200 with the first record).",
        body: CreateUsageRecordBody,
        response: { 200: UsageRecord, 201: UsageRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { livemode } = authOf(request);
      // runMutation answers the status it is given (a reply.status() set inside is overwritten), so
      // a repeated identifier is looked up first. A repeat racing the first request still records
      // once, but may be answered 201.
      const repeat = await usageIdentifierTaken(deps.pool, livemode, request.body.identifier);
      return runMutation(mutation, request, reply, repeat ? 200 : 201, async (db) => {
        const recorded = await recordUsage(db, livemode, request.body, deps.clock.now());
        return recorded.ok ? ok(recorded.value.record) : recorded;
      });
    },
  );
}

function invoiceRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Invoices'];
  const responses = { 200: Invoice, ...errorResponses };
  const write = { config: { scope: 'invoices:write' as const } };
  const read = { config: { scope: 'invoices:read' as const } };

  app.post(
    '/v1/invoices',
    {
      ...write,
      schema: {
        tags,
        summary: 'Create a one-off invoice',
        description:
          'A draft with lines (amounts or prices), a coupon, tax rates and net terms; finalize it to owe it.',
        body: CreateInvoiceBody,
        response: { 201: Invoice, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createInvoice(railContext(deps, request, db), request.body),
      ),
  );

  app.get(
    '/v1/invoices',
    {
      ...read,
      schema: {
        tags,
        summary: 'List invoices',
        description: 'Newest first; filter by subscription, holder or status.',
        querystring: InvoiceListQuery,
        response: { 200: ListOf(Invoice), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { subscription_id, holder_id, status } = request.query;
      return sendResult(
        request,
        reply,
        await listInvoices(deps.pool, authOf(request).livemode, pageQuery(request.query), {
          subscription_id,
          holder_id,
          status,
        }),
      );
    },
  );

  app.get(
    '/v1/invoices/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Retrieve an invoice',
        description: 'With its lines, totals and payment state.',
        params: IdParams,
        response: responses,
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getInvoiceView(deps.pool, authOf(request).livemode, request.params.id),
      ),
  );

  app.get(
    '/v1/invoices/:id/pdf',
    {
      ...read,
      schema: {
        tags,
        summary: 'Download an invoice as PDF',
        produces: ['application/pdf'],
        description: 'The invoice rendered as an A4 PDF document (application/pdf).',
        params: IdParams,
        response: { 200: Type.String({ description: 'The PDF file.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const pdf = await invoicePdf(deps.pool, authOf(request).livemode, request.params.id);
      if (!pdf.ok) return sendProblem(request, reply, pdf.error);
      return reply
        .type('application/pdf')
        .header('Content-Disposition', `inline; filename="${pdf.value.filename}"`)
        .send(pdf.value.body);
    },
  );

  app.post(
    '/v1/invoices/:id/finalize',
    {
      ...write,
      schema: {
        tags,
        summary: 'Finalize an invoice',
        description: 'Gives a draft its number and due date; one charged automatically is collected now.',
        params: IdParams,
        response: responses,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        finalizeInvoice(railContext(deps, request, db), request.params.id),
      ),
  );

  app.post(
    '/v1/invoices/:id/pay',
    {
      ...write,
      schema: {
        tags,
        summary: 'Pay an invoice',
        description:
          'Collects it now from its wallet (or the wallet or source given). A failed collection answers the invoice, still open, with last_failure_code. 409 invoice_not_payable when paid or void.',
        params: IdParams,
        body: Type.Optional(PayInvoiceBody),
        response: responses,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        payInvoice(railContext(deps, request, db), request.params.id, request.body ?? {}),
      ),
  );

  for (const [action, description] of [
    ['void', 'It will never be paid: for a mistake. 409 when paid.'],
    ['mark_uncollectible', 'Given up on; it can still be paid later.'],
  ] as const) {
    app.post(
      `/v1/invoices/:id/${action}`,
      {
        ...write,
        schema: {
          tags,
          summary: action === 'void' ? 'Void an invoice' : 'Mark an invoice uncollectible',
          description,
          params: IdParams,
          response: responses,
        },
      },
      (request, reply) =>
        runMutation(mutation, request, reply, 200, (db) =>
          closeInvoice(railContext(deps, request, db), request.params.id, action),
        ),
    );
  }
}

function testClockRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Test clocks'];
  const responses = { 200: TestClock, ...errorResponses };
  const write = { config: { scope: 'test_clocks:write' as const } };
  const read = { config: { scope: 'test_clocks:read' as const } };
  const running = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...running]);
  });

  app.post(
    '/v1/test_clocks',
    {
      ...write,
      schema: {
        tags,
        summary: 'Create a test clock',
        description: 'Simulated time for test-mode holders created with test_clock.',
        body: CreateTestClockBody,
        response: { 201: TestClock, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createTestClock(db, authOf(request).livemode, request.body, deps.clock.now()),
      ),
  );

  app.get(
    '/v1/test_clocks',
    {
      ...read,
      schema: {
        tags,
        summary: 'List test clocks',
        description: 'Newest first.',
        querystring: PageQuerystring,
        response: { 200: ListOf(TestClock), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await listTestClocks(deps.pool, authOf(request).livemode, pageQuery(request.query)),
      ),
  );

  app.get(
    '/v1/test_clocks/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Retrieve a test clock',
        description: 'status is advancing until everything due by frozen_time ran, then ready.',
        params: IdParams,
        response: responses,
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getTestClock(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/test_clocks/:id/advance',
    {
      ...write,
      schema: {
        tags,
        summary: 'Advance a test clock',
        description:
          'Moves the clock forward to frozen_time and runs, in time order, everything of its holders that falls due: renewals, trial ends, dunning retries. Answers at once with status advancing; the clock turns ready (event test_clock.ready) when done.',
        params: IdParams,
        body: AdvanceTestClockBody,
        response: responses,
      },
    },
    async (request, reply) => {
      const sent = await runMutation(mutation, request, reply, 200, (db) =>
        startAdvance(
          db,
          authOf(request).livemode,
          request.params.id,
          request.body.frozen_time,
          deps.clock.now(),
        ),
      );
      if (reply.statusCode === 200 && reply.getHeader('idempotent-replayed') === undefined) {
        const billing = { pool: deps.pool, limits: deps.config.limits, rails: deps.config.rails };
        const advance = finishAdvance(billing, request.params.id, deps.clock.now()).catch((error: unknown) =>
          request.log.error({ err: error, test_clock_id: request.params.id }, 'test clock advance failed'),
        );
        running.add(advance);
        void advance.finally(() => running.delete(advance));
      }
      return sent;
    },
  );
}
