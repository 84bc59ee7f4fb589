import { formatAmount } from '../shared/money.js';

/** What one search result shows, composed from the row it came from (pure). */

export type SearchKind = 'holder' | 'wallet' | 'transfer' | 'payment' | 'payout';

export interface SearchHit {
  readonly object: SearchKind;
  readonly id: string;
  readonly livemode: boolean;
  readonly title: string;
  readonly subtitle: string;
  readonly created_at: string;
}

export interface HolderFound {
  readonly id: string;
  readonly livemode: boolean;
  readonly name: string | null;
  readonly email: string | null;
  readonly external_id: string | null;
  readonly kyc_status: string;
  readonly created_at: Date;
}

/** A wallet, transfer, payment or payout: an amount (a wallet's posted balance) in an asset. */
export interface MoneyFound {
  readonly object: Exclude<SearchKind, 'holder'>;
  readonly id: string;
  readonly livemode: boolean;
  readonly asset: string;
  readonly amount_minor: bigint;
  readonly status: string;
  /** The wallet paying (transfer, payout), paid (payment), or the wallet's holder. */
  readonly party: string | null;
  readonly created_at: Date;
}

export function holderHit(row: HolderFound): SearchHit {
  const details = [row.email, row.external_id].filter((detail): detail is string => detail !== null);
  return {
    object: 'holder',
    id: row.id,
    livemode: row.livemode,
    title: row.name ?? row.external_id ?? row.email ?? row.id,
    subtitle: [...details, `KYC ${row.kyc_status}`].join(' · '),
    created_at: row.created_at.toISOString(),
  };
}

const party_words = { wallet: 'holder', transfer: 'from', payment: 'into', payout: 'from' } as const;
const titles = { wallet: 'Wallet', transfer: 'Transfer', payment: 'Payment', payout: 'Payout' } as const;

export function moneyHit(row: MoneyFound, scale: number): SearchHit {
  const amount = `${formatAmount(row.amount_minor, scale)} ${row.asset}`;
  const party =
    row.party === null
      ? row.object === 'wallet'
        ? 'platform wallet'
        : null
      : `${party_words[row.object]} ${row.party}`;
  return {
    object: row.object,
    id: row.id,
    livemode: row.livemode,
    title:
      row.object === 'wallet' ? `${titles.wallet} in ${row.asset}` : `${titles[row.object]} of ${amount}`,
    subtitle: [row.object === 'wallet' ? amount : null, row.status, party]
      .filter((part): part is string => part !== null)
      .join(' · '),
    created_at: row.created_at.toISOString(),
  };
}

/** Newest first (ids are time-sortable within a kind; created_at orders across kinds). */
export function newestFirst(a: SearchHit, b: SearchHit): number {
  return b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);
}
