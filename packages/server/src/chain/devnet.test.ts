import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, startDevnet } from '../test-support/evm/devnet.js';
import { devnetActors } from '../test-support/evm/token.js';

describe('the devnet and the test stablecoin', () => {
  let devnet: Devnet;
  beforeAll(async () => {
    devnet = await startDevnet();
  });
  afterAll(() => devnet.stop());

  it('deploys a 6-decimal token compiled from source that mints', async () => {
    const actors = devnetActors(devnet.rpc_url);
    const token = await actors.deployStablecoin();
    const holder = '0x00000000000000000000000000000000000000aa';
    await actors.mint(token, holder, 1_500_000n);
    expect(await actors.balanceOf(token, holder)).toBe(1_500_000n);
    const decimals = await actors.publicClient.readContract({
      address: token,
      abi: [
        {
          type: 'function',
          name: 'decimals',
          stateMutability: 'view',
          inputs: [],
          outputs: [{ type: 'uint8' }],
        },
      ],
      functionName: 'decimals',
    });
    expect(decimals).toBe(6);
  });
});
