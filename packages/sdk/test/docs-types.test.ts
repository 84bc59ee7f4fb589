import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const sdk_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const repository_root = path.join(sdk_root, '..', '..');
const tsc = path.join(repository_root, 'node_modules', 'typescript', 'bin', 'tsc');
const documents = ['docs/sdk.md', 'README.md'];

/** The ```ts blocks of a Markdown file. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

describe('the TypeScript examples of the docs', () => {
  it('compile against the SDK under the strictest options (docs/sdk.md, README.md)', {
    timeout: 240_000,
  }, async () => {
    // Inside the package, so that '@purse/sdk' resolves to it.
    const dir = await mkdtemp(path.join(sdk_root, '.docs-types-'));
    try {
      const files: string[] = [];
      for (const document of documents) {
        const blocks = tsBlocks(await readFile(path.join(repository_root, document), 'utf8'));
        expect(blocks.length, document).toBeGreaterThan(0);
        for (const [index, block] of blocks.entries()) {
          const file = `${document.replace(/\W/g, '_')}-${index + 1}.mts`;
          await writeFile(path.join(dir, file), block);
          files.push(file);
        }
      }
      const config = {
        extends: '../tsconfig.json',
        compilerOptions: { noEmit: true, customConditions: ['@purse/source'], rootDir: '..' },
        include: files,
      };
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
      const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(result).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
