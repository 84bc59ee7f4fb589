import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Limits } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { prepared } from '../db/prepared.js';
import { rowById } from '../db/rows.js';
import { skippedForBench } from '../shared/bench-skips.js';
import { domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, type Metadata, mergeMetadata } from '../shared/metadata.js';
import { formatAmount, parseAmount } from '../shared/money.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateRiskRuleBody, RiskRuleListQuery, UpdateRiskRuleBody } from './schemas.js';

export type RuleType = 'amount_above' | 'velocity' | 'new_wallet' | 'kyc_tier';
export type RuleAction = 'block' | 'review' | 'challenge' | 'flag';

/** A rule's parameters as stored: amounts in minor units (text), the rest as given. */
export interface RuleParams {
  amount?: string;
  subject?: 'wallet' | 'holder' | 'api_key';
  window_s?: number;
  count_max?: number;
  amount_max?: string;
  wallet_age_s?: number;
  kyc_tier?: number;
  balance_max?: string;
  daily_outflow_max?: string;
  monthly_outflow_max?: string;
  daily_inflow_max?: string;
  monthly_inflow_max?: string;
}

export interface RiskRuleRow {
  id: string;
  livemode: boolean;
  name: string;
  type: RuleType;
  action: RuleAction;
  asset: string;
  params: RuleParams;
  enabled: boolean;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

/** A tier's caps on what its holders send and receive per UTC day and month: the movement log's sums. */
const flow_caps = [
  'daily_outflow_max',
  'monthly_outflow_max',
  'daily_inflow_max',
  'monthly_inflow_max',
] as const;
/** A tier's caps: what its holders may hold, and send and receive per UTC day and month. */
export const tier_caps = ['balance_max', ...flow_caps] as const;
/**
 * Whether a rule counts the movement log: velocity, a new wallet's outflow, a tier's daily and
 * monthly flows. While no enabled rule of a mode does, nothing reads the log, so nothing is written
 * to it (guard/screen.ts): an amount threshold costs a transfer no log row and two index entries.
 */
export function countsMovements(rule: RiskRuleRow): boolean {
  if (rule.type === 'kyc_tier') return flow_caps.some((cap) => rule.params[cap] !== undefined);
  return rule.type !== 'amount_above';
}

const amount_params = ['amount', 'amount_max', ...tier_caps] as const;
const required: Record<RuleType, readonly (keyof RuleParams)[]> = {
  amount_above: ['amount'],
  velocity: ['subject', 'window_s'],
  new_wallet: ['wallet_age_s', 'amount_max'],
  kyc_tier: ['kyc_tier'],
};
const allowed: Record<RuleType, readonly (keyof RuleParams)[]> = {
  amount_above: ['amount'],
  velocity: ['subject', 'window_s', 'count_max', 'amount_max'],
  new_wallet: ['wallet_age_s', 'amount_max'],
  kyc_tier: ['kyc_tier', ...tier_caps],
};

type CreateInput = Static<typeof CreateRiskRuleBody>;

/** Checks that a rule has exactly the fields its type uses, with amounts valid for its asset. */
async function ruleParams(db: Queryable, livemode: boolean, input: CreateInput): Promise<Result<RuleParams>> {
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const given = input as unknown as Record<string, unknown>;
  for (const field of required[input.type])
    if (given[field] === undefined)
      return fail(domainError('invalid_request', `A ${input.type} rule needs ${field}.`, field));
  const params: Record<string, unknown> = {};
  for (const field of Object.keys(allowedFieldsOfAll())) {
    if (given[field] === undefined) continue;
    if (!allowed[input.type].includes(field as keyof RuleParams))
      return fail(domainError('invalid_request', `A ${input.type} rule takes no ${field}.`, field));
    params[field] = given[field];
  }
  if (input.type === 'velocity' && params.count_max === undefined && params.amount_max === undefined)
    return fail(
      domainError('invalid_request', 'A velocity rule needs count_max or amount_max.', 'count_max'),
    );
  if (input.type === 'kyc_tier' && tier_caps.every((cap) => params[cap] === undefined))
    return fail(
      domainError('invalid_request', `A kyc_tier rule needs one of ${tier_caps.join(', ')}.`, 'balance_max'),
    );
  for (const field of amount_params) {
    if (params[field] === undefined) continue;
    const parsed = parseAmount(params[field], scale.value, field);
    if (!parsed.ok) return parsed;
    params[field] = parsed.value.toString();
  }
  return ok(params as RuleParams);
}

function allowedFieldsOfAll(): Record<keyof RuleParams, true> {
  return {
    amount: true,
    subject: true,
    window_s: true,
    count_max: true,
    amount_max: true,
    wallet_age_s: true,
    kyc_tier: true,
    balance_max: true,
    daily_outflow_max: true,
    monthly_outflow_max: true,
    daily_inflow_max: true,
    monthly_inflow_max: true,
  };
}

export interface RiskRuleView extends Record<string, unknown> {
  id: string;
  object: 'risk_rule';
}

export async function ruleView(db: Queryable, row: RiskRuleRow): Promise<RiskRuleView> {
  const scale = await assetScale(db, row.livemode, row.asset, 'currency');
  const params: Record<string, unknown> = { ...row.params };
  for (const field of amount_params) {
    const value = row.params[field];
    if (value !== undefined) params[field] = formatAmount(BigInt(value), scale.ok ? scale.value : 0);
  }
  return {
    id: row.id,
    object: 'risk_rule',
    livemode: row.livemode,
    name: row.name,
    type: row.type,
    action: row.action,
    currency: row.asset,
    ...params,
    enabled: row.enabled,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function createRiskRule(
  db: Queryable,
  livemode: boolean,
  input: CreateInput,
  limits: Limits,
  now: Date,
): Promise<Result<RiskRuleView>> {
  const params = await ruleParams(db, livemode, input);
  if (!params.ok) return params;
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const result = await db.query<RiskRuleRow>(
    `INSERT INTO risk_rules (id, livemode, name, type, action, asset, params, enabled, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *`,
    [
      newId('risk_rule', now.getTime()),
      livemode,
      input.name,
      input.type,
      input.action,
      input.currency,
      params.value,
      input.enabled ?? true,
      metadata.value,
      now,
    ],
  );
  return ok(await ruleView(db, result.rows[0] as RiskRuleRow));
}

export async function updateRiskRule(
  db: Queryable,
  livemode: boolean,
  id: string,
  input: Static<typeof UpdateRiskRuleBody>,
  limits: Limits,
  now: Date,
): Promise<Result<RiskRuleView>> {
  const row = await rowById<RiskRuleRow>(db, 'risk_rules', livemode, id, { for_update: true });
  if (row === undefined) return fail(notFound('risk rule', id));
  const metadata = mergeMetadata(row.metadata, input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const result = await db.query<RiskRuleRow>(
    'UPDATE risk_rules SET name = $2, action = $3, enabled = $4, metadata = $5, updated_at = $6 WHERE id = $1 RETURNING *',
    [
      id,
      input.name ?? row.name,
      input.action ?? row.action,
      input.enabled ?? row.enabled,
      metadata.value,
      now,
    ],
  );
  return ok(await ruleView(db, result.rows[0] as RiskRuleRow));
}

export async function getRiskRule(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<RiskRuleView>> {
  const row = await rowById<RiskRuleRow>(db, 'risk_rules', livemode, id);
  return row === undefined ? fail(notFound('risk rule', id)) : ok(await ruleView(db, row));
}

export async function listRiskRules(
  db: Queryable,
  livemode: boolean,
  query: Static<typeof RiskRuleListQuery>,
): Promise<Result<Page<RiskRuleView>>> {
  const { where, params } = new Filters(livemode).equals('enabled', query.enabled);
  const page = await fetchPage(
    db,
    { table: 'risk_rules', where, params, id_prefix: 'rr', map: (row: RiskRuleRow) => row },
    pageQuery(query),
  );
  if (!page.ok) return page;
  return ok({ ...page.value, data: await Promise.all(page.value.data.map((row) => ruleView(db, row))) });
}

/** The enabled rules of a mode: what every movement is checked against. */
export async function enabledRules(db: Queryable, livemode: boolean): Promise<RiskRuleRow[]> {
  if (skippedForBench('risk')) return [];
  const result = await db.query<RiskRuleRow>(
    prepared(
      `SELECT id, livemode, name, type, action, asset, params, enabled, metadata, created_at, updated_at
       FROM risk_rules WHERE livemode = $1 AND enabled ORDER BY id`,
      [livemode],
    ),
  );
  return result.rows;
}
