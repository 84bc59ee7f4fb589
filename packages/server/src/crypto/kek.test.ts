import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KekSettings, loadKek, newKekText } from './kek.js';

const none: KekSettings = {
  value: undefined,
  file: undefined,
  previous_value: undefined,
  previous_file: undefined,
};
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'purse-kek-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loading the key-encryption key', () => {
  it('takes PURSE_KEK, else PURSE_KEK_FILE, and the previous one beside it', async () => {
    const text = newKekText();
    const file = path.join(dir, 'mounted');
    await writeFile(file, `${text}\n`);
    expect((await loadKek({ ...none, value: text }, undefined)).kek.toString('base64')).toBe(text);
    const from_file = await loadKek({ ...none, file, previous_value: newKekText() }, undefined);
    expect(from_file).toMatchObject({ source: 'file', file });
    expect(from_file.kek.toString('base64')).toBe(text);
    expect(from_file.previous).toHaveLength(32);
  });

  it('refuses none with a database URL (kek_missing), and anything but 32 base64 bytes (kek_invalid)', async () => {
    await expect(loadKek(none, undefined)).rejects.toMatchObject({ code: 'kek_missing' });
    await expect(loadKek({ ...none, file: path.join(dir, 'absent') }, undefined)).rejects.toMatchObject({
      code: 'kek_missing',
    });
    for (const value of ['c2hvcnQ=', 'not base64 at all', Buffer.alloc(33).toString('base64')])
      await expect(loadKek({ ...none, value }, undefined)).rejects.toMatchObject({ code: 'kek_invalid' });
  });

  it('on the embedded database makes one KEK file (0600) on first start, however many start at once', async () => {
    const data_dir = path.join(dir, 'embedded');
    const starts = await Promise.all([1, 2, 3, 4].map(() => loadKek(none, data_dir)));
    expect(starts.filter((start) => start.source === 'generated')).toHaveLength(1);
    const texts = new Set(starts.map((start) => start.kek.toString('base64')));
    expect(texts).toEqual(new Set([(await readFile(path.join(data_dir, 'kek'), 'utf8')).trim()]));
    expect((await stat(path.join(data_dir, 'kek'))).mode & 0o777).toBe(0o600);
    expect(await loadKek(none, data_dir)).toMatchObject({ source: 'file' });
  });
});
