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
  /**
   * A pay-in: money comes from outside Purse into the destinations, and `source_wallet_id` names
   * the wallet paid into (the one a key must be allowed to use). Amount rules and balance caps
   * apply to it; nothing leaves a wallet, so it is not in the movement log.
   */
  readonly inflow: boolean;
  readonly currency: string;
  readonly scale: number;
  readonly amount_minor: bigint;
  /** False when the money was already counted (an escrow release was counted when funded). */
  readonly counts: boolean;
  /**
   * Nothing moves now, but the request decides where this money goes later (a dispute resumed,
   * which re-arms the escrow's automatic release): restrictions and the spend policy check that the
   * key may decide it; risk rules judge money that moves, so they neither check nor count it (the
   * automatic settlement is screened by them when it runs).
   */
  readonly decides_only?: true;
  /**
   * Money that has already arrived (a deposit to a deposit address): it cannot be sent back by
   * refusing the request, so a rule that would block it holds it for review instead (an approval),
   * and it is credited only once approved.
   */
  readonly arrived?: true;
  /**
   * What the destinations receive when it is another currency than what leaves the source (a
   * conversion, or a transfer that converts on its way): rules of the target currency judge the
   * receiving side (a tier's balance and inflow caps) with these figures, rules of the source
   * currency the paying side.
   */
  readonly received?: Received;
}

export interface Received {
  readonly currency: string;
  readonly scale: number;
  readonly amount_minor: bigint;
}

/** What the destinations of a movement receive: its own figures unless it converts. */
export function receivedOf(movement: Movement): Received {
  return movement.received ?? movement;
}

/** Per movement of a finished request: the id of the object it made, or undefined if it failed. */
export type Done = readonly (string | undefined)[];
