import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signDelivery } from '../webhooks/signing.js';

const webhooks_doc = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'docs',
  'webhooks.md',
);

type Verify = (secret: string, headers: Record<string, string>, body: string) => boolean;

/** The `verify` snippet of docs/webhooks.md, run as a reader would copy it. */
async function documentedVerify(): Promise<Verify> {
  const doc = await readFile(webhooks_doc, 'utf8');
  const code = /### Without a library[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code, 'docs/webhooks.md has the verify snippet').toBeDefined();
  const dir = await mkdtemp(path.join(tmpdir(), 'purse-docs-'));
  try {
    const file = path.join(dir, 'verify.mjs');
    await writeFile(file, code ?? '');
    return ((await import(pathToFileURL(file).href)) as { verify: Verify }).verify;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('docs/webhooks.md', () => {
  it("verifies Purse's signatures with the documented snippet, and refuses tampering and stale timestamps", async () => {
    const verify = await documentedVerify();
    const [old_secret, new_secret] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'holder.created' });
    const headers = { ...signDelivery('evt_1', new Date(), body, [new_secret, old_secret]) };
    expect(verify(new_secret, headers, body)).toBe(true);
    expect(verify(old_secret, headers, body)).toBe(true);
    expect(verify(generateWebhookSecret(), headers, body)).toBe(false);
    expect(verify(new_secret, headers, `${body} `)).toBe(false);
    expect(verify(new_secret, { ...headers, 'webhook-id': 'evt_2' }, body)).toBe(false);
    const stale = { ...signDelivery('evt_1', new Date(Date.now() - 600_000), body, [new_secret]) };
    expect(verify(new_secret, stale, body)).toBe(false);
  });
});
