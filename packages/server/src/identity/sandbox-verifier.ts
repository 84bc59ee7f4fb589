import type { SessionInput } from './outcomes.js';
import type { Verifier, VerifierOutcome } from './verifier.js';

/**
 * The test-mode verifier: decides at once, by documented test data (docs/identity.md, "Sandbox
 * test data"), as Stripe's test mode does with magic values. Any other input is verified.
 */
export const sandbox_document_numbers = {
  rejected_fraudulent: '000000001',
  requires_input_unreadable: '000000002',
} as const;
export const sandbox_unverifiable_last_name = 'Unverifiable';
export const sandbox_unverified_address_line1 = '1 Unverified Street';
export const sandbox_registration_numbers = {
  rejected: '00000001',
  requires_document: '00000002',
} as const;

export const sandboxVerifier: Verifier = {
  name: 'sandbox',
  verify: async (input) => (input.type === 'person' ? person(input) : business(input)),
};

function person(input: SessionInput): VerifierOutcome {
  const person = input.person ?? {};
  const document_number = person.id_document?.number;
  if (document_number === sandbox_document_numbers.rejected_fraudulent)
    return {
      status: 'rejected',
      code: 'document_fraudulent',
      reason: 'The identity document is not genuine (sandbox).',
    };
  if (document_number === sandbox_document_numbers.requires_input_unreadable)
    return {
      status: 'requires_input',
      code: 'document_unreadable',
      reason: 'The document photo cannot be read; upload it again (sandbox).',
      fields: ['person.id_document.front_file'],
    };
  if (person.last_name?.toLowerCase() === sandbox_unverifiable_last_name.toLowerCase())
    return {
      status: 'rejected',
      code: 'identity_unverified',
      reason: 'No record confirms this person (sandbox).',
    };
  if (
    person.address?.line1 === sandbox_unverified_address_line1 &&
    person.proof_of_address_file === undefined
  )
    return {
      status: 'requires_input',
      code: 'address_unverified',
      reason: 'The address cannot be confirmed; upload a proof of address (sandbox).',
      fields: ['person.proof_of_address_file'],
    };
  return { status: 'verified' };
}

function business(input: SessionInput): VerifierOutcome {
  const business = input.business ?? {};
  if (business.registration_number === sandbox_registration_numbers.rejected)
    return {
      status: 'rejected',
      code: 'business_unverified',
      reason: 'No registry lists this business (sandbox).',
    };
  if (
    business.registration_number === sandbox_registration_numbers.requires_document &&
    (business.documents?.length ?? 0) === 0
  )
    return {
      status: 'requires_input',
      code: 'business_document_required',
      reason: 'Upload a registry extract of the business (sandbox).',
      fields: ['business.documents'],
    };
  return { status: 'verified' };
}
