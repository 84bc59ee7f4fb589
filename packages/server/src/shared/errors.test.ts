import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogue, type ErrorCode } from './errors.js';

const errors_doc = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'docs',
  'errors.md',
);

describe('error catalogue', () => {
  it('documents every code with its status in docs/errors.md', async () => {
    const doc = await readFile(errors_doc, 'utf8');
    for (const [code, spec] of Object.entries(catalogue) as [ErrorCode, { status: number }][]) {
      expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${spec.status} \\|`));
    }
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const spec of Object.values(catalogue)) {
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
    }
  });
});
