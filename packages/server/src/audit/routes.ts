import { Type } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { errorResponses, IdParams, ListOf, PageQuerystring, Timestamp } from '../http/schemas.js';
import { notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { fetchPage, pageQuery } from '../shared/pagination.js';
import { fail, ok } from '../shared/result.js';

const AuditLog = Type.Object(
  {
    id: Type.String({ examples: ['aud_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('audit_log'),
    livemode: Type.Boolean(),
    seq: Type.Union([Type.String(), Type.Null()], {
      description:
        'Position in the hash chain: 1, 2, 3... without gaps. Null for the moment between the commit and the sealing of the chain (the worker seals every few hundred milliseconds).',
      examples: ['42'],
    }),
    actor: Type.String({
      description: 'The API key id, or system:worker.',
      examples: ['key_01jd0w3n3w8m5t5vq6fz1y2k3h'],
    }),
    action: Type.String({ examples: ['POST /v1/transfers'] }),
    object_id: Type.Union([Type.String(), Type.Null()]),
    request_id: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    outcome_status: Type.Integer({ examples: [201] }),
    outcome_code: Type.Union([Type.String(), Type.Null()], { examples: [null] }),
    created_at: Timestamp,
    prev_hash: Type.Union([Type.String(), Type.Null()], {
      description: 'Hex SHA-256 of the entry before; null until sealed.',
    }),
    hash: Type.Union([Type.String(), Type.Null()], {
      description: 'Hex SHA-256 over prev_hash and this entry; null until sealed.',
    }),
  },
  { $id: 'AuditLog' },
);

const AuditListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    actor: Type.Optional(Type.String({ maxLength: 64 })),
    object_id: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 200 })),
  }),
]);

interface AuditRow {
  id: string;
  livemode: boolean;
  seq: string | null;
  actor: string;
  action: string;
  object_id: string | null;
  request_id: string | null;
  ip: string | null;
  outcome_status: number;
  outcome_code: string | null;
  created_at: Date;
  prev_hash: Buffer | null;
  hash: Buffer | null;
}

function auditView(row: AuditRow) {
  return {
    ...row,
    object: 'audit_log' as const,
    created_at: row.created_at.toISOString(),
    prev_hash: row.prev_hash?.toString('hex') ?? null,
    hash: row.hash?.toString('hex') ?? null,
  };
}

async function getAuditLog(db: Queryable, livemode: boolean, id: string) {
  const row = await rowById<AuditRow>(db, 'audit_logs', livemode, id);
  return row === undefined ? fail(notFound('audit log', id)) : ok(auditView(row));
}

export function auditRoutes(app: Api, deps: RouteDeps): void {
  const tags = ['Audit'];
  app.get(
    '/v1/audit_logs',
    {
      config: { scope: 'audit_logs:read' },
      schema: {
        tags,
        summary: 'List audit entries',
        description:
          "Every mutating request and operator action of the key's mode, newest first; filter by actor, object or action. Check the chain with `purse verify`.",
        querystring: AuditListQuery,
        response: { 200: ListOf(AuditLog), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { where, params } = new Filters(authOf(request).livemode)
        .equals('actor', request.query.actor)
        .equals('object_id', request.query.object_id)
        .equals('action', request.query.action);
      const page = await deps.reads.run((pool) =>
        fetchPage(
          pool,
          { table: 'audit_logs', where, params, id_prefix: 'aud', map: auditView },
          pageQuery(request.query),
        ),
      );
      return sendResult(request, reply, page);
    },
  );

  app.get(
    '/v1/audit_logs/:id',
    {
      config: { scope: 'audit_logs:read' },
      schema: {
        tags,
        summary: 'Retrieve an audit entry',
        description: 'With its place in the hash chain.',
        params: IdParams,
        response: { 200: AuditLog, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getAuditLog(deps.pool, authOf(request).livemode, request.params.id)),
  );
}
