/**
 * How alike two names are, from 0 (nothing in common) to 1 (the same name once normalized). Pure
 * and small, so its properties are tested directly (similarity.test.ts).
 *
 * Names are normalized (accents, case and punctuation do not count) and cut into words; the words
 * of one name are paired with those of the other, best pairs first, whatever their order
 * ("PETROVA, Ivana" and "ivana petrová" are one name). Each pair is scored with Jaro-Winkler, which
 * forgives the transpositions and dropped letters of a misspelled word and weighs its first letters
 * most, as spellings of a name vary least there. The name's score is the pairs' scores weighted by
 * their letters, over all the letters of both names: a word left without a pair (a middle name one
 * side does not give) counts as nothing and lowers the score in proportion to its length.
 */

/** Lower case, accents and punctuation removed, words in alphabetical order, single spaces. */
export function normalizeName(name: string): string {
  return nameTokens(name).sort().join(' ');
}

/** Words that say a business's legal form, not who it is: "Granite Meridian Ltd." is "Granite Meridian". */
const legal_forms = new Set([
  'ag',
  'bv',
  'co',
  'company',
  'corp',
  'corporation',
  'gmbh',
  'inc',
  'incorporated',
  'limited',
  'llc',
  'ltd',
  'plc',
  'sarl',
]);

/** The name's words, normalized, without its legal form (unless nothing else is left). */
export function nameTokens(name: string): string[] {
  const words = normalizedWords(name);
  const core = words.filter((word) => !legal_forms.has(word));
  return core.length === 0 ? words : core;
}

function normalizedWords(name: string): string[] {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((token) => token.length > 0);
}

/** Jaro-Winkler similarity of two strings, compared by UTF-16 code unit. */
export function jaroWinkler(a: string, b: string): number {
  const jaro = jaroSimilarity(a, b);
  let prefix = 0;
  const prefix_chars_max = 4;
  while (prefix < Math.min(prefix_chars_max, a.length, b.length) && a[prefix] === b[prefix]) prefix += 1;
  const prefix_scale = 0.1;
  return jaro + prefix * prefix_scale * (1 - jaro);
}

function jaroSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const a_matched = new Array<boolean>(a.length).fill(false);
  const b_matched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i += 1) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    for (let j = from; j <= to; j += 1) {
      if (b_matched[j] === true || a[i] !== b[j]) continue;
      a_matched[i] = true;
      b_matched[j] = true;
      matches += 1;
      break;
    }
  }
  if (matches === 0) return 0;
  let transposed = 0;
  let j = 0;
  for (let i = 0; i < a.length; i += 1) {
    if (a_matched[i] !== true) continue;
    while (b_matched[j] !== true) j += 1;
    if (a[i] !== b[j]) transposed += 1;
    j += 1;
  }
  const m = matches;
  return (m / a.length + m / b.length + (m - transposed / 2) / m) / 3;
}

/** The similarity of two names (see the top of this file). */
export function nameSimilarity(a: string, b: string): number {
  return tokensSimilarity(nameTokens(a), nameTokens(b));
}

/** Names are a few words: every pair is scored, then the best are taken greedily, each word once. */
export function tokensSimilarity(a: readonly string[], b: readonly string[]): number {
  return pairedSimilarity(
    a.map((token) => token.length),
    b.map((token) => token.length),
    (i, j) => jaroWinkler(a[i] ?? '', b[j] ?? ''),
  );
}

/**
 * The name score from its words' lengths and a scorer of word `i` of one name against word `j` of
 * the other (which the screening caches across the list). Each round takes the best pair of words
 * not yet paired; the score is the pairs' scores weighted by their letters over all letters.
 */
export function pairedSimilarity(
  a_lengths: readonly number[],
  b_lengths: readonly number[],
  score: (i: number, j: number) => number,
): number {
  const letters = sum(a_lengths) + sum(b_lengths);
  if (a_lengths.length === 0 || b_lengths.length === 0 || letters === 0) return 0;
  const n = a_lengths.length;
  const m = b_lengths.length;
  const scores = new Float64Array(n * m);
  for (let i = 0; i < n; i += 1) for (let j = 0; j < m; j += 1) scores[i * m + j] = score(i, j);
  const used_a = new Uint8Array(n);
  const used_b = new Uint8Array(m);
  let weighted = 0;
  for (let round = Math.min(n, m); round > 0; round -= 1) {
    let best = -1;
    for (let k = 0; k < n * m; k += 1)
      if (
        used_a[Math.floor(k / m)] === 0 &&
        used_b[k % m] === 0 &&
        (best < 0 || (scores[k] ?? 0) > (scores[best] ?? 0))
      )
        best = k;
    const i = Math.floor(best / m);
    const j = best % m;
    used_a[i] = 1;
    used_b[j] = 1;
    weighted += (scores[best] ?? 0) * ((a_lengths[i] ?? 0) + (b_lengths[j] ?? 0));
  }
  return Math.min(1, weighted / letters);
}

/**
 * The most `pairedSimilarity` can give two names of these word lengths, without scoring a word:
 * as if the longest words paired perfectly. Screening skips names that cannot reach the review score.
 */
export function similarityBound(
  a_lengths_desc: readonly number[],
  b_lengths_desc: readonly number[],
): number {
  const letters = sum(a_lengths_desc) + sum(b_lengths_desc);
  if (letters === 0) return 0;
  const k = Math.min(a_lengths_desc.length, b_lengths_desc.length);
  return (sum(a_lengths_desc.slice(0, k)) + sum(b_lengths_desc.slice(0, k))) / letters;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
