import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses, IdParams, ProblemRef } from '../http/schemas.js';
import type { IdentityConfig } from '../identity/config.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { FileObject, type FilePurpose, file_purposes, UploadFileForm } from './schemas.js';
import { contentSha256, getFile, storeFile } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route that takes multipart/form-data documents this form in the OpenAPI document. */
    multipart_form?: object;
  }
}

/** The form is `purpose` and one `file`; anything more is refused before it is read. */
const form_parts_max = 2;
const purpose_bytes_max = 100;

export function fileRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const identity = deps.config.identity;
  const tags = ['Files'];
  /** Uploads of this process being read or stored now (PURSE_FILE_UPLOADS_IN_FLIGHT_MAX). */
  let uploads_in_flight = 0;

  // Multipart is parsed in this scope only: every other route still takes JSON alone.
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: identity.file_bytes_max,
        files: 1,
        fields: 1,
        parts: form_parts_max,
        fieldSize: purpose_bytes_max,
      },
      throwFileSizeLimit: true,
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/v1/files',
      {
        config: { scope: 'files:write', multipart_form: UploadFileForm },
        schema: {
          tags,
          summary: 'Upload a file',
          description: `A document for a verification, as multipart/form-data with \`purpose\` and \`file\`: a PDF, JPEG or PNG (read from its first bytes) of at most ${identity.file_bytes_max} bytes. Stored encrypted; only its metadata is ever returned.`,
          response: { 201: FileObject, ...errorResponses, 413: ProblemRef, 415: ProblemRef },
        },
      },
      async (request, reply) => {
        // Checked before a byte of the form is read: a refused upload costs no memory.
        if (uploads_in_flight >= identity.file_uploads_in_flight_max)
          return sendProblem(request, reply, uploadsBusy(identity));
        uploads_in_flight += 1;
        try {
          return await receiveUpload(request, reply);
        } finally {
          uploads_in_flight -= 1;
        }
      },
    );
  });

  /** Reads the form (held whole in memory: the in-flight limit bounds it) and stores the file. */
  async function receiveUpload(request: FastifyRequest, reply: FastifyReply) {
    const upload = await readUpload(request, identity);
    if (!upload.ok) return sendProblem(request, reply, upload.error);
    const { purpose, content } = upload.value;
    // The idempotency fingerprint is taken of the body: here the form, with the content's hash,
    // so that a retry sending another file under the same key is 422, not the first file's answer.
    request.body = { purpose, content_bytes: content.length, content_sha256: contentSha256(content) };
    const { livemode, key_id } = authOf(request);
    return runMutation(mutation, request, reply, 201, (db) =>
      storeFile(db, { livemode, api_key_id: key_id, purpose, content }, deps.clock.now()),
    );
  }

  app.get(
    '/v1/files/:id',
    {
      config: { scope: 'files:read' },
      schema: {
        tags,
        summary: 'Retrieve a file',
        description: "The file's metadata (purpose, type, size, SHA-256); its content is never served back.",
        params: IdParams,
        response: { 200: FileObject, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getFile(deps.pool, authOf(request).livemode, request.params.id)),
  );
}

interface Upload {
  readonly purpose: FilePurpose;
  readonly content: Buffer;
}

/** Reads the form's parts, each bounded (see the limits above), and checks what they say. */
async function readUpload(request: FastifyRequest, identity: IdentityConfig): Promise<Result<Upload>> {
  if (!request.isMultipart()) return fail(formError('Send the file as multipart/form-data.', 'file'));
  let purpose: unknown;
  let content: Buffer | undefined;
  let unexpected: string | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        // Every file part is read to its end (bounded by fileSize), or the request would stall.
        const bytes = await part.toBuffer();
        if (part.fieldname === 'file') content = bytes;
        else unexpected ??= part.fieldname;
      } else if (part.fieldname === 'purpose') purpose = part.value;
      else unexpected ??= part.fieldname;
    }
  } catch (error) {
    return fail(multipartError(error, identity));
  }
  if (unexpected !== undefined)
    return fail(formError(`Unknown form field \`${unexpected}\`: send purpose and file.`, unexpected));
  if (!isPurpose(purpose))
    return fail(formError(`purpose must be one of ${file_purposes.join(', ')}.`, 'purpose'));
  if (content === undefined) return fail(formError('The form has no file part named `file`.', 'file'));
  return ok({ purpose, content });
}

function uploadsBusy(identity: IdentityConfig): DomainError {
  return domainError(
    'service_unavailable',
    `This server is reading ${identity.file_uploads_in_flight_max} uploads already (PURSE_FILE_UPLOADS_IN_FLIGHT_MAX); retry shortly.`,
  );
}

function isPurpose(value: unknown): value is FilePurpose {
  return typeof value === 'string' && (file_purposes as readonly string[]).includes(value);
}

function formError(detail: string, param: string): DomainError {
  return domainError('invalid_request', detail, param);
}

/**
 * What reading the form threw: the size limit is 413; everything else is the client's form (no
 * boundary, a part cut short, too many parts), 400. Nothing in the loop is ours to get wrong.
 */
function multipartError(error: unknown, identity: IdentityConfig): DomainError {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'FST_REQ_FILE_TOO_LARGE')
    return domainError(
      'file_too_large',
      `The file is larger than ${identity.file_bytes_max} bytes (PURSE_FILE_BYTES_MAX).`,
      'file',
    );
  return formError(
    `The form cannot be read (${message ?? code ?? 'malformed'}); send purpose and one file.`,
    'file',
  );
}
