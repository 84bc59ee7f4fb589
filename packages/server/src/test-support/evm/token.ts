import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  parseAbi,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devnet_chain_id } from './devnet.js';

const source_path = path.join(path.dirname(fileURLToPath(import.meta.url)), 'TestStablecoin.sol');

export const test_stablecoin_abi = parseAbi([
  'function mint(address to, uint256 value)',
  'function mintMany(address[] to, uint256 value)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function decimals() view returns (uint8)',
]);

/**
 * anvil's first prefunded account (its well-known development mnemonic): the outside world in
 * tests, which deploys the stablecoin and sends deposits. Never Purse's own key.
 */
export const devnet_funder = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
);

let compiled: Hex | undefined;

/** TestStablecoin.sol compiled with the pinned solc (a WebAssembly build: no native toolchain). */
export function stablecoinBytecode(): Hex {
  if (compiled !== undefined) return compiled;
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'TestStablecoin.sol': { content: readFileSync(source_path, 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['evm.bytecode'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const object = output.contracts['TestStablecoin.sol']?.TestStablecoin?.evm.bytecode.object;
  if (object === undefined) throw new Error('TestStablecoin missing from solc output');
  compiled = `0x${object}`;
  return compiled;
}

export function devnetChain(rpc_url: string) {
  return defineChain({
    id: devnet_chain_id,
    name: 'devnet',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpc_url] } },
  });
}

/** The outside world on the devnet: deploys the token, mints, sends ETH and tokens. */
export function devnetActors(rpc_url: string) {
  const chain = devnetChain(rpc_url);
  const transport = http(rpc_url);
  const publicClient = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ chain, transport, account: devnet_funder });
  return {
    publicClient,
    async deployStablecoin(): Promise<Address> {
      const hash = await wallet.deployContract({ abi: test_stablecoin_abi, bytecode: stablecoinBytecode() });
      const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.contractAddress === null || receipt.contractAddress === undefined)
        throw new Error('stablecoin not deployed');
      return receipt.contractAddress;
    },
    async mint(token: Address, to: Address, amount_minor: bigint): Promise<Hex> {
      const hash = await wallet.writeContract({
        address: token,
        abi: test_stablecoin_abi,
        functionName: 'mint',
        args: [to, amount_minor],
      });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      return hash;
    },
    async mintMany(token: Address, to: readonly Address[], amount_minor: bigint): Promise<Hex> {
      const hash = await wallet.writeContract({
        address: token,
        abi: test_stablecoin_abi,
        functionName: 'mintMany',
        args: [to, amount_minor],
        gas: 30_000_000n,
      });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      return hash;
    },
    async sendEth(to: Address, amount_wei: bigint): Promise<Hex> {
      const hash = await wallet.sendTransaction({ to, value: amount_wei });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      return hash;
    },
    balanceOf(token: Address, owner: Address): Promise<bigint> {
      return publicClient.readContract({
        address: token,
        abi: test_stablecoin_abi,
        functionName: 'balanceOf',
        args: [owner],
      });
    },
  };
}
