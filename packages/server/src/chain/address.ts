import { createRequire } from 'node:module';
import type { keccak_256 } from '@noble/hashes/sha3';
import type { Address } from 'viem';

// Loaded on the first address checked: every process reads the configuration, most name no EVM
// asset, and the hash's module costs about 10 ms of start.
const require = createRequire(import.meta.url);
let keccak: typeof keccak_256 | undefined;

/**
 * EIP-55 address checks without viem: configuration is read by every process, `purse verify`
 * included, and importing viem costs about 600 ms of start (docs/decisions.md, issue 21). Agrees
 * with viem's `isAddress` (strict) and `getAddress`; address.test.ts holds them to it.
 */
const hex_address = /^0x[0-9a-fA-F]{40}$/;

/** The address with EIP-55 mixed-case checksum; `text` must match `hex_address`. */
function checksummed(text: string): Address {
  const lower = text.slice(2).toLowerCase();
  keccak ??= (require('@noble/hashes/sha3') as { keccak_256: typeof keccak_256 }).keccak_256;
  const hash = keccak(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < lower.length; i += 1) {
    // Nibble i of the hash: its high half for even i, its low half for odd i.
    const byte = hash[i >> 1] ?? 0;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    out += nibble >= 8 ? (lower[i] ?? '').toUpperCase() : lower[i];
  }
  return out as Address;
}

/** The checksummed address, or undefined when `text` is not one: all lower case, or its checksum exactly. */
export function parseAddress(text: string): Address | undefined {
  if (!hex_address.test(text)) return undefined;
  const address = checksummed(text);
  return text === text.toLowerCase() || address === text ? address : undefined;
}
