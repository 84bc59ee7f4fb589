import type { paths } from './generated/openapi.js';
import { bindResource, type Kind, type Operation, type ResourceOf } from './operation.js';
import type { ClientConfig } from './request.js';
import { resources } from './resources.js';
import { default_retry_policy } from './retry.js';
import { type FollowOptions, followEvents } from './stream.js';
import { type AdvanceAndWaitOptions, advanceAndWait, type TestClock } from './test-clocks.js';
import type { Event } from './webhooks.js';

export interface PurseOptions {
  /** Where the API answers; default `http://localhost:8080`. */
  readonly baseUrl?: string | undefined;
  /** Retries after the first attempt of a call (default 3); 0 turns retrying off. */
  readonly max_retries?: number | undefined;
  /** Per attempt, until the whole answer is read (default 30 s). */
  readonly timeout_ms?: number | undefined;
  /** No retry starts later than this after a call began (default 120 s). */
  readonly retry_total_ms_max?: number | undefined;
  /** Pins the API version for every call (`Purse-Version`); default: the key's pinned version. */
  readonly purse_version?: string | undefined;
  /** A `fetch` to use instead of the global one (a proxy agent, a test double). */
  readonly fetch?: typeof fetch | undefined;
}

const default_base_url = 'http://localhost:8080';
const default_timeout_ms = 30_000;

type Resources = { readonly [R in keyof typeof resources]: ResourceOf<(typeof resources)[R]> };

/**
 * The Purse API client: one property per resource, e.g.
 * `await new Purse(key).transfers.create({ ... })`.
 */
export class Purse {
  readonly assets!: Resources['assets'];
  readonly holders!: Resources['holders'];
  readonly wallets!: Resources['wallets'];
  readonly transfers!: Resources['transfers'];
  readonly payments!: Resources['payments'];
  readonly refunds!: Resources['refunds'];
  readonly escrows!: Resources['escrows'];
  readonly payouts!: Resources['payouts'];
  readonly payout_batches!: Resources['payout_batches'];
  readonly payout_files!: Resources['payout_files'];
  readonly bank_statements!: Resources['bank_statements'];
  readonly events!: Resources['events'] & {
    /**
     * The live event stream as an async iterator: reconnects with backoff when the connection
     * drops and resumes after the last event it yielded (`Last-Event-ID`), so no event is missed
     * or repeated. Ends when `signal` aborts or the loop breaks.
     */
    follow(options?: FollowOptions): AsyncGenerator<Event>;
  };
  readonly webhook_endpoints!: Resources['webhook_endpoints'];
  readonly api_keys!: Resources['api_keys'];
  readonly approvals!: Resources['approvals'];
  readonly challenges!: Resources['challenges'];
  readonly risk_rules!: Resources['risk_rules'];
  readonly risk_decisions!: Resources['risk_decisions'];
  readonly audit_logs!: Resources['audit_logs'];
  readonly products!: Resources['products'];
  readonly prices!: Resources['prices'];
  readonly coupons!: Resources['coupons'];
  readonly tax_rates!: Resources['tax_rates'];
  readonly subscriptions!: Resources['subscriptions'];
  readonly usage_records!: Resources['usage_records'];
  readonly invoices!: Resources['invoices'];
  readonly test_clocks!: Resources['test_clocks'] & {
    /**
     * Advances the clock to `frozen_time` and waits until it is `ready` again (the advance itself
     * answers `advancing` at once): every renewal and retry due on the way has run. Throws an
     * `ApiError` with code `timeout` after `timeout_ms` (default 60 s).
     */
    advanceAndWait(id: string, frozen_time: string, options?: AdvanceAndWaitOptions): Promise<TestClock>;
  };
  readonly reports!: Resources['reports'];
  readonly search!: Resources['search'];
  readonly fx_rates!: Resources['fx_rates'];
  readonly fx_quotes!: Resources['fx_quotes'];
  readonly conversions!: Resources['conversions'];
  readonly verification_sessions!: Resources['verification_sessions'];
  readonly oauth_clients!: Resources['oauth_clients'];
  readonly consents!: Resources['consents'];
  readonly operators!: Resources['operators'];
  readonly files!: Resources['files'];
  readonly test_helpers!: Resources['test_helpers'];
  /** The configuration every call of this client shares. */
  protected readonly config: ClientConfig;

  constructor(apiKey: string, options: PurseOptions = {}) {
    if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('Purse: an API key is required');
    this.config = clientConfig(apiKey, options);
    const bound = this as unknown as Record<string, unknown>;
    for (const [name, declaration] of Object.entries(resources))
      bound[name] = bindResource(this.config, declaration as Record<string, Operation<Kind, keyof paths>>);
    const config = this.config;
    Object.assign(this.events, { follow: (options?: FollowOptions) => followEvents(config, options) });
    const clocks = this.test_clocks;
    Object.assign(this.test_clocks, {
      advanceAndWait: (id: string, frozen_time: string, options?: AdvanceAndWaitOptions) =>
        advanceAndWait(clocks, id, frozen_time, options),
    });
  }
}

function clientConfig(api_key: string, options: PurseOptions): ClientConfig {
  const max_retries = options.max_retries ?? default_retry_policy.max_retries;
  if (!Number.isInteger(max_retries) || max_retries < 0)
    throw new RangeError('max_retries must be an integer >= 0');
  const timeout_ms = options.timeout_ms ?? default_timeout_ms;
  if (!(timeout_ms > 0)) throw new RangeError('timeout_ms must be > 0');
  return {
    api_key,
    base_url: options.baseUrl ?? default_base_url,
    timeout_ms,
    retry: {
      ...default_retry_policy,
      max_retries,
      total_ms_max: options.retry_total_ms_max ?? default_retry_policy.total_ms_max,
    },
    purse_version: options.purse_version,
    fetch: options.fetch ?? globalThis.fetch,
  };
}
