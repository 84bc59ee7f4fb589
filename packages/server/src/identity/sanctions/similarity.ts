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
  const letters = [...a, ...b].reduce((sum, token) => sum + token.length, 0);
  if (a.length === 0 || b.length === 0 || letters === 0) return 0;
  const pairs: { i: number; j: number; score: number }[] = [];
  for (const [i, left] of a.entries())
    for (const [j, right] of b.entries()) pairs.push({ i, j, score: jaroWinkler(left, right) });
  pairs.sort((x, y) => y.score - x.score);
  const used_a = new Set<number>();
  const used_b = new Set<number>();
  let weighted = 0;
  for (const { i, j, score } of pairs) {
    if (used_a.has(i) || used_b.has(j)) continue;
    used_a.add(i);
    used_b.add(j);
    weighted += score * ((a[i]?.length ?? 0) + (b[j]?.length ?? 0));
  }
  return Math.min(1, weighted / letters);
}
