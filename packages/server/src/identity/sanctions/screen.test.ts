import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSanctionsList } from './list.js';
import { screenNames } from './screen.js';
import { parseSdnCsv } from './sdn-csv.js';

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

  it('blocks at or above the block score, in any order, without middle name or legal form', () => {
    for (const name of [
      'Ilya Vortanis',
      'VORTANIS Ilya Maximovich',
      'Ilya Vortanes',
      'Granite Meridian Holdings Ltd',
    ]) {
      const found = screen(name);
      expect(found.decision, name).toBe('block');
      expect(found.matches[0]?.score).toBeGreaterThanOrEqual(thresholds.block_score_min);
    }
    // An alias blocks as the primary name does, and the match names the alias.
    expect(screen('Paul Duskmoor').matches[0]).toMatchObject({
      entry_id: '9000103',
      listed_name: 'DUSKMOOR, Paul',
    });
  });

  it('sends a score between the review and the block score to review', () => {
    const found = screen('Maria Quill');
    expect(found.decision).toBe('review');
    const score = found.matches[0]?.score ?? 0;
    expect(score).toBeGreaterThanOrEqual(thresholds.review_score_min);
    expect(score).toBeLessThan(thresholds.block_score_min);
  });

  it('clears names below the review score, and moves with the thresholds', () => {
    expect(screen('Ada Lovelace')).toEqual({ decision: 'clear', matches: [] });
    expect(screen('Sea Lantern').decision).toBe('clear'); // a vessel, not screened
    const strict = { review_score_min: 0.99, block_score_min: 0.999 };
    expect(screenNames(list, [{ party: 'person', name: 'Maria Quill' }], strict).decision).toBe('clear');
    const lax = { review_score_min: 0.5, block_score_min: 0.85 };
    expect(screenNames(list, [{ party: 'person', name: 'Maria Quill' }], lax).decision).toBe('block');
  });

  it('screens every name given and names the party that matched', () => {
    const found = screenNames(
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

  it('refuses a file that is not in the SDN layout, naming the row', () => {
    expect(parseSdnCsv('1,"A, B",individual\n')).toMatchObject({ ok: false, row: 1 });
    expect(parseSdnCsv('x,A,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-')).toMatchObject({ ok: false, row: 1 });
    expect(parseSdnCsv('1,"A, B')).toMatchObject({ ok: false });
    expect(() =>
      loadSanctionsList({ list_path: path.join(data, 'missing.csv'), aliases_path: undefined }),
    ).toThrow(/cannot be opened/);
  });
});
