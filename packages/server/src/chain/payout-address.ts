import { getAddress, isAddress } from 'viem';
import type { PayoutAccepted } from '../rails/rail.js';
import { domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';

/**
 * A payout on the EVM rail, accepted when its address is one: 40 hex digits, and where it mixes
 * cases, a valid EIP-55 checksum (a typo in a checksummed address is refused, not sent). It waits
 * in `pending` for the worker to sign and broadcast it (chain/send-payouts.ts).
 */
export function evmPayout(network: string, address: string): Result<PayoutAccepted> {
  if (!isAddress(address, { strict: true }))
    return fail(
      domainError(
        'invalid_request',
        `"${address}" is not an ${network} address (0x and 40 hex digits, with a valid EIP-55 checksum when it mixes cases).`,
        'destination.address',
      ),
    );
  return ok({
    rail: 'crypto',
    status: 'pending',
    destination_view: { type: 'crypto', network, address: getAddress(address) },
    steps: [],
  });
}
