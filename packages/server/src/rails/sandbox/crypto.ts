import { createHash } from 'node:crypto';
import { accepted, type PayInAccepted, type PayoutAccepted, type RailStep } from '../rail.js';

/** Networks the sandbox simulates, the assets each carries, and confirmations a deposit needs. */
export const crypto_networks: Readonly<
  Record<string, { readonly assets: readonly string[]; readonly confirmations_required: number }>
> = {
  bitcoin: { assets: ['BTC'], confirmations_required: 3 },
  ethereum: { assets: ['ETH', 'USDC'], confirmations_required: 2 },
};

/** A sandbox payout to an address ending in this is refused by the simulated chain. */
export const sandbox_rejected_address_suffix = 'dead';

/**
 * A deterministic sandbox deposit address for a wallet on a network: it looks like the network's
 * own (bech32-ish for bitcoin, 0x-hex for ethereum) but belongs to no real chain.
 */
export function sandboxDepositAddress(wallet_id: string, network: string): string {
  const digest = createHash('sha256').update(`purse-sandbox:${network}:${wallet_id}`).digest('hex');
  return network === 'bitcoin' ? `tb1q${digest.slice(0, 38)}` : `0x${digest.slice(0, 40)}`;
}

/** A simulated on-chain deposit: seen at once, one confirmation per sandbox step. */
export function sandboxCryptoDeposit(
  network: string,
  address: string,
  tx_hash: string,
  step_ms: number,
): PayInAccepted {
  const required = crypto_networks[network]?.confirmations_required ?? 1;
  const steps: RailStep[] = [];
  for (let n = 1; n <= required; n += 1)
    steps.push({ after_ms: n * step_ms, status: n === required ? 'succeeded' : 'confirming' });
  return {
    status: 'processing',
    source_view: { type: 'crypto', network, address, tx_hash },
    steps,
    confirmations_required: required,
  };
}

export function sandboxCryptoPayout(network: string, address: string, step_ms: number): PayoutAccepted {
  const rejected = address.toLowerCase().endsWith(sandbox_rejected_address_suffix);
  return {
    rail: 'crypto',
    status: 'pending',
    destination_view: { type: 'crypto', network, address },
    steps: [
      accepted,
      rejected
        ? { after_ms: step_ms, status: 'failed', failure_code: 'invalid_address' }
        : { after_ms: step_ms, status: 'paid' },
    ],
  };
}
