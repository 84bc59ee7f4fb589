import { createHash } from 'node:crypto';
import { sealBytes } from '../crypto/keyring.js';
import type { Client, Queryable } from '../db/pool.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type FileType, file_types, sniffFileType } from './file-types.js';
import type { FilePurpose } from './schemas.js';

interface FileRow {
  id: string;
  livemode: boolean;
  purpose: FilePurpose;
  type: FileType;
  size_bytes: number;
  sha256: string;
  api_key_id: string;
  created_at: Date;
}

export interface FileView {
  readonly id: string;
  readonly object: 'file';
  readonly livemode: boolean;
  readonly purpose: FilePurpose;
  readonly type: FileType;
  readonly size_bytes: number;
  readonly sha256: string;
  readonly created_at: string;
}

/** Every column but the content: no read of a file's metadata ever loads (or opens) its bytes. */
const metadata_columns = 'id, livemode, purpose, type, size_bytes, sha256, api_key_id, created_at';

function viewFile(row: FileRow): FileView {
  return {
    id: row.id,
    object: 'file',
    livemode: row.livemode,
    purpose: row.purpose,
    type: row.type,
    size_bytes: row.size_bytes,
    sha256: row.sha256,
    created_at: row.created_at.toISOString(),
  };
}

export interface NewFile {
  readonly livemode: boolean;
  readonly api_key_id: string;
  readonly purpose: FilePurpose;
  readonly content: Buffer;
}

/** Stores an upload sealed (record class `file`) if its first bytes say it is a type we take. */
export async function storeFile(db: Client, file: NewFile, now: Date): Promise<Result<FileView>> {
  const type = sniffFileType(file.content);
  if (type === undefined)
    return fail(
      domainError(
        'file_type_unsupported',
        `The file is not one of ${file_types.join(', ')} by its content; the declared type does not count.`,
        'file',
      ),
    );
  const inserted = await db.query<FileRow>(
    `INSERT INTO files (id, livemode, purpose, type, size_bytes, sha256, api_key_id, content, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${metadata_columns}`,
    [
      newId('file', now.getTime()),
      file.livemode,
      file.purpose,
      type,
      file.content.length,
      contentSha256(file.content),
      file.api_key_id,
      sealBytes('file', file.content),
      now,
    ],
  );
  const row = inserted.rows[0];
  if (row === undefined) throw new Error('INSERT ... RETURNING gave no row');
  return ok(viewFile(row));
}

export function contentSha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export async function getFile(db: Queryable, livemode: boolean, id: string): Promise<Result<FileView>> {
  const found = await db.query<FileRow>(
    `SELECT ${metadata_columns} FROM files WHERE id = $1 AND livemode = $2`,
    [id, livemode],
  );
  const row = found.rows[0];
  return row === undefined ? fail(notFound('file', id)) : ok(viewFile(row));
}

export interface AttachableFile {
  readonly id: string;
  readonly purpose: FilePurpose;
  readonly api_key_id: string;
}

/** The files of this mode among `ids`, with what a verification checks before using them. */
export async function filesById(
  db: Queryable,
  livemode: boolean,
  ids: readonly string[],
): Promise<Map<string, AttachableFile>> {
  const found = await db.query<AttachableFile>(
    'SELECT id, purpose, api_key_id FROM files WHERE id = ANY($1::text[]) AND livemode = $2',
    [[...new Set(ids)], livemode],
  );
  return new Map(found.rows.map((row) => [row.id, row]));
}
