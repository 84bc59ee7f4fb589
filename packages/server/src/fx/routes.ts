import { Parked } from '../challenges/schemas.js';
import { conversion_endpoint } from '../guard/endpoints.js';
import { guardedMutation } from '../guard/route.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail } from '../shared/result.js';
import { getConversion, listConversions } from './conversions.js';
import { parseEcbRates } from './ecb.js';
import { createQuote, getQuote } from './quotes.js';
import { createRate, getRate, importRates, listRates } from './rates.js';
import { fxReport } from './report.js';
import {
  Conversion,
  ConversionListQuery,
  CreateConversionBody,
  CreateFxQuoteBody,
  CreateFxRateBody,
  FxQuote,
  FxRate,
  FxRateImport,
  FxRateListQuery,
  FxReport,
  FxReportQuery,
  ImportFxRatesBody,
} from './schemas.js';

export function fxRoutes(app: Api, deps: RouteDeps): void {
  rateRoutes(app, deps);
  quoteRoutes(app, deps);
  conversionRoutes(app, deps);
}

function rateRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['FX'];
  app.post(
    '/v1/fx_rates',
    {
      config: { scope: 'fx_rates:write' },
      schema: {
        tags,
        summary: 'Set an exchange rate',
        description:
          "An operator's mid rate for a currency pair: units of quote per unit of base. The newest rate of a pair (by as_of) is the one quoted; its inverse and crosses through a common currency are derived. A rate older than PURSE_FX_RATE_MAX_AGE_S is never quoted.",
        body: CreateFxRateBody,
        response: { 201: FxRate, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createRate(db, authOf(request).livemode, request.body, deps.clock.now()),
      ),
  );
  app.post(
    '/v1/fx_rates/import',
    {
      config: { scope: 'fx_rates:write' },
      schema: {
        tags,
        summary: 'Import a published reference-rate file',
        description:
          "Records the rates of the ECB's euro reference-rate XML (daily, 90-day or historical) for the currencies that are assets here. Importing the same file again records nothing new.",
        body: ImportFxRatesBody,
        response: { 201: FxRateImport, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, async (db) => {
        const rates = parseEcbRates(request.body.xml);
        if (!rates.ok) return fail(domainError('invalid_request', rates.error.detail, 'xml'));
        return importRates(db, authOf(request).livemode, rates.value, 'ecb', deps.clock.now());
      }),
  );
  app.get(
    '/v1/fx_rates',
    {
      config: { scope: 'fx_rates:read' },
      schema: {
        tags,
        summary: 'List exchange rates',
        description: 'Newest first; filter by base, quote and source.',
        querystring: FxRateListQuery,
        response: { 200: ListOf(FxRate), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listRates(deps.pool, authOf(request).livemode, request.query)),
  );
  app.get(
    '/v1/fx_rates/:id',
    {
      config: { scope: 'fx_rates:read' },
      schema: {
        tags,
        summary: 'Retrieve an exchange rate',
        description: 'A rate as recorded, with its source and the time it held.',
        params: IdParams,
        response: { 200: FxRate, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getRate(deps.pool, authOf(request).livemode, request.params.id)),
  );
  app.get(
    '/v1/reports/fx',
    {
      config: { scope: 'reports:read' },
      schema: {
        tags: ['Reports'],
        summary: 'FX positions and spread earned',
        description:
          "Per currency, the position conversions left on the platform's FX accounts and the spread earned, from the ledger; per pair, the conversions of a period with their volumes.",
        querystring: FxReportQuery,
        response: { 200: FxReport, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.send(await deps.reads.run((pool) => fxReport(pool, authOf(request).livemode, request.query))),
  );
}

function quoteRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['FX'];
  app.post(
    '/v1/fx_quotes',
    {
      config: { scope: 'fx_quotes:write' },
      schema: {
        tags,
        summary: 'Quote a conversion',
        description:
          "Locks the current rate less the pair's spread for PURSE_FX_QUOTE_TTL_S (30 s by default) for one conversion. Give source_amount (what is paid; the target is rounded down) or target_amount (what is received; the source is rounded up). With holder_id, only that holder's wallets may use it.",
        body: CreateFxQuoteBody,
        response: { 201: FxQuote, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) => {
        const { livemode, key_id, restrictions } = authOf(request);
        // A restricted key quotes for its own holder only; any other holder does not exist for it.
        const holder_id = request.body.holder_id;
        if (restrictions !== null && holder_id !== undefined && holder_id !== restrictions.holder_id)
          return Promise.resolve(fail(notFound('holder', holder_id, 'holder_id')));
        const asker = { livemode, api_key_id: key_id };
        return createQuote(db, asker, deps.config.rails.fx, request.body, deps.clock.now());
      }),
  );
  app.get(
    '/v1/fx_quotes/:id',
    {
      config: { scope: 'fx_quotes:read' },
      schema: {
        tags,
        summary: 'Retrieve a quote',
        description: 'Status open, used (with its conversion) or expired.',
        params: IdParams,
        response: { 200: FxQuote, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getQuote(deps.pool, authOf(request).livemode, request.params.id, deps.clock.now()),
      ),
  );
}

function conversionRoutes(app: Api, deps: RouteDeps): void {
  const tags = ['FX'];
  app.post(
    '/v1/conversions',
    {
      config: { scope: 'conversions:write' },
      schema: {
        tags,
        summary: 'Convert between two wallets of a holder',
        description:
          "One ledger entry through the FX position accounts: the source wallet pays the source amount, the target wallet receives the target amount, the spread goes to the platform. With quote_id the quote's amounts apply (409 quote_expired or quote_already_used otherwise); with source_amount, the current rate. Screened like every movement: restrictions, spend policy and risk rules (202 when parked).",
        body: CreateConversionBody,
        response: { 201: Conversion, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, conversion_endpoint),
  );
  app.get(
    '/v1/conversions',
    {
      config: { scope: 'conversions:read' },
      schema: {
        tags,
        summary: 'List conversions',
        description: 'Newest first; filter by holder or by wallet (as source or target).',
        querystring: ConversionListQuery,
        response: { 200: ListOf(Conversion), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listConversions(deps.pool, authOf(request).livemode, request.query)),
  );
  app.get(
    '/v1/conversions/:id',
    {
      config: { scope: 'conversions:read' },
      schema: {
        tags,
        summary: 'Retrieve a conversion',
        description: 'With the rate, mid rate and spread it was made at, and its ledger entry.',
        params: IdParams,
        response: { 200: Conversion, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getConversion(deps.pool, authOf(request).livemode, request.params.id)),
  );
}
