import type { LiveVerifierName } from './config.js';
import type { RejectionCode, RequiresInputCode, SessionInput } from './outcomes.js';
import { sandboxVerifier } from './sandbox-verifier.js';

/**
 * Who checks a session's input against the world (documents, registries, databases). A verifier
 * sees complete input that passed the common rules and the sanctions screening, and answers:
 *
 * - `verified`;
 * - `rejected` with a code;
 * - `requires_input`: these fields again (a blurred photo, an address that needs a proof);
 * - `processing`: it decides later. The session waits with review `manual` until an operator (or,
 *   for a provider, the adapter's callback) approves or rejects it.
 *
 * To add a provider: implement `Verifier` in a module of its own (its HTTP client, credentials
 * from the environment), answer `processing` when the provider decides asynchronously, add its
 * name to `live_verifier_names` (config.ts) and to `liveVerifier` below. Nothing else changes.
 */
export type VerifierOutcome =
  | { readonly status: 'verified' }
  | { readonly status: 'rejected'; readonly code: RejectionCode; readonly reason: string }
  | {
      readonly status: 'requires_input';
      readonly code: RequiresInputCode;
      readonly reason: string;
      readonly fields: readonly string[];
    }
  | { readonly status: 'processing' };

export interface Verifier {
  readonly name: string;
  verify(input: SessionInput): Promise<VerifierOutcome>;
}

/** Live mode without a provider: every complete session waits for an operator's decision. */
const manualVerifier: Verifier = {
  name: 'manual',
  verify: async () => ({ status: 'processing' }),
};

function liveVerifier(name: LiveVerifierName): Verifier {
  switch (name) {
    case 'manual':
      return manualVerifier;
  }
}

/** Test mode always uses the sandbox, whose outcome the input's test data chooses; live mode the configured one. */
export function verifierFor(livemode: boolean, live: LiveVerifierName): Verifier {
  return livemode ? liveVerifier(live) : sandboxVerifier;
}
