import type { Queryable } from '../db/pool.js';
import type { FilePurpose } from '../files/schemas.js';
import { filesById } from '../files/service.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { ownershipHundredths, type SessionInput } from './outcomes.js';
import type { UpdateSessionInput } from './schemas.js';

/** An update's fields replace the session's; address and id_document merge field by field. */
export function mergeInput(current: SessionInput, update: UpdateSessionInput): SessionInput {
  const person =
    update.person === undefined
      ? current.person
      : {
          ...current.person,
          ...update.person,
          ...mergedPart('address', current.person?.address, update.person.address),
          ...mergedPart('id_document', current.person?.id_document, update.person.id_document),
        };
  const business =
    update.business === undefined
      ? current.business
      : {
          ...current.business,
          ...update.business,
          ...mergedPart('address', current.business?.address, update.business.address),
        };
  return {
    type: current.type,
    ...(person === undefined ? {} : { person }),
    ...(business === undefined ? {} : { business }),
  };
}

function mergedPart<K extends string, T extends object>(
  key: K,
  current: T | undefined,
  update: T | undefined,
): { [P in K]?: T } {
  if (update === undefined) return {};
  return { [key]: { ...current, ...update } } as { [P in K]?: T };
}

/** Who is attaching files: a restricted key may use only files it uploaded itself. */
export interface Attacher {
  readonly livemode: boolean;
  readonly key_id: string;
  readonly restricted: boolean;
}

/**
 * Input that does not fit its type, owners holding more than all of it, or files that cannot be
 * used. Files `attached` already (by whoever started the session) are not the caller's to check.
 */
export async function checkInput(
  db: Queryable,
  input: SessionInput,
  attacher: Attacher,
  attached: readonly string[] = [],
): Promise<Result<string[]>> {
  const other = input.type === 'person' ? 'business' : 'person';
  if (input[other] !== undefined)
    return fail(
      domainError('invalid_request', `A ${input.type} verification takes no ${other} input.`, other),
    );
  const owners = input.business?.owners ?? [];
  if (ownershipHundredths(owners) > 100_00)
    return fail(
      domainError(
        'invalid_request',
        "The owners' ownership_percent add up to more than 100.",
        'business.owners',
      ),
    );
  const wanted = filesOf(input);
  const found = await filesById(
    db,
    attacher.livemode,
    wanted.map((file) => file.id),
  );
  for (const { id, purpose, param } of wanted) {
    const file = found.get(id);
    // Another key's upload does not exist for a restricted key, as other objects it cannot see.
    const foreign = attacher.restricted && file?.api_key_id !== attacher.key_id && !attached.includes(id);
    if (file === undefined || foreign) return fail(notFound('file', id, param));
    if (file.purpose !== purpose) return fail(wrongPurpose(id, file.purpose, purpose, param));
  }
  return ok(wanted.map((file) => file.id));
}

function wrongPurpose(id: string, actual: FilePurpose, wanted: FilePurpose, param: string): DomainError {
  return domainError(
    'invalid_request',
    `File ${id} was uploaded as ${actual}; ${param} takes ${wanted}.`,
    param,
  );
}

/** Every file the input names, with the purpose its place requires. */
function filesOf(input: SessionInput): { id: string; purpose: FilePurpose; param: string }[] {
  const files: { id: string; purpose: FilePurpose; param: string }[] = [];
  const add = (id: string | undefined, purpose: FilePurpose, param: string) => {
    if (id !== undefined) files.push({ id, purpose, param });
  };
  const document = input.person?.id_document;
  add(document?.front_file, 'identity_document', 'person.id_document.front_file');
  add(document?.back_file, 'identity_document', 'person.id_document.back_file');
  add(input.person?.proof_of_address_file, 'proof_of_address', 'person.proof_of_address_file');
  for (const [i, id] of (input.business?.documents ?? []).entries())
    add(id, 'business_document', `business.documents[${i}]`);
  return files;
}
