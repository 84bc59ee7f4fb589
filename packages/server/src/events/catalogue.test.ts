import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { event_catalogue, event_types, isValidPattern, matchesPattern } from './catalogue.js';

const events_doc = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'docs',
  'events.md',
);

/** The catalogue table as docs/events.md must show it, between its markers. */
function catalogueTable(): string {
  const rows = event_types.map((type) => `| \`${type}\` | ${event_catalogue[type]} |`);
  return ['| type | when |', '| --- | --- |', ...rows].join('\n');
}

describe('event catalogue', () => {
  it('is listed in docs/events.md exactly (paste the expected table on failure)', async () => {
    const doc = await readFile(events_doc, 'utf8');
    const section = /<!-- catalogue:start -->\n([\s\S]*?)\n<!-- catalogue:end -->/.exec(doc)?.[1];
    expect(section, 'docs/events.md has the catalogue markers').toBeDefined();
    expect(section).toBe(catalogueTable());
  });

  it('names types <object>.<change> in lower snake case, as the database checks', () => {
    for (const type of event_types) expect(type).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
  });

  it('matches patterns: every type, a prefix up to a dot, or one type', () => {
    expect(matchesPattern('*', 'transfer.posted')).toBe(true);
    expect(matchesPattern('transfer.*', 'transfer.posted')).toBe(true);
    expect(matchesPattern('transfer.*', 'transfers.posted')).toBe(false);
    expect(matchesPattern('webhook_endpoint.*', 'webhook_endpoint.disabled')).toBe(true);
    expect(matchesPattern('transfer.posted', 'transfer.posted')).toBe(true);
    expect(matchesPattern('transfer.posted', 'transfer.pending')).toBe(false);
    expect(matchesPattern('transfer', 'transfer.posted')).toBe(false);
  });

  it('accepts a pattern only when it selects a catalogued type', () => {
    for (const valid of ['*', 'transfer.*', 'wallet.frozen', 'webhook_endpoint.*'])
      expect(isValidPattern(valid)).toBe(true);
    for (const invalid of ['transfer', 'transfer.', 'transfers.*', 'wallet.melted', '', '**', 'wallet.*.*']) {
      expect(isValidPattern(invalid), invalid).toBe(false);
    }
  });
});
