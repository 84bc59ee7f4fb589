import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSanctionsList } from './list.js';
import { prepareList, screenNames } from './screen.js';
import { parseSdnCsv } from './sdn-csv.js';
import { nameTokens, offeredTokens, tokensSimilarity } from './similarity.js';

const data = path.join(import.meta.dirname, '..', '..', '..', 'data');
const list = loadSanctionsList({
  list_path: path.join(data, 'sanctions-sample.csv'),
  aliases_path: path.join(data, 'sanctions-sample-alt.csv'),
});
const thresholds = { review_score_min: 0.85, block_score_min: 0.95 };
const screen = (name: string) => screenNames(list, [{ party: 'person', name }], thresholds);

describe('sanctions screening', () => {
  it('reads the sample list: individuals and entities with their aliases, not vessels', () => {
    expect(list.entries.map((entry) => entry.party.entry_id)).toEqual([
      '9000101',
      '9000102',
      '9000103',
      '9000104',
      '9000105',
      '9000107',
    ]);
    const duskmore = list.entries[2]?.party;
    expect(duskmore?.names).toEqual(['DUSKMORE, Pavel Arkadievich', 'DUSKMOOR, Paul']);
    expect(list.entries[0]?.party.programs).toEqual(['SDGT', 'IRGC']);
  });

  it('blocks at or above the block score, in any order, without middle name or legal form', async () => {
    for (const name of [
      'Ilya Vortanis',
      'VORTANIS Ilya Maximovich',
      'Ilya Vortanes',
      'Granite Meridian Holdings Ltd',
    ]) {
      const found = await screen(name);
      expect(found.decision, name).toBe('block');
      expect(found.matches[0]?.score).toBeGreaterThanOrEqual(thresholds.block_score_min);
    }
    // An alias blocks as the primary name does, and the match names the alias.
    expect((await screen('Paul Duskmoor')).matches[0]).toMatchObject({
      entry_id: '9000103',
      listed_name: 'DUSKMOOR, Paul',
    });
  });

  it('blocks listed names written differently: split, joined, with invisible characters, lookalikes or more words', async () => {
    for (const name of [
      'Ilya Vor Tanis',
      'Ilya Vor-Tanis',
      'Odina Kest-rell',
      'Odina Kest\u00adrell',
      'Ilya Vor\u200btanis',
      'Odina Maria Kestrell',
      'Odina Kestrell-Smith',
      '\u0406l\u0443\u0430 V\u043ert\u0430n\u0456s',
      'IlyaVortanis',
      'GraniteMeridian Holdings',
      'Ilya Ilya Vortanis',
    ]) {
      const found = await screen(name);
      expect(found.decision, name).toBe('block');
    }
  });

  it('keeps ordinary names clear of the sample list', async () => {
    for (const name of [
      'Ada Lovelace',
      'John Smith',
      'Maria Garcia',
      'Mohammed Ali',
      'Olga Petrova',
      'Anna Maria Lopez Garcia',
      'Harbour Bakery Ltd',
      'Northwind Bakery',
      'Kim Vo',
      'Li Na',
    ])
      expect((await screen(name)).decision, name).toBe('clear');
  });

  it('sends a score between the review and the block score to review', async () => {
    const found = await screen('Maria Quill');
    expect(found.decision).toBe('review');
    const score = found.matches[0]?.score ?? 0;
    expect(score).toBeGreaterThanOrEqual(thresholds.review_score_min);
    expect(score).toBeLessThan(thresholds.block_score_min);
  });

  it('clears names below the review score, and moves with the thresholds', async () => {
    expect(await screen('Ada Lovelace')).toEqual({ decision: 'clear', matches: [] });
    expect((await screen('Sea Lantern')).decision).toBe('clear'); // a vessel, not screened
    const strict = { review_score_min: 0.99, block_score_min: 0.999 };
    expect((await screenNames(list, [{ party: 'person', name: 'Maria Quill' }], strict)).decision).toBe(
      'clear',
    );
    const lax = { review_score_min: 0.5, block_score_min: 0.85 };
    expect((await screenNames(list, [{ party: 'person', name: 'Maria Quill' }], lax)).decision).toBe('block');
  });

  it('screens every name given and names the party that matched', async () => {
    const found = await screenNames(
      list,
      [
        { party: 'business', name: 'Harbour Bakery Ltd' },
        { party: 'owners[1]', name: 'Odina Kestrel' },
      ],
      thresholds,
    );
    expect(found.decision).toBe('block');
    expect(found.matches[0]).toMatchObject({ party: 'owners[1]', entry_id: '9000102' });
  });

  it('skips only names that cannot reach the review score: the same matches as comparing every name', async () => {
    const word = fc.stringMatching(/^[a-e]{2,6}$/);
    const name = fc.array(word, { minLength: 1, maxLength: 3 }).map((words) => words.join(' '));
    await fc.assert(
      fc.asyncProperty(fc.array(name, { minLength: 1, maxLength: 30 }), name, async (listed, screened) => {
        const parties = listed.map((n, i) => ({
          entry_id: String(i),
          kind: 'entity' as const,
          names: [n],
          programs: [],
        }));
        const review_score_min = 0.7;
        const prepared = prepareList(parties);
        const offered = offeredTokens(nameTokens(screened), prepared.vocabulary);
        const found = await screenNames(prepared, [{ party: 'p', name: screened }], {
          review_score_min,
          block_score_min: 0.95,
        });
        const brute = listed
          .map((n, i) => ({
            entry_id: String(i),
            score: tokensSimilarity(offered, nameTokens(n)),
          }))
          .filter((match) => match.score >= review_score_min);
        const round = (score: number) => Math.round(score * 1000) / 1000;
        const best_scores = brute
          .map((match) => round(match.score))
          .sort((a, b) => b - a)
          .slice(0, 10);
        expect(found.matches.map((match) => match.score)).toEqual(best_scores);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a file that is not in the SDN layout, naming the row', () => {
    expect(parseSdnCsv('1,"A, B",individual\n')).toMatchObject({ ok: false, row: 1 });
    expect(parseSdnCsv('x,A,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-')).toMatchObject({ ok: false, row: 1 });
    expect(parseSdnCsv('1,"A, B')).toMatchObject({ ok: false });
    expect(() =>
      loadSanctionsList({ list_path: path.join(data, 'missing.csv'), aliases_path: undefined }),
    ).toThrow(/cannot be opened/);
  });
});
