import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/pool.js';
import { type Api, type RouteDeps, sendResult, writeContext } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { pageQuery } from '../shared/pagination.js';
import type { Result } from '../shared/result.js';
import { createPrice, createProduct, updatePrice, updateProduct } from './catalog.js';
import {
  ArchiveBody,
  CatalogListQuery,
  Coupon,
  CreateCouponBody,
  CreatePriceBody,
  CreateProductBody,
  CreateTaxRateBody,
  Price,
  PriceListQuery,
  Product,
  TaxRate,
  UpdatePriceBody,
  UpdateProductBody,
} from './catalog-schemas.js';
import { createCoupon, createTaxRate, updateCouponOrTaxRate } from './discounts.js';
import {
  getCoupon,
  getPrice,
  getProduct,
  getTaxRate,
  listCoupons,
  listPrices,
  listProducts,
  listTaxRates,
} from './reads.js';

type Query = { limit: number; starting_after?: string; ending_before?: string; active?: boolean } & Record<
  string,
  unknown
>;

/** What one catalogue resource declares: its name, schemas, and services. */
interface Resource {
  readonly path: string;
  readonly noun: string;
  readonly schema: TSchema;
  readonly create: {
    body: TSchema;
    description: string;
    run: (ctx: ReturnType<typeof writeContext>, body: never) => Promise<Result<unknown>>;
  };
  readonly update: {
    body: TSchema;
    description: string;
    run: (ctx: ReturnType<typeof writeContext>, id: string, body: never) => Promise<Result<unknown>>;
  };
  readonly get: (db: Queryable, livemode: boolean, id: string) => Promise<Result<unknown>>;
  readonly list: {
    query: TSchema;
    run: (db: Queryable, livemode: boolean, query: Query) => Promise<Result<unknown>>;
  };
}

const filtersOf = (query: Query, names: readonly string[]) =>
  Object.fromEntries(
    names.map((name) => [name === 'currency' ? 'asset' : name, query[name] as string | boolean | undefined]),
  );

const resources: readonly Resource[] = [
  {
    path: '/v1/products',
    noun: 'product',
    schema: Product,
    create: {
      body: CreateProductBody,
      description: 'Something you sell; its prices say what it costs.',
      run: createProduct,
    },
    update: {
      body: UpdateProductBody,
      description: 'Renames or archives it (active: false); archived products take no new subscriptions.',
      run: updateProduct,
    },
    get: getProduct,
    list: {
      query: CatalogListQuery,
      run: (db, livemode, q) => listProducts(db, livemode, pageQuery(q), filtersOf(q, ['active'])),
    },
  },
  {
    path: '/v1/prices',
    noun: 'price',
    schema: Price,
    create: {
      body: CreatePriceBody,
      description:
        'A fixed amount per unit or a tier ladder (graduated or volume), one-time or per interval, licensed or metered. Its amounts never change afterwards.',
      run: createPrice,
    },
    update: {
      body: UpdatePriceBody,
      description: 'Changes its nickname or metadata, or archives it.',
      run: updatePrice,
    },
    get: getPrice,
    list: {
      query: PriceListQuery,
      run: (db, livemode, q) =>
        listPrices(db, livemode, pageQuery(q), filtersOf(q, ['active', 'product_id', 'currency'])),
    },
  },
  {
    path: '/v1/coupons',
    noun: 'coupon',
    schema: Coupon,
    create: {
      body: CreateCouponBody,
      description: 'A percent or an amount off, for one invoice, some months of them, or forever.',
      run: createCoupon,
    },
    update: {
      body: ArchiveBody,
      description: 'Renames or archives it; what it takes off never changes.',
      run: (ctx, id, body) => updateCouponOrTaxRate(ctx, 'coupons', id, body),
    },
    get: getCoupon,
    list: {
      query: CatalogListQuery,
      run: (db, livemode, q) => listCoupons(db, livemode, pageQuery(q), filtersOf(q, ['active'])),
    },
  },
  {
    path: '/v1/tax_rates',
    noun: 'tax rate',
    schema: TaxRate,
    create: {
      body: CreateTaxRateBody,
      description: 'A percentage added on top of each line (exclusive) or contained in it (inclusive).',
      run: createTaxRate,
    },
    update: {
      body: ArchiveBody,
      description: 'Renames (name sets display_name) or archives it; its percentage never changes.',
      run: (ctx, id, body) => updateCouponOrTaxRate(ctx, 'tax_rates', id, body),
    },
    get: getTaxRate,
    list: {
      query: CatalogListQuery,
      run: (db, livemode, q) => listTaxRates(db, livemode, pageQuery(q), filtersOf(q, ['active'])),
    },
  },
];

/** Products, prices, coupons and tax rates: what subscriptions and invoices bill. */
export function catalogRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Billing catalogue'];
  for (const resource of resources) {
    const responses = { 200: resource.schema, ...errorResponses };
    const read = { config: { scope: 'products:read' as const } };
    const write = { config: { scope: 'products:write' as const } };
    app.post(
      resource.path,
      {
        ...write,
        schema: {
          tags,
          summary: `Create a ${resource.noun}`,
          description: resource.create.description,
          body: resource.create.body,
          response: { 201: resource.schema, ...errorResponses },
        },
      },
      (request: FastifyRequest, reply: FastifyReply) =>
        runMutation(mutation, request, reply, 201, (db) =>
          resource.create.run(writeContext(deps, request, db), request.body as never),
        ),
    );
    app.get(
      resource.path,
      {
        ...read,
        schema: {
          tags,
          summary: `List ${resource.noun === 'tax rate' ? 'tax rates' : `${resource.noun}s`}`,
          description: 'Newest first.',
          querystring: resource.list.query,
          response: { 200: ListOf(resource.schema), ...errorResponses },
        },
      },
      async (request: FastifyRequest, reply: FastifyReply) =>
        sendResult(
          request,
          reply,
          await resource.list.run(deps.pool, authOf(request).livemode, request.query as Query),
        ),
    );
    app.get(
      `${resource.path}/:id`,
      {
        ...read,
        schema: {
          tags,
          summary: `Retrieve a ${resource.noun}`,
          description: `The ${resource.noun}, or 404.`,
          params: IdParams,
          response: responses,
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) =>
        sendResult(
          request,
          reply,
          await resource.get(deps.pool, authOf(request).livemode, request.params.id),
        ),
    );
    app.post(
      `${resource.path}/:id`,
      {
        ...write,
        schema: {
          tags,
          summary: `Update a ${resource.noun}`,
          description: resource.update.description,
          params: IdParams,
          body: resource.update.body,
          response: responses,
        },
      },
      (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) =>
        runMutation(mutation, request, reply, 200, (db) =>
          resource.update.run(writeContext(deps, request, db), request.params.id, request.body as never),
        ),
    );
  }
}
