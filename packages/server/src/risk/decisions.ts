import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import type { Result } from '../shared/result.js';
import type { RiskMatch } from './evaluate.js';
import type { RuleAction } from './rules.js';
import type { RiskDecisionListQuery } from './schemas.js';

interface DecisionRow {
  id: string;
  livemode: boolean;
  rule_id: string;
  action: RuleAction;
  object_id: string | null;
  api_key_id: string;
  request_id: string;
  wallet_id: string;
  detail: string;
  created_at: Date;
}

/**
 * Records what each matching rule did, on the object it concerns: `object_ids` gives, per movement,
 * the object made (a transfer, a payout), the approval that parked it, or null when blocked.
 */
export async function recordDecisions(
  db: Queryable,
  request: { auth: { livemode: boolean; key_id: string }; request_id: string; now: Date },
  matches: readonly RiskMatch[],
  object_ids: readonly (string | null)[],
): Promise<void> {
  if (matches.length === 0) return;
  const inserted = await db.query<DecisionRow>(
    `INSERT INTO risk_decisions (id, livemode, rule_id, action, object_id, api_key_id, request_id, wallet_id, detail, created_at)
     SELECT id, $1, rule_id, action, object_id, $2, $3, wallet_id, detail, $4
     FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
       AS d (id, rule_id, action, object_id, wallet_id, detail)
     RETURNING *`,
    [
      request.auth.livemode,
      request.auth.key_id,
      request.request_id,
      request.now,
      matches.map(() => newId('risk_decision', request.now.getTime())),
      matches.map((match) => match.rule.id),
      matches.map((match) => match.rule.action),
      matches.map((match) => object_ids[match.movement_index] ?? null),
      matches.map((match) => match.wallet_id),
      matches.map((match) => match.detail),
    ],
  );
  // A flagged movement goes through; the event is how someone hears about it.
  const flagged = inserted.rows.filter((row) => row.action === 'flag');
  await recordEvents(
    db,
    flagged.map((row) => eventOf('risk.flagged', decisionView(row))),
    request.now,
  );
}

function decisionView(row: DecisionRow) {
  return { ...row, object: 'risk_decision' as const, created_at: row.created_at.toISOString() };
}

export function listRiskDecisions(
  db: Queryable,
  livemode: boolean,
  query: Static<typeof RiskDecisionListQuery>,
): Promise<Result<Page<ReturnType<typeof decisionView>>>> {
  const { where, params } = new Filters(livemode)
    .equals('rule_id', query.rule_id)
    .equals('object_id', query.object_id)
    .equals('action', query.action);
  return fetchPage(
    db,
    { table: 'risk_decisions', where, params, id_prefix: 'rd', map: decisionView },
    pageQuery(query),
  );
}
