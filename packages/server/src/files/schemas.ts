import { Type } from '@sinclair/typebox';
import { Timestamp } from '../http/schemas.js';
import { file_types } from './file-types.js';

export const file_purposes = ['identity_document', 'proof_of_address', 'business_document'] as const;
export type FilePurpose = (typeof file_purposes)[number];

const Purpose = Type.Union(
  file_purposes.map((purpose) => Type.Literal(purpose)),
  { description: 'What the file is for: which verification input may use it.' },
);

/** A stored file as the API shows it: what it is, never what it holds. */
export const FileObject = Type.Object(
  {
    id: Type.String({ examples: ['file_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('file'),
    livemode: Type.Boolean(),
    purpose: Purpose,
    type: Type.Union(
      file_types.map((type) => Type.Literal(type)),
      { description: 'Read from the first bytes of the content, not from the declared content type.' },
    ),
    size_bytes: Type.Integer({ examples: [48213] }),
    sha256: Type.String({
      description: 'SHA-256 of the content, hex: compare it with your copy to confirm the upload.',
      examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    }),
    created_at: Timestamp,
  },
  { $id: 'File' },
);

/** The multipart form `POST /v1/files` takes, for the OpenAPI document (the handler reads the parts). */
export const UploadFileForm = Type.Object(
  {
    purpose: Purpose,
    file: Type.String({
      contentEncoding: 'binary',
      description: 'The file: a PDF, JPEG or PNG, up to PURSE_FILE_BYTES_MAX (10 MB by default).',
    }),
  },
  { examples: [{ purpose: 'identity_document', file: '(binary)' }] },
);
