/**
 * How much of a listed name a screened name covers, from 0 (nothing) to 1 (every word of the
 * listed name found). Pure and small, so its properties are tested directly (similarity.test.ts).
 *
 * Names are normalized and cut into words (normalizedWords): invisible format characters (soft
 * hyphens, zero-width spaces) are dropped, letters that look like Latin ones (Cyrillic `а`, Greek
 * `Ο`...) are folded to them, then accents, case and punctuation do not count. The words of the
 * screened name are paired with those of the listed name, best pairs first, whatever their order
 * ("PETROVA, Ivana" and "ivana petrová" are one name). Each pair is scored with Jaro-Winkler, which
 * forgives the transpositions and dropped letters of a misspelled word and weighs its first letters
 * most, as spellings of a name vary least there. The score is the pairs' scores weighted by the
 * letters of the LISTED words, over all the listed name's letters: a listed word left without a
 * pair counts as nothing, but a screened word the listing lacks (a middle name, a second surname,
 * a repeated word) does not lower it: adding words must not hide a listed name.
 *
 * The screened side also offers its words joined (each two neighbours, and all of them: "Vor
 * Tanis", "Kest-rell") and split where both halves are words of the list ("IlyaVortanis"): word
 * boundaries are the cheapest thing to change in a name.
 */

/** Lower case, accents and punctuation removed, lookalikes folded, words in alphabetical order. */
export function normalizeName(name: string): string {
  return nameTokens(name).sort().join(' ');
}

/** Words that say a business's legal form, not who it is: "Granite Meridian Ltd." is "Granite Meridian". */
export const legal_forms: ReadonlySet<string> = new Set([
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
  return foldLookalikes(name.normalize('NFKD').replace(/[\p{M}\p{Cf}]/gu, ''))
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((token) => token.length > 0);
}

/**
 * Cyrillic and Greek letters drawn like Latin ones, in the manner of a Unicode TR39 skeleton but
 * only for letters (a name written "Іlуа Vоrtаnіs" with Cyrillic І, у, а, о, і is Ilya Vortanis).
 * Each case is mapped on its own: Cyrillic `Н` looks like `H`, its lower case `н` like nothing Latin.
 */
// biome-ignore format: a table, one line per script and case
const lookalikes: Readonly<Record<string, string>> = {
  // Cyrillic capitals, then small letters.
  А: 'A', В: 'B', Е: 'E', Ё: 'E', І: 'I', Ї: 'I', Ј: 'J', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P',
  С: 'C', Ѕ: 'S', Т: 'T', У: 'Y', Х: 'X', Ү: 'Y', Һ: 'H', Ԁ: 'D', Ԛ: 'Q', Ԝ: 'W', Ӏ: 'I',
  а: 'a', е: 'e', ё: 'e', і: 'i', ї: 'i', ј: 'j', о: 'o', р: 'p', с: 'c', ѕ: 's', у: 'y', х: 'x',
  һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', ү: 'y', к: 'k',
  // Greek capitals, then small letters.
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T',
  Υ: 'Y', Χ: 'X',
  α: 'a', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', υ: 'u', χ: 'x',
};
const lookalike_pattern = new RegExp(`[${Object.keys(lookalikes).join('')}]`, 'gu');

function foldLookalikes(text: string): string {
  return text.replace(lookalike_pattern, (letter) => lookalikes[letter] ?? letter);
}

/**
 * The screened name's words as offered for pairing: its own, neighbours joined, all joined, and
 * each word split in two where both halves are words of `vocabulary` (the list's words).
 */
export function offeredTokens(words: readonly string[], vocabulary: ReadonlySet<string>): string[] {
  // Not deduplicated: a listed name may repeat a word, which two equal screened words then cover.
  const offered = [...words];
  for (let i = 0; i + 1 < words.length; i += 1) offered.push(`${words[i]}${words[i + 1]}`);
  if (words.length > 2) offered.push(words.join(''));
  for (const word of words)
    for (let at = split_part_chars_min; at + split_part_chars_min <= word.length; at += 1) {
      const head = word.slice(0, at);
      const tail = word.slice(at);
      if (vocabulary.has(head) && vocabulary.has(tail)) offered.push(head, tail);
    }
  return offered;
}

/** Halves shorter than this are not split off a word: every list has one- and two-letter words. */
const split_part_chars_min = 3;

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

/** How much of `listed` the `screened` name covers (see the top of this file). */
export function nameSimilarity(screened: string, listed: string): number {
  const listed_tokens = nameTokens(listed);
  return tokensSimilarity(offeredTokens(nameTokens(screened), new Set(listed_tokens)), listed_tokens);
}

/** Names are a few words: every pair is scored, then the best are taken greedily, each word once. */
export function tokensSimilarity(screened: readonly string[], listed: readonly string[]): number {
  return pairedSimilarity(
    screened.length,
    listed.map((token) => token.length),
    (i, j) => jaroWinkler(screened[i] ?? '', listed[j] ?? ''),
  );
}

/**
 * The name score from the number of screened words, the listed words' lengths and a scorer of
 * screened word `i` against listed word `j` (which the screening caches across the list). Each
 * round takes the best pair of words not yet paired; the score is the pairs' scores weighted by
 * their listed word's letters over all the listed letters.
 */
export function pairedSimilarity(
  screened_count: number,
  listed_lengths: readonly number[],
  score: (i: number, j: number) => number,
): number {
  const letters = sum(listed_lengths);
  const n = screened_count;
  const m = listed_lengths.length;
  if (n === 0 || m === 0 || letters === 0) return 0;
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
    weighted += (scores[best] ?? 0) * (listed_lengths[j] ?? 0);
  }
  return Math.min(1, weighted / letters);
}

/**
 * The most `pairedSimilarity` can give with this many screened words against listed words of these
 * lengths, without scoring a word: as if the longest listed words paired perfectly. Screening
 * skips names that cannot reach the review score.
 */
export function similarityBound(screened_count: number, listed_lengths_desc: readonly number[]): number {
  const letters = sum(listed_lengths_desc);
  if (letters === 0) return 0;
  return sum(listed_lengths_desc.slice(0, screened_count)) / letters;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
