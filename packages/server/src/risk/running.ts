import { assert } from '../shared/assert.js';

/**
 * One movement as the movement log keeps it: money leaving a wallet (`out`: what velocity and
 * outflow rules count) or arriving at a holder's (`in`: what a tier's inflow caps count; then
 * `source_wallet_id` is the wallet it arrived at and `holder_id` its holder).
 */
export interface LoggedMovement {
  readonly direction: 'out' | 'in';
  readonly source_wallet_id: string;
  readonly holder_id: string | null;
  readonly api_key_id: string;
  readonly asset: string;
  readonly amount_minor: bigint;
}

export type LogColumn = 'source_wallet_id' | 'holder_id' | 'api_key_id';

/**
 * What the movements already screened in this transaction will move, before any of it is in the
 * movement log or the balances: a group-commit batch screens every job before it writes any, so
 * each job is checked against the database plus this. An entry is added when its request passes
 * the checks, whether or not the ledger then refuses it: counting a movement that fails can only
 * refuse a later one too many, never let one too many through.
 */
export class RunningMovements {
  private readonly logged: LoggedMovement[] = [];
  private readonly credits = new Map<string, bigint>();

  constructor(private readonly below?: RunningMovements) {}

  /** A layer on top, for one request's own movements while it is screened; see `keep`. */
  layer(): RunningMovements {
    return new RunningMovements(this);
  }

  /** Adds this layer's movements to the one below: its request passed. */
  keep(): void {
    assert(this.below !== undefined, 'only a layer is kept');
    this.below.logged.push(...this.logged);
    for (const [wallet_id, amount] of this.credits)
      this.below.credits.set(wallet_id, this.below.credited(wallet_id, false) + amount);
  }

  /** A movement as logged (leaving a wallet, arriving at holders) that credits `destinations`. */
  add(logged: readonly LoggedMovement[], destination_wallet_ids: readonly string[], amount_minor: bigint) {
    assert(amount_minor > 0n, 'a movement moves a positive amount');
    this.logged.push(...logged);
    for (const id of new Set(destination_wallet_ids))
      this.credits.set(id, this.credited(id, false) + amount_minor);
  }

  /** Count and sum of the logged movements with `column` = `value` (in `asset` if given). */
  sum(
    column: LogColumn,
    value: string,
    asset?: string,
    direction: 'out' | 'in' = 'out',
  ): { count: number; amount: bigint } {
    const below = this.below?.sum(column, value, asset, direction) ?? { count: 0, amount: 0n };
    let { count, amount } = below;
    for (const movement of this.logged) {
      if (movement.direction !== direction || movement[column] !== value) continue;
      if (asset !== undefined && movement.asset !== asset) continue;
      count += 1;
      amount += movement.amount_minor;
    }
    return { count, amount };
  }

  /** What the wallet will have received from the movements screened so far (in layers below too). */
  credited(wallet_id: string, with_below = true): bigint {
    const own = this.credits.get(wallet_id) ?? 0n;
    return with_below && this.below !== undefined ? own + this.below.credited(wallet_id) : own;
  }
}
