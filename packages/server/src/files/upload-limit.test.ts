import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { multipartForm, sample_files, upload } from '../test-support/files.js';
import { expectProblem } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** An upload whose body arrives in two halves: it stays in flight until `finish` is called. */
function slowUpload(): { response: Promise<{ statusCode: number; body: string }>; finish: () => void } {
  const form = multipartForm([
    { name: 'purpose', content: 'identity_document' },
    { name: 'file', filename: 'document', content: sample_files.png(), type: 'image/png' },
  ]);
  const body = new PassThrough();
  const half = Math.floor(form.payload.length / 2);
  body.write(form.payload.subarray(0, half));
  const response = t.request({ method: 'POST', url: '/v1/files', payload: body, headers: form.headers });
  return { response, finish: () => body.end(form.payload.subarray(half)) };
}

describe('uploads in flight', () => {
  it('reads at most PURSE_FILE_UPLOADS_IN_FLIGHT_MAX uploads at once; beyond, 503 with Retry-After, storing nothing', async () => {
    const max = t.config.identity.file_uploads_in_flight_max;
    expect(max).toBe(4);
    const slow = Array.from({ length: max }, slowUpload);
    // Let every slow upload reach its handler and start reading.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await upload(t, 'identity_document');
    expectProblem(refused, 503, 'service_unavailable');
    expect(refused.headers['retry-after']).toBe('1');
    for (const one of slow) one.finish();
    for (const one of slow) expect((await one.response).statusCode).toBe(201);
    // The slots are given back, also by uploads that fail.
    expect((await upload(t, 'identity_document', Buffer.from('not a document'))).statusCode).toBe(415);
    for (let i = 0; i < max + 1; i += 1) expect((await upload(t, 'identity_document')).statusCode).toBe(201);
  });
});
