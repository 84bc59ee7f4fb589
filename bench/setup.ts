/** Creating and funding the wallets a benchmark moves money between, through the API itself. */

export interface Api {
  readonly base_url: string;
  readonly api_key: string;
}

export async function post<T>(api: Api, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${api.base_url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.api_key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** POST /v1/transfers/batch under a fresh Idempotency-Key; throws unless every transfer was made. */
export async function postBatch(api: Api, transfers: readonly unknown[]): Promise<void> {
  const response = await fetch(`${api.base_url}/v1/transfers/batch`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${api.api_key}`,
      'content-type': 'application/json',
      'idempotency-key': crypto.randomUUID(),
    },
    body: JSON.stringify({ transfers }),
  });
  const body = (await response.json()) as { failed?: number };
  if (!response.ok || body.failed !== 0) throw new Error(`batch: ${response.status} ${JSON.stringify(body)}`);
}

/** Runs `work` for 0..count-1 with at most `concurrency` in flight; returns the results in order. */
export async function pooled<T>(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results;
}

/** EUR wallets that the conversions scenario converts into, at a USD → EUR rate set now. */
const eur_wallets_count = 1_000;

/**
 * Creates `count` USD wallets and gives each `balance` from a platform treasury wallet whose
 * overdraft covers it all (one batch request per 1,000 wallets), plus one hot fee wallet, and
 * EUR wallets with a USD → EUR rate for conversions.
 */
export async function createFundedWallets(
  api: Api,
  count: number,
  balance: string,
): Promise<{ wallets: string[]; fee_wallet: string; eur_wallets: string[] }> {
  const wallet = () =>
    post<{ id: string }>(api, '/v1/wallets', { currency: 'USD' }).then((created) => created.id);
  const treasury = await post<{ id: string }>(api, '/v1/wallets', {
    currency: 'USD',
    overdraft_limit: '1000000000.00',
  });
  const fee_wallet = await wallet();
  const wallets = await pooled(count, 32, wallet);
  for (let start = 0; start < wallets.length; start += 1000) {
    const transfers = wallets.slice(start, start + 1000).map((id) => ({
      source_wallet_id: treasury.id,
      destination_wallet_id: id,
      amount: balance,
      currency: 'USD',
    }));
    const batch = await post<{ failed: number }>(api, '/v1/transfers/batch', { transfers, atomic: true });
    if (batch.failed !== 0) throw new Error('funding failed');
  }
  await post(api, '/v1/fx_rates', { base: 'USD', quote: 'EUR', rate: '0.9217' });
  // Risk screening on, as on a platform with rules: every movement is screened against this one,
  // which no bench amount reaches (the "without risk screening" mode shows what it costs).
  await post(api, '/v1/risk_rules', {
    name: 'Large movements need a look',
    type: 'amount_above',
    action: 'review',
    currency: 'USD',
    amount: '1000000.00',
  });
  const euro = () =>
    post<{ id: string }>(api, '/v1/wallets', { currency: 'EUR' }).then((created) => created.id);
  const eur_wallets = await pooled(eur_wallets_count, 32, euro);
  return { wallets, fee_wallet, eur_wallets };
}
