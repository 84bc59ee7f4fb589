import type { SanctionedParty } from './sdn-csv.js';
import { jaroWinkler, nameTokens, offeredTokens, pairedSimilarity, similarityBound } from './similarity.js';

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
  /** Every word of the list's names: a screened word is split where both halves are among them. */
  readonly vocabulary: ReadonlySet<string>;
}

/** A name of the list as written, its words normalized, and their lengths, longest first. */
interface ListedName {
  readonly name: string;
  readonly tokens: readonly string[];
  readonly lengths: readonly number[];
  readonly lengths_desc: readonly number[];
}

function listedName(name: string, form: string): ListedName {
  const tokens = nameTokens(form);
  const lengths = tokens.map((token) => token.length);
  return { name, tokens, lengths, lengths_desc: [...lengths].sort((a, b) => b - a) };
}

export function prepareList(parties: readonly SanctionedParty[]): SanctionsList {
  const entries = parties.map((party) => ({
    party,
    names: party.names.flatMap((name) =>
      [name, ...(party.kind === 'individual' ? shortForms(name) : [])].map((form) => listedName(name, form)),
    ),
  }));
  const vocabulary = new Set(entries.flatMap((entry) => entry.names.flatMap((listed) => listed.tokens)));
  return { entries, vocabulary };
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

/**
 * Entries compared between two turns of the event loop: against a list the size of OFAC's (some
 * 18,000 entries and their aliases) one screening takes tenths of a second of CPU, which must not
 * stall every other request of the process meanwhile.
 */
const entries_per_turn_max = 1_000;

export async function screenNames(
  list: SanctionsList,
  names: readonly ScreenedName[],
  thresholds: ScreeningThresholds,
): Promise<Screening> {
  const matches: SanctionsMatch[] = [];
  for (const screened of names) {
    const scorer = screenedName(screened.name, list.vocabulary);
    if (scorer === undefined) continue;
    for (const [index, entry] of list.entries.entries()) {
      if (index > 0 && index % entries_per_turn_max === 0)
        await new Promise((resolve) => setImmediate(resolve));
      const best = bestName(entry.names, scorer, thresholds.review_score_min);
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

/**
 * A screened name's words, with each listed word's Jaro-Winkler scores against them kept as they
 * are computed: a list repeats its words (given names, family names, AL, LTD), so each is scored
 * once per screened name rather than once per listed name (docs/identity.md has the measurements).
 */
interface ScreenedScorer {
  /** How many words the screened name offers (its own, joined and split: offeredTokens). */
  readonly count: number;
  scores(listed_token: string): readonly number[];
}

function screenedName(name: string, vocabulary: ReadonlySet<string>): ScreenedScorer | undefined {
  const words = nameTokens(name);
  if (words.length === 0) return undefined;
  const tokens = offeredTokens(words, vocabulary);
  const cache = new Map<string, number[]>();
  return {
    count: tokens.length,
    scores(listed_token) {
      let found = cache.get(listed_token);
      if (found === undefined) {
        found = tokens.map((token) => jaroWinkler(token, listed_token));
        cache.set(listed_token, found);
      }
      return found;
    },
  };
}

/** The bounds add the same products in another order: rounding must not skip a name exactly at the score. */
const bound_slack = 1e-9;

/** The listed name closest to the screened one, among those that can reach `score_min`. */
function bestName(
  names: readonly ListedName[],
  scorer: ScreenedScorer,
  score_min: number,
): { name: string; score: number } | undefined {
  let best: { name: string; score: number } | undefined;
  for (const listed of names) {
    if (similarityBound(scorer.count, listed.lengths_desc) < score_min - bound_slack) continue;
    const rows = listed.tokens.map((token) => scorer.scores(token));
    if (pairingBound(listed.lengths, rows) < score_min - bound_slack) continue;
    const score = pairedSimilarity(scorer.count, listed.lengths, (i, j) => rows[j]?.[i] ?? 0);
    if (best === undefined || score > best.score) best = { name: listed.name, score };
  }
  return best;
}

/**
 * The most the pairing can give, from each listed word's best score alone: a pair adds at most
 * its listed word's best score times that word's letters. Most names of a list fall below the
 * review score here, before any pairing.
 */
function pairingBound(listed_lengths: readonly number[], rows: readonly (readonly number[])[]): number {
  let bound = 0;
  let letters = 0;
  for (let j = 0; j < listed_lengths.length; j += 1) {
    let best = 0;
    for (const score of rows[j] ?? []) if (score > best) best = score;
    bound += best * (listed_lengths[j] ?? 0);
    letters += listed_lengths[j] ?? 0;
  }
  return letters === 0 ? 0 : bound / letters;
}
