import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { multipartForm, sample_files, upload, uploadedFile } from '../test-support/files.js';
import { createKey } from '../test-support/keys.js';
import { expectProblem } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function fileCount(): Promise<number> {
  const found = await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM files');
  return found.rows[0]?.n ?? -1;
}

describe('POST /v1/files', () => {
  it('stores a PDF, JPEG or PNG by its first bytes, sealed, and answers its metadata only', async () => {
    const content = sample_files.pdf();
    // Declared as a PNG: the declared type does not count, the content does.
    const response = await upload(t, 'identity_document', content, { type: 'image/png' });
    expect(response.statusCode, response.body).toBe(201);
    const file = response.json();
    expect(file).toMatchObject({
      object: 'file',
      livemode: false,
      purpose: 'identity_document',
      type: 'application/pdf',
      size_bytes: content.length,
    });
    expect(file.id).toMatch(/^file_/);
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(file)).not.toContain('content');
    const read = await t.request({ method: 'GET', url: `/v1/files/${file.id}` });
    expect(read.json()).toEqual(file);
    const stored = await t.db.pool.query<{ content: string }>('SELECT content FROM files WHERE id = $1', [
      file.id,
    ]);
    const sealed = stored.rows[0]?.content ?? '';
    expect(sealed.startsWith('pse1.')).toBe(true);
    expect(sealed).not.toContain(content.toString('base64'));
    expect(sealed).not.toContain(content.toString('latin1').slice(0, 40));
    for (const [kind, type] of [
      ['jpeg', 'image/jpeg'],
      ['png', 'image/png'],
    ] as const) {
      const other = await upload(t, 'proof_of_address', sample_files[kind](), { type: 'application/pdf' });
      expect(other.json()).toMatchObject({ type, purpose: 'proof_of_address' });
    }
  });

  it('refuses another type whatever it is declared as (415 file_type_unsupported), storing nothing', async () => {
    const before = await fileCount();
    for (const content of [Buffer.from('#!/bin/sh\nrm -rf /\n'), Buffer.from('GIF89a...'), Buffer.alloc(0)]) {
      expectProblem(
        await upload(t, 'identity_document', content, { type: 'image/png' }),
        415,
        'file_type_unsupported',
        'file',
      );
    }
    expect(await fileCount()).toBe(before);
  });

  it('takes a file above the JSON body limit, up to its own', async () => {
    const content = Buffer.concat([sample_files.jpeg(), Buffer.alloc(t.config.limits.body_bytes_max * 2)]);
    const response = await upload(t, 'identity_document', content);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ type: 'image/jpeg', size_bytes: content.length });
  });

  it('refuses a file over the limit (413 file_too_large), storing nothing', async () => {
    const before = await fileCount();
    const limit = t.config.identity.file_bytes_max;
    expect(limit).toBe(10 * 1024 * 1024);
    const content = Buffer.concat([sample_files.png(), Buffer.alloc(limit)]);
    expectProblem(await upload(t, 'identity_document', content), 413, 'file_too_large', 'file');
    expect(await fileCount()).toBe(before);
  });

  it('refuses a form without a valid purpose or a file, with extra parts, or not multipart (400)', async () => {
    const before = await fileCount();
    expectProblem(await upload(t, 'selfie'), 400, 'invalid_request', 'purpose');
    const send = (parts: Parameters<typeof multipartForm>[0]) => {
      const form = multipartForm(parts);
      return t.request({ method: 'POST', url: '/v1/files', payload: form.payload, headers: form.headers });
    };
    expectProblem(
      await send([{ name: 'file', filename: 'a', content: sample_files.png() }]),
      400,
      'invalid_request',
      'purpose',
    );
    expectProblem(
      await send([{ name: 'purpose', content: 'identity_document' }]),
      400,
      'invalid_request',
      'file',
    );
    const two_files = await send([
      { name: 'purpose', content: 'identity_document' },
      { name: 'file', filename: 'a', content: sample_files.png() },
      { name: 'file', filename: 'b', content: sample_files.png() },
    ]);
    expectProblem(two_files, 400, 'invalid_request', 'file');
    const json = await t.request({
      method: 'POST',
      url: '/v1/files',
      payload: { purpose: 'identity_document' },
    });
    expectProblem(json, 400, 'invalid_request', 'file');
    expect(await fileCount()).toBe(before);
  });

  it('replays a retry under the same Idempotency-Key, and refuses another file under it (422)', async () => {
    const content = sample_files.png();
    const headers = { 'idempotency-key': 'upload-1' };
    const first = await upload(t, 'identity_document', content, { headers });
    const again = await upload(t, 'identity_document', content, { headers });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    expectProblem(
      await upload(t, 'identity_document', sample_files.png(), { headers }),
      422,
      'idempotency_key_reused',
      'Idempotency-Key',
    );
  });

  it('is scoped: files of a mode are 404 to the other, and a restricted key sees only its own uploads', async () => {
    const id = await uploadedFile(t, 'identity_document');
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/files/${id}`, key: t.live_key }),
      404,
      'resource_not_found',
    );
    const holder = (await t.request({ method: 'POST', url: '/v1/holders', payload: {} })).json().id;
    const restricted = await createKey(t, { scopes: ['files:write'], restrictions: { holder_id: holder } });
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/files/${id}`, key: restricted.secret }),
      404,
      'resource_not_found',
    );
    const own = await uploadedFile(t, 'identity_document', restricted.secret);
    expect(
      (await t.request({ method: 'GET', url: `/v1/files/${own}`, key: restricted.secret })).statusCode,
    ).toBe(200);
    const reader = await createKey(t, { scopes: ['holders:read'] });
    expectProblem(
      await upload(t, 'identity_document', sample_files.png(), { key: reader.secret }),
      403,
      'insufficient_scope',
      'files:write',
    );
  });
});
