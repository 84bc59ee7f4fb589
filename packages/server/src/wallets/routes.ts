import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf, PageQuerystring } from '../http/schemas.js';
import { pageQuery } from '../shared/pagination.js';
import { balanceAt, statementCsv, walletPostings } from './history.js';
import {
  BalanceAt,
  BalanceQuery,
  CreateWalletBody,
  Posting,
  StatementQuery,
  Wallet,
  WalletListQuery,
} from './schemas.js';
import { changeWalletStatus, createWallet, getWallet, listWallets, type StatusChange } from './service.js';

const statement_rows_max = 100_000;

export function walletRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Wallets'];

  app.post(
    '/v1/wallets',
    {
      config: { scope: 'wallets:write' },
      schema: {
        tags,
        summary: 'Create a wallet',
        description:
          'A ledger account in one currency, owned by a holder, or by the platform when holder_id is omitted.',
        body: CreateWalletBody,
        response: { 201: Wallet, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createWallet(db, authOf(request).livemode, request.body, deps.config.limits, deps.clock.now()),
      ),
  );

  app.get(
    '/v1/wallets',
    {
      config: { scope: 'wallets:read' },
      schema: {
        tags,
        summary: 'List wallets',
        description:
          'Newest first; filter by holder_id, currency or status. A restricted key lists only its own wallets.',
        querystring: WalletListQuery,
        response: { 200: ListOf(Wallet), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await listWallets(deps.pool, authOf(request).livemode, request.query, authOf(request).restrictions),
      ),
  );

  app.get(
    '/v1/wallets/:id',
    {
      config: { scope: 'wallets:read' },
      schema: {
        tags,
        summary: 'Retrieve a wallet',
        description: 'The wallet with its balance: available, held, pending and total, as decimal strings.',
        params: IdParams,
        response: { 200: Wallet, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getWallet(deps.pool, authOf(request).livemode, request.params.id)),
  );

  for (const change of ['freeze', 'unfreeze', 'close'] as const satisfies readonly StatusChange[]) {
    app.post(
      `/v1/wallets/:id/${change}`,
      {
        config: { scope: 'wallets:write' },
        schema: {
          tags,
          summary: `${change[0]?.toUpperCase()}${change.slice(1)} a wallet`,
          description: {
            freeze: 'A frozen wallet neither sends nor receives; its holds can still be voided.',
            unfreeze: 'Lets a frozen wallet send and receive again.',
            close: 'Closes a wallet for good; every balance must be zero.',
          }[change],
          params: IdParams,
          response: { 200: Wallet, ...errorResponses },
        },
      },
      (request, reply) =>
        runMutation(mutation, request, reply, 200, (db) =>
          changeWalletStatus(db, authOf(request).livemode, request.params.id, change, deps.clock.now()),
        ),
    );
  }

  app.get(
    '/v1/wallets/:id/transactions',
    {
      config: { scope: 'wallets:read' },
      schema: {
        tags,
        summary: "List a wallet's postings",
        description:
          "Every posting on the wallet, newest first, each with the balances right after it. A transfer with a fee or a split is one debit of the payer, for its whole amount. `starting_after` and `ending_before` take this wallet's posting ids only.",
        params: IdParams,
        querystring: PageQuerystring,
        response: { 200: ListOf(Posting), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await walletPostings(
          deps.pool,
          authOf(request).livemode,
          request.params.id,
          pageQuery(request.query),
        ),
      ),
  );

  app.get(
    '/v1/wallets/:id/balance',
    {
      config: { scope: 'wallets:read' },
      schema: {
        tags,
        summary: "A wallet's balance at a point in time",
        description:
          'The balances after the last posting such that it and every earlier posting of the wallet are dated at or before `at` (default: now). A posting is dated when its transaction started, so a transaction that started earlier but committed later counts from the latest date before it (docs/ledger.md).',
        params: IdParams,
        querystring: BalanceQuery,
        response: { 200: BalanceAt, ...errorResponses },
      },
    },
    async (request, reply) => {
      const at = request.query.at === undefined ? undefined : new Date(request.query.at);
      return sendResult(
        request,
        reply,
        await balanceAt(deps.pool, authOf(request).livemode, request.params.id, at, deps.clock.now()),
      );
    },
  );

  app.get(
    '/v1/wallets/:id/statement',
    {
      config: { scope: 'wallets:read' },
      schema: {
        tags,
        summary: 'Export a statement (CSV)',
        description: `The postings in [from, to) as CSV, oldest first, with balances after each; up to ${statement_rows_max} rows.`,
        params: IdParams,
        querystring: StatementQuery,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const range = { from: new Date(request.query.from), to: new Date(request.query.to) };
      const csv = await deps.reads.run((pool) =>
        statementCsv(pool, authOf(request).livemode, request.params.id, range, statement_rows_max),
      );
      if (!csv.ok) return sendResult(request, reply, csv);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}-statement.csv"`)
        .send(csv.value);
    },
  );
}
