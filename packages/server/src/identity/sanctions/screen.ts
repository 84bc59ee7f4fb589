import type { SanctionedParty } from './sdn-csv.js';
import { nameTokens, tokensSimilarity } from './similarity.js';

/**
 * Screening of names against a sanctions list. Every name of a verification (the holder's, the
 * person's, the business's and each owner's) is compared with every name of the list (primary and
 * aliases); the best score decides:
 *
 * - at or above `block_score_min`: block (the session is rejected with `sanctions_match`);
 * - at or above `review_score_min`: review (an operator decides);
 * - below: clear.
 */
export interface ScreeningThresholds {
  readonly review_score_min: number;
  readonly block_score_min: number;
}

export interface ScreenedName {
  /** Which party of the input the name is: `holder`, `person`, `business`, `owners[0]`... */
  readonly party: string;
  readonly name: string;
}

export interface SanctionsMatch {
  readonly party: string;
  readonly entry_id: string;
  /** The list's name that matched (public list data, never the screened input). */
  readonly listed_name: string;
  readonly programs: readonly string[];
  /** Rounded to 3 decimals. */
  readonly score: number;
}

export type ScreeningDecision = 'clear' | 'review' | 'block';

export interface Screening {
  readonly decision: ScreeningDecision;
  /** Matches at or above the review score, best first, at most `matches_max`. */
  readonly matches: readonly SanctionsMatch[];
}

const matches_max = 10;

/** A list ready to screen against: each name normalized once, when the list is loaded. */
export interface SanctionsList {
  readonly entries: readonly { readonly party: SanctionedParty; readonly names: readonly ListedName[] }[];
}

/** A name of the list as written, and its words normalized. */
interface ListedName {
  readonly name: string;
  readonly tokens: readonly string[];
}

export function prepareList(parties: readonly SanctionedParty[]): SanctionsList {
  return {
    entries: parties.map((party) => ({
      party,
      names: party.names.flatMap((name) =>
        [name, ...(party.kind === 'individual' ? shortForms(name) : [])].map(
          (form): ListedName => ({ name, tokens: nameTokens(form) }),
        ),
      ),
    })),
  };
}

/**
 * `LAST, First Middle` is also screened as `First LAST`: people often give no middle name, and a
 * whole-name comparison would otherwise lose a listed person under the length of the missing one.
 */
function shortForms(name: string): string[] {
  const [last, given] = name.split(',', 2).map((part) => part.trim());
  const first = given?.split(/\s+/)[0];
  if (last === undefined || first === undefined || first === '' || given === first) return [];
  return [`${first} ${last}`];
}

export function screenNames(
  list: SanctionsList,
  names: readonly ScreenedName[],
  thresholds: ScreeningThresholds,
): Screening {
  const matches: SanctionsMatch[] = [];
  for (const screened of names) {
    const tokens = nameTokens(screened.name);
    if (tokens.length === 0) continue;
    for (const entry of list.entries) {
      const best = bestName(entry.names, tokens);
      if (best === undefined || best.score < thresholds.review_score_min) continue;
      matches.push({
        party: screened.party,
        entry_id: entry.party.entry_id,
        listed_name: best.name,
        programs: entry.party.programs,
        score: Math.round(best.score * 1000) / 1000,
      });
    }
  }
  matches.sort((a, b) => b.score - a.score);
  const top = matches[0]?.score ?? 0;
  const decision: ScreeningDecision =
    matches.length === 0 ? 'clear' : top >= thresholds.block_score_min ? 'block' : 'review';
  return { decision, matches: matches.slice(0, matches_max) };
}

function bestName(
  names: readonly ListedName[],
  tokens: readonly string[],
): { name: string; score: number } | undefined {
  let best: { name: string; score: number } | undefined;
  for (const listed of names) {
    const score = tokensSimilarity(tokens, listed.tokens);
    if (best === undefined || score > best.score) best = { name: listed.name, score };
  }
  return best;
}
