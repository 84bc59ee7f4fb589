/**
 * One movement of money a request asks for, as the access checks see it: which wallet pays (and
 * the request field naming it), where it goes, how much. Built from the request before it runs.
 */
export interface Movement {
  readonly source_wallet_id: string;
  readonly source_param: string;
  /** Wallets that receive; empty when the money leaves Purse (payouts, card refunds). */
  readonly destination_wallet_ids: readonly string[];
  readonly external: boolean;
  readonly currency: string;
  readonly scale: number;
  readonly amount_minor: bigint;
  /** False when the money was already counted (an escrow release was counted when funded). */
  readonly counts: boolean;
}

/** Per movement of a finished request: the id of the object it made, or undefined if it failed. */
export type Done = readonly (string | undefined)[];
