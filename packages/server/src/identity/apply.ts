import { type EventType, eventOf, recordEvents } from '../events/index.js';
import { getHolder, type HolderView, updateHolder } from '../holders/service.js';
import { assert } from '../shared/assert.js';
import { changeWalletStatus } from '../wallets/service.js';
import type { Decision } from './decide.js';
import { type HolderKyc, holderKycAfter, type SessionResult } from './outcomes.js';
import { forgetLiftedBlock, recordSanctionsBlock } from './sanctions-blocks.js';
import { type SessionContext, type SessionRow, type SessionView, viewSession } from './service.js';

/**
 * Writes a decision: the session's new state and its event, then what it does to the holder (its
 * KYC status and tier, `holder.updated`) and, for a sanctions match, the freezing of every wallet
 * it has (`wallet.frozen` each). All in the request's transaction: a session is never decided
 * without its holder following.
 */
export async function applyDecision(
  ctx: SessionContext,
  row: SessionRow,
  decision: Decision,
  first_event: EventType | undefined,
): Promise<SessionView> {
  const updated = await ctx.db.query<SessionRow>(
    `UPDATE verification_sessions SET status = $2, missing_fields = $3, review = $4, sanctions_matches = $5,
       last_error_code = $6, last_error_reason = $7, verified_tier = $8, updated_at = $9
     WHERE id = $1 RETURNING *`,
    [row.id, decision.status, ...decisionColumns(decision), ctx.now],
  );
  const saved = updated.rows[0];
  assert(saved !== undefined, `session ${row.id} was locked by this transaction`);
  const view = viewSession(saved);
  const events = [eventOf(`verification_session.${decision.status}`, view)];
  await recordEvents(
    ctx.db,
    first_event === undefined ? events : [eventOf(first_event, view), ...events],
    ctx.now,
  );
  await applyToHolder(ctx, saved.holder_id, resultOf(decision));
  return view;
}

function decisionColumns(decision: Decision): unknown[] {
  const missing = decision.status === 'requires_input' ? decision.missing : [];
  const review = decision.status === 'processing' ? decision.review : null;
  const matches = decision.status === 'requires_input' ? [] : decision.matches;
  const error =
    decision.status === 'rejected' || decision.status === 'requires_input' ? decision.error : null;
  const tier = decision.status === 'verified' ? decision.tier : null;
  return [missing, review, JSON.stringify(matches), error?.code ?? null, error?.reason ?? null, tier];
}

function resultOf(decision: Decision): SessionResult {
  if (decision.status === 'verified') return { status: 'verified', tier: decision.tier };
  if (decision.status === 'rejected') return { status: 'rejected', code: decision.error.code };
  return { status: decision.status };
}

async function applyToHolder(ctx: SessionContext, holder_id: string, result: SessionResult): Promise<void> {
  if (result.status === 'rejected' && result.code === 'sanctions_match') {
    await blockHolder(ctx, holder_id);
    return;
  }
  await forgetLiftedBlock(ctx.db, holder_id);
  const holder = await getHolder(ctx.db, ctx.livemode, holder_id);
  assert(holder.ok, `holder ${holder_id} of a session exists`);
  const current: HolderKyc = {
    kyc_status: holder.value.kyc_status as HolderKyc['kyc_status'],
    kyc_tier: holder.value.kyc_tier,
  };
  const next = holderKycAfter(current, result);
  if (next.kyc_status !== current.kyc_status || next.kyc_tier !== current.kyc_tier) {
    const updated = await updateHolder(ctx.db, ctx.livemode, holder_id, next, ctx.limits, ctx.now);
    assert(updated.ok, `holder ${holder_id} takes its verification result`);
  }
}

/** What blocking needs: the request's transaction, its mode, limits and time. */
export type BlockContext = Pick<SessionContext, 'db' | 'livemode' | 'limits' | 'now'>;

/**
 * A sanctions match: the holder is rejected at tier 0 whatever it was, and its money stays where
 * it is: every active wallet is frozen, in id order. The block is recorded: it stays until an
 * operator lifts it (sanctions-blocks.ts). Returns the holder as it now is.
 */
export async function blockHolder(ctx: BlockContext, holder_id: string): Promise<HolderView> {
  const blocked = await updateHolder(
    ctx.db,
    ctx.livemode,
    holder_id,
    { kyc_status: 'rejected', kyc_tier: 0 },
    ctx.limits,
    ctx.now,
  );
  assert(blocked.ok, `holder ${holder_id} can be blocked`);
  await recordSanctionsBlock(ctx.db, holder_id, ctx.now);
  const wallets = await ctx.db.query<{ id: string }>(
    "SELECT id FROM accounts WHERE holder_id = $1 AND kind = 'wallet' AND status = 'active' ORDER BY id",
    [holder_id],
  );
  for (const { id } of wallets.rows) {
    const frozen = await changeWalletStatus(ctx.db, ctx.livemode, id, 'freeze', ctx.now);
    assert(frozen.ok, `wallet ${id} of holder ${holder_id} can be frozen`);
  }
  return blocked.value;
}
