import { keyedHash } from '../crypto/keyring.js';
import {
  missingFields,
  type RejectionCode,
  type RequiresInputCode,
  ruleRejection,
  type SessionInput,
  verifiedTier,
} from './outcomes.js';
import {
  type SanctionsList,
  type SanctionsMatch,
  type ScreenedName,
  type ScreeningThresholds,
  screenNames,
} from './sanctions/screen.js';
import { normalizeName } from './sanctions/similarity.js';
import type { Verifier } from './verifier.js';

/**
 * One pass of a session through the checks, in order, the first that decides winning:
 *
 * 1. the input is complete, or the session requires input (missing_fields);
 * 2. the common rules (an adult, a document in date), or rejected;
 * 3. a holder blocked by an earlier sanctions match is rejected (sanctions_match); then the
 *    sanctions screening of every name, unless an operator cleared that name: a match is rejected
 *    (sanctions_match), a possible match waits for an operator (review `sanctions`);
 * 4. the verifier: verified (with the tier the input earns), rejected, requires input, or waits
 *    (review `manual`).
 */
export type Decision =
  | {
      readonly status: 'requires_input';
      readonly missing: readonly string[];
      readonly error: { readonly code: RequiresInputCode; readonly reason: string } | null;
    }
  | {
      readonly status: 'processing';
      readonly review: 'sanctions' | 'manual';
      readonly matches: readonly ReviewedMatch[];
    }
  | { readonly status: 'verified'; readonly tier: number; readonly matches: readonly ReviewedMatch[] }
  | {
      readonly status: 'rejected';
      readonly error: { readonly code: RejectionCode; readonly reason: string };
      readonly matches: readonly ReviewedMatch[];
    };

export interface DecideDeps {
  readonly verifier: Verifier;
  readonly sanctions: SanctionsList;
  readonly thresholds: ScreeningThresholds;
  /** Today, YYYY-MM-DD (UTC), for ages and expiry dates. */
  readonly today: string;
}

export interface Screened {
  readonly input: SessionInput;
  /** The holder's own name is screened too: it may differ from the input's. */
  readonly holder_name: string | null;
  /** Blocked by an earlier sanctions match until an operator lifts it (sanctions-blocks.ts). */
  readonly holder_blocked: boolean;
  /** Possible matches an operator cleared, each for the name reviewed: they do not send it to review again. */
  readonly cleared: readonly ReviewedMatch[];
}

/**
 * A possible match with a keyed hash of the screened name it was found for: an operator's
 * clearance is for that name, so a changed name (even one closer to the listed one) is screened
 * and reviewed again. The hash is never shown (service.ts viewSession drops it).
 */
export interface ReviewedMatch extends SanctionsMatch {
  readonly name_hash: string;
}

export async function decide(deps: DecideDeps, session: Screened): Promise<Decision> {
  const checked = await checkBeforeVerifier(deps, session);
  return 'status' in checked ? checked : verifierDecision(deps.verifier, session.input, checked.matches);
}

/**
 * An operator's approval of a session under review: every check runs again on the names as they
 * are now (a name changed since the review is screened afresh, a holder blocked meanwhile is
 * rejected), the reviewed matches being cleared; then the verifier decides, or for a manual review
 * the approval itself verifies.
 */
export async function decideApproval(
  deps: DecideDeps,
  session: Screened,
  review: 'sanctions' | 'manual',
): Promise<Decision> {
  const checked = await checkBeforeVerifier(deps, session);
  if ('status' in checked) return checked;
  if (review === 'manual')
    return { status: 'verified', tier: verifiedTier(session.input), matches: checked.matches };
  return verifierDecision(deps.verifier, session.input, checked.matches);
}

/** Steps 1 to 3: a decision if one of them decides, else the matches the screening cleared. */
async function checkBeforeVerifier(
  deps: DecideDeps,
  session: Screened,
): Promise<Decision | { readonly matches: readonly ReviewedMatch[] }> {
  const { input } = session;
  const missing = missingFields(input);
  if (missing.length > 0) return { status: 'requires_input', missing, error: null };
  const broken = ruleRejection(input, deps.today);
  if (broken !== undefined) return { status: 'rejected', error: broken, matches: [] };
  if (session.holder_blocked)
    return { status: 'rejected', error: { code: 'sanctions_match', reason: blocked_reason }, matches: [] };
  const names = namesOf(session);
  const screening = await screenNames(deps.sanctions, names, deps.thresholds);
  const matches = screening.matches.map((match) => reviewedMatch(match, names));
  if (screening.decision === 'block') {
    const top = screening.matches[0];
    const reason = `${top?.party ?? 'A name'} matches list entry ${top?.entry_id ?? ''} (score ${top?.score ?? ''}).`;
    return { status: 'rejected', error: { code: 'sanctions_match', reason }, matches };
  }
  const uncleared = matches.filter(
    (match) =>
      !session.cleared.some(
        (done) =>
          done.party === match.party &&
          done.entry_id === match.entry_id &&
          done.name_hash === match.name_hash,
      ),
  );
  if (screening.decision === 'review' && uncleared.length > 0)
    return { status: 'processing', review: 'sanctions', matches };
  return { matches };
}

const blocked_reason = 'The holder is blocked by an earlier sanctions match until an operator lifts it.';

function reviewedMatch(match: SanctionsMatch, names: readonly ScreenedName[]): ReviewedMatch {
  const name = names.find((screened) => screened.party === match.party)?.name ?? '';
  return { ...match, name_hash: keyedHash('sanctions_reviewed_name', normalizeName(name)) };
}

/** Step 4 alone. */
export async function verifierDecision(
  verifier: Verifier,
  input: SessionInput,
  matches: readonly ReviewedMatch[],
): Promise<Decision> {
  const outcome = await verifier.verify(input);
  switch (outcome.status) {
    case 'verified':
      return { status: 'verified', tier: verifiedTier(input), matches };
    case 'rejected':
      return { status: 'rejected', error: { code: outcome.code, reason: outcome.reason }, matches };
    case 'requires_input':
      return {
        status: 'requires_input',
        missing: outcome.fields,
        error: { code: outcome.code, reason: outcome.reason },
      };
    case 'processing':
      return { status: 'processing', review: 'manual', matches };
  }
}

/** Every name the session carries: the holder's, the person's or the business's and its owners'. */
export function namesOf(session: Screened): ScreenedName[] {
  const { input, holder_name } = session;
  const names: ScreenedName[] = [];
  if (holder_name !== null) names.push({ party: 'holder', name: holder_name });
  const person = input.person;
  if (person !== undefined) names.push({ party: 'person', name: fullName(person) });
  const business = input.business;
  if (business?.legal_name !== undefined) names.push({ party: 'business', name: business.legal_name });
  for (const [i, owner] of (business?.owners ?? []).entries())
    names.push({ party: `owners[${i}]`, name: fullName(owner) });
  return names;
}

function fullName(person: { first_name?: string; last_name?: string }): string {
  return [person.first_name, person.last_name].filter((part) => part !== undefined).join(' ');
}
