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
import type { Verifier } from './verifier.js';

/**
 * One pass of a session through the checks, in order, the first that decides winning:
 *
 * 1. the input is complete, or the session requires input (missing_fields);
 * 2. the common rules (an adult, a document in date), or rejected;
 * 3. the sanctions screening of every name, unless an operator cleared it: a match is rejected
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
      readonly matches: readonly SanctionsMatch[];
    }
  | { readonly status: 'verified'; readonly tier: number; readonly matches: readonly SanctionsMatch[] }
  | {
      readonly status: 'rejected';
      readonly error: { readonly code: RejectionCode; readonly reason: string };
      readonly matches: readonly SanctionsMatch[];
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
  /** Possible matches an operator cleared: they do not send the session to review again. */
  readonly cleared: readonly SanctionsMatch[];
}

export async function decide(deps: DecideDeps, session: Screened): Promise<Decision> {
  const { input } = session;
  const missing = missingFields(input);
  if (missing.length > 0) return { status: 'requires_input', missing, error: null };
  const broken = ruleRejection(input, deps.today);
  if (broken !== undefined) return { status: 'rejected', error: broken, matches: [] };
  const screening = await screenNames(deps.sanctions, namesOf(session), deps.thresholds);
  if (screening.decision === 'block') {
    const top = screening.matches[0];
    const reason = `${top?.party ?? 'A name'} matches list entry ${top?.entry_id ?? ''} (score ${top?.score ?? ''}).`;
    return { status: 'rejected', error: { code: 'sanctions_match', reason }, matches: screening.matches };
  }
  const uncleared = screening.matches.filter(
    (match) =>
      !session.cleared.some((done) => done.party === match.party && done.entry_id === match.entry_id),
  );
  if (screening.decision === 'review' && uncleared.length > 0)
    return { status: 'processing', review: 'sanctions', matches: screening.matches };
  return verifierDecision(deps.verifier, input, screening.matches);
}

/** Step 4 alone: what an operator's approval of a possible match continues with. */
export async function verifierDecision(
  verifier: Verifier,
  input: SessionInput,
  matches: readonly SanctionsMatch[],
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
