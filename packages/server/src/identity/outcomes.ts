import type { BusinessInputValue, PersonInputValue } from './schemas.js';

/**
 * The pure half of verification: what input a session still needs, the rules every verifier
 * applies (age, document expiry), which tier a verified session gives, and what its result does
 * to the holder. The writer (service.ts) and the verifiers call these; nothing here reads a database.
 */

export const session_statuses = ['requires_input', 'processing', 'verified', 'rejected'] as const;
export type SessionStatus = (typeof session_statuses)[number];

export const rejection_codes = [
  'sanctions_match',
  'under_age',
  'document_expired',
  'document_fraudulent',
  'identity_unverified',
  'business_unverified',
  'operator_rejected',
] as const;
export type RejectionCode = (typeof rejection_codes)[number];

export const requires_input_codes = [
  'document_unreadable',
  'address_unverified',
  'business_document_required',
] as const;
export type RequiresInputCode = (typeof requires_input_codes)[number];

export interface SessionInput {
  readonly type: 'person' | 'business';
  readonly person?: PersonInputValue;
  readonly business?: BusinessInputValue;
}

export const adult_age_years = 18;

/** Paths of what a verification of this type needs and the input lacks, in a stable order. */
export function missingFields(input: SessionInput): string[] {
  return input.type === 'person'
    ? missingOfPerson(input.person ?? {})
    : missingOfBusiness(input.business ?? {});
}

function missingOfPerson(person: PersonInputValue): string[] {
  const missing = absent('person', person, ['first_name', 'last_name', 'dob']);
  missing.push(...absent('person.address', person.address, ['line1', 'city', 'country']));
  // A document is optional (it lifts the tier), but one begun must be whole.
  if (person.id_document !== undefined)
    missing.push(
      ...absent('person.id_document', person.id_document, [
        'type',
        'number',
        'issuing_country',
        'front_file',
      ]),
    );
  return missing;
}

function missingOfBusiness(business: BusinessInputValue): string[] {
  const missing = absent('business', business, ['legal_name', 'registration_number', 'country']);
  const owners = business.owners ?? [];
  if (owners.length === 0) missing.push('business.owners');
  for (const [i, owner] of owners.entries())
    missing.push(
      ...absent(`business.owners[${i}]`, owner, ['first_name', 'last_name', 'dob', 'ownership_percent']),
    );
  return missing;
}

function absent<T extends object>(
  prefix: string,
  value: T | undefined,
  fields: readonly (keyof T & string)[],
): string[] {
  return fields.filter((field) => value?.[field] === undefined).map((field) => `${prefix}.${field}`);
}

/** Paths of the input given, for the session's view: which fields it holds, never their values. */
export function providedFields(input: SessionInput): string[] {
  const paths: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (Array.isArray(value)) for (const [i, item] of value.entries()) walk(`${prefix}[${i}]`, item);
    else if (typeof value === 'object' && value !== null)
      for (const [key, inner] of Object.entries(value)) walk(`${prefix}.${key}`, inner);
    else if (value !== undefined) paths.push(prefix);
  };
  if (input.person !== undefined) walk('person', input.person);
  if (input.business !== undefined) walk('business', input.business);
  return paths;
}

/** Owners' shares in hundredths, summed exactly (they are decimal strings, never floats). */
export function ownershipHundredths(owners: readonly { ownership_percent?: string }[]): number {
  return owners.reduce((sum, owner) => {
    const [whole = '0', fraction = ''] = (owner.ownership_percent ?? '0').split('.');
    return sum + Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  }, 0);
}

export type Rejection = { readonly code: RejectionCode; readonly reason: string };

/** The rules every verifier applies before its own checks: an adult, with a document in date. */
export function ruleRejection(input: SessionInput, today: string): Rejection | undefined {
  const people = input.type === 'person' ? [input.person ?? {}] : [];
  for (const person of people) {
    if (person.dob !== undefined && ageOn(person.dob, today) < adult_age_years)
      return { code: 'under_age', reason: `The person is under ${adult_age_years}.` };
    const expires_on = person.id_document?.expires_on;
    if (expires_on !== undefined && expires_on < today)
      // No input value in a reason: reasons are shown to the holder's key and stored in clear.
      return { code: 'document_expired', reason: 'The identity document has expired.' };
  }
  return undefined;
}

/** Whole years from `dob` to `today`, both YYYY-MM-DD: compared as text, as the format sorts. */
export function ageOn(dob: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(dob.slice(0, 4));
  return today.slice(5) >= dob.slice(5) ? years : years - 1;
}

/**
 * The tier a verified session gives: 1 for a verified person or business, 2 when a document backs
 * it (a person's identity document, a business's registry document).
 */
export function verifiedTier(input: SessionInput): 1 | 2 {
  const documented =
    input.type === 'person'
      ? input.person?.id_document?.front_file !== undefined
      : (input.business?.documents?.length ?? 0) > 0;
  return documented ? 2 : 1;
}

export interface HolderKyc {
  readonly kyc_status: 'unverified' | 'pending' | 'verified' | 'rejected';
  readonly kyc_tier: number;
}

export type SessionResult =
  | { readonly status: 'verified'; readonly tier: number }
  | { readonly status: 'rejected'; readonly code: RejectionCode }
  | { readonly status: 'requires_input' | 'processing' };

/**
 * The holder after a session's result. A verification never lowers a tier; a rejection leaves an
 * earlier verification standing. (A sanctions match blocks the holder instead: apply.ts.)
 */
export function holderKycAfter(current: HolderKyc, result: SessionResult): HolderKyc {
  if (result.status === 'verified')
    return { kyc_status: 'verified', kyc_tier: Math.max(current.kyc_tier, result.tier) };
  if (current.kyc_status === 'verified') return current;
  return { kyc_status: result.status === 'rejected' ? 'rejected' : 'pending', kyc_tier: current.kyc_tier };
}
