import { createTestApp, type TestApp } from '../../../server/src/test-support/app.js';
import { createKey } from '../../../server/src/test-support/keys.js';
import { funded, newWallet } from '../../../server/src/test-support/money.js';

/**
 * A real Purse server on a socket (its own database) and the agent of docs/guides/agent-budget.md:
 * a key restricted to one wallet holding 500.00, allowed to pay one vendor up to 30.00 a movement
 * and 50.00 a day, with anything above 20.00 parked for approval.
 */
export interface AgentWorld {
  readonly t: TestApp;
  /** The server's address, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly agent_key: string;
  readonly agent_key_id: string;
  readonly agent_wallet: string;
  readonly vendor_wallet: string;
  /** A wallet the agent's key does not own and may not pay. */
  readonly stranger_wallet: string;
}

export const agent_spend_policy = {
  limits: [{ currency: 'USD', per_movement_max: '30.00', daily_max: '50.00', approval_above: '20.00' }],
};

export async function startAgentWorld(): Promise<AgentWorld> {
  const t = await createTestApp();
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const agent_wallet = await funded(t, '500.00');
  const vendor_wallet = await newWallet(t);
  const stranger_wallet = await newWallet(t);
  const key = await createKey(t, {
    name: 'agent',
    scopes: ['wallets:read', 'transfers:write', 'payments:write', 'payouts:write', 'approvals:read'],
    restrictions: { wallet_ids: [agent_wallet] },
    spend_policy: { ...agent_spend_policy, allowed_destinations: { wallet_ids: [vendor_wallet] } },
  });
  return {
    t,
    url,
    agent_key: key.secret,
    agent_key_id: key.id,
    agent_wallet,
    vendor_wallet,
    stranger_wallet,
  };
}
