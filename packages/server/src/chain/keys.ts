import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english';
import { type Address, getAddress } from 'viem';
import { generateMnemonic, type HDAccount, HDKey, hdKeyToAccount } from 'viem/accounts';
import { open, seal } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import type { EvmConfig } from './config.js';

/**
 * Every key of the EVM rail derives from one BIP-39 mnemonic along BIP-44's Ethereum path
 * m/44'/60'/0'/0/index: index 0 is the hot wallet (payouts, gas for sweeps), 1 and up are deposit
 * addresses. The mnemonic is PURSE_EVM_MNEMONIC, or one generated on first use and stored sealed
 * (record class `signing`) in chain_secrets. A private key is derived only where something is signed.
 */
export const hot_wallet_index = 0;
const secret_name = 'evm_mnemonic';

/** The HD root of each mnemonic seen, so deriving an address costs no PBKDF2 (2,048 rounds). */
const roots = new Map<string, HDKey>();

export async function hdRoot(db: Queryable, config: EvmConfig, now: Date): Promise<HDKey> {
  const mnemonic = config.mnemonic ?? (await storedMnemonic(db, now));
  let root = roots.get(mnemonic);
  if (root === undefined) {
    if (!validateMnemonic(mnemonic, wordlist)) throw new Error('PURSE_EVM_MNEMONIC is not a BIP-39 mnemonic');
    root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
    roots.set(mnemonic, root);
  }
  return root;
}

/** The generated mnemonic, made and sealed by whichever process asks first (the others read it). */
async function storedMnemonic(db: Queryable, now: Date): Promise<string> {
  await db.query(
    'INSERT INTO chain_secrets (name, sealed, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [secret_name, seal('signing', generateMnemonic(wordlist)), now],
  );
  const found = await db.query<{ sealed: string }>('SELECT sealed FROM chain_secrets WHERE name = $1', [
    secret_name,
  ]);
  const sealed = found.rows[0]?.sealed;
  if (sealed === undefined) throw new Error('the EVM mnemonic vanished');
  return open('signing', sealed);
}

export function accountAt(root: HDKey, index: number): HDAccount {
  return hdKeyToAccount(root, { addressIndex: index });
}

export function addressAt(root: HDKey, index: number): Address {
  return getAddress(accountAt(root, index).address);
}
