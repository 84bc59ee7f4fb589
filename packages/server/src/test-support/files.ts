import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface FormPart {
  readonly name: string;
  readonly content: Buffer | string;
  /** Set for a file part. */
  readonly filename?: string;
  /** The declared Content-Type of a file part, which Purse does not trust. */
  readonly type?: string;
}

/** A multipart/form-data body written by hand, as a browser or curl -F would send it. */
export function multipartForm(parts: readonly FormPart[]): {
  payload: Buffer;
  headers: Record<string, string>;
} {
  const boundary = `----purse${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.filename === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.filename}"`;
    const type = part.type === undefined ? '' : `Content-Type: ${part.type}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** The first bytes of each type Purse takes, then some random bytes. */
export const sample_files = {
  png: () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]),
  jpeg: () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64)]),
  pdf: () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(64)]),
};

export function upload(
  t: TestApp,
  purpose: string,
  content: Buffer = sample_files.png(),
  options: { key?: string; type?: string; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const form = multipartForm([
    { name: 'purpose', content: purpose },
    { name: 'file', filename: 'document', content, type: options.type ?? 'image/png' },
  ]);
  return t.request({
    method: 'POST',
    url: '/v1/files',
    payload: form.payload,
    headers: { ...form.headers, ...options.headers },
    ...(options.key === undefined ? {} : { key: options.key }),
  });
}

/** Uploads a PNG with this purpose and returns its id. */
export async function uploadedFile(t: TestApp, purpose: string, key?: string): Promise<string> {
  const response = await upload(t, purpose, sample_files.png(), key === undefined ? {} : { key });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}
