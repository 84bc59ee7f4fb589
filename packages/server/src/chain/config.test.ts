import { describe, expect, it } from 'vitest';
import { evmFromEnv } from './config.js';

const token = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';

describe('the EVM rail configuration', () => {
  it('is off without an RPC URL', () => {
    expect(evmFromEnv({})).toBeUndefined();
  });

  it('reads assets, confirmations and low-balance thresholds as bigint minor units', () => {
    const config = evmFromEnv({
      PURSE_EVM_RPC_URL: 'http://node:8545',
      PURSE_EVM_CHAIN_ID: '1',
      PURSE_EVM_ASSETS: `ETH:native:12,USDC:${token.toLowerCase()}:20`,
      PURSE_EVM_LOW_BALANCE_MINOR: 'ETH:500000000000000000000,USDC:1000000000',
    });
    expect(config?.assets).toEqual([
      { asset: 'ETH', token: null, confirmations: 12, low_balance_minor: 500_000_000_000_000_000_000n },
      { asset: 'USDC', token, confirmations: 20, low_balance_minor: 1_000_000_000n },
    ]);
    expect(config?.start_block).toBeUndefined();
  });

  it('refuses what it cannot use, naming the variable', () => {
    const base = { PURSE_EVM_RPC_URL: 'http://node:8545', PURSE_EVM_CHAIN_ID: '1' };
    expect(() => evmFromEnv({ PURSE_EVM_RPC_URL: 'http://node:8545' })).toThrow(/PURSE_EVM_CHAIN_ID/);
    expect(() => evmFromEnv({ ...base, PURSE_EVM_ASSETS: 'USDC:0x12:3' })).toThrow(/PURSE_EVM_ASSETS/);
    expect(() => evmFromEnv({ ...base, PURSE_EVM_ASSETS: `USDC:${token}:3` })).toThrow(/exactly one native/);
    expect(() => evmFromEnv({ ...base, PURSE_EVM_ASSETS: 'ETH:native:0' })).toThrow(/PURSE_EVM_ASSETS/);
    expect(() => evmFromEnv({ ...base, PURSE_EVM_LOW_BALANCE_MINOR: 'ETH:1.5' })).toThrow(/LOW_BALANCE/);
    expect(() => evmFromEnv({ ...base, PURSE_EVM_POLL_MS: '0' })).toThrow(/PURSE_EVM_POLL_MS/);
    expect(() => evmFromEnv({ ...base, PURSE_EVM_START_BLOCK: 'latest' })).toThrow(/PURSE_EVM_START_BLOCK/);
    expect(evmFromEnv({ ...base, PURSE_EVM_START_BLOCK: '19000000' })?.start_block).toBe(19_000_000n);
  });
});
