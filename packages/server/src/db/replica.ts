import { performance } from 'node:perf_hooks';
import { isDatabaseUnavailable, type Pool } from './pool.js';

/**
 * Where the heavy reads run (reports, search, statements, the audit trail): on a hot standby
 * (DATABASE_REPLICA_URL) while it is provably at most `max_lag_ms` behind the primary, else on the
 * primary. Single-object reads, the lists apps poll after writing, authentication and everything
 * inside a write stay on the primary (docs/operations.md, "High availability").
 *
 * How stale the replica is, measured without a clock shared between servers and without writing:
 * every check notes the time `t` it asks the primary for its WAL position `p`, then asks the
 * replica how far it has replayed. Every write acknowledged before `t` committed at or below `p`,
 * so once the replica has replayed past `p` it holds all of them: it is at most `now - t` behind.
 * The replica is used while the newest such `t` is within `max_lag_ms`; when it stops replaying, is
 * unreachable or checks stop answering, `t` ages and reads move to the primary by themselves. An
 * idle primary does not make it look stale (`now() - pg_last_xact_replay_timestamp()` would).
 */
export interface ReadRouter {
  /** Runs a read that may be up to the bound stale; one that fails on the replica runs again on the primary. */
  run<T>(work: (pool: Pool) => Promise<T>): Promise<T>;
  /** Reads answered by each pool since start, and the replica's measured lag (undefined: never fresh). */
  stats(): {
    readonly replica_reads: number;
    readonly primary_reads: number;
    readonly lag_ms: number | undefined;
  };
  close(): void;
}

/** Every read on the primary: no replica is configured. */
export function primaryOnly(primary: Pool): ReadRouter {
  let primary_reads = 0;
  return {
    run(work) {
      primary_reads += 1;
      return work(primary);
    },
    stats: () => ({ replica_reads: 0, primary_reads, lag_ms: undefined }),
    close: () => undefined,
  };
}

interface Sample {
  /** performance.now() when the primary was asked. */
  readonly at_ms: number;
  /** The primary's WAL position then, in bytes. */
  readonly lsn: bigint;
}

/** Kept while the replica is behind them all; past it the oldest go (the bound only grows safer). */
const samples_max = 1_000;

const primary_lsn_sql = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn";
const replica_lsn_sql = `SELECT pg_is_in_recovery() AS in_recovery,
  pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::text AS lsn`;

export class ReplicaRouter implements ReadRouter {
  private samples: Sample[] = [];
  /** Every write acknowledged before this time (performance.now()) is on the replica. */
  private fresh_as_of_ms = Number.NEGATIVE_INFINITY;
  private replica_reads = 0;
  private primary_reads = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly primary: Pool,
    private readonly replica: Pool,
    private readonly max_lag_ms: number,
    private readonly now_ms: () => number = () => performance.now(),
  ) {}

  /** Checks four times per bound, so a healthy replica never ages past it between two checks. */
  start(): this {
    const interval_ms = Math.max(10, Math.floor(this.max_lag_ms / 4));
    const loop = async () => {
      await this.check().catch(() => undefined);
      if (!this.closed) this.timer = setTimeout(loop, interval_ms).unref();
    };
    void loop();
    return this;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  lagMs(): number | undefined {
    const lag_ms = this.now_ms() - this.fresh_as_of_ms;
    return Number.isFinite(lag_ms) ? lag_ms : undefined;
  }

  async run<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
    const lag_ms = this.lagMs();
    if (lag_ms === undefined || lag_ms > this.max_lag_ms) return this.onPrimary(work);
    try {
      const result = await work(this.replica);
      this.replica_reads += 1;
      return result;
    } catch (error) {
      if (!replicaFailed(error)) throw error;
      // Not again until a check finds it replaying.
      this.fresh_as_of_ms = Number.NEGATIVE_INFINITY;
      return this.onPrimary(work);
    }
  }

  stats() {
    return { replica_reads: this.replica_reads, primary_reads: this.primary_reads, lag_ms: this.lagMs() };
  }

  /** One measurement: how far the replica has replayed against what the primary had written. */
  private async check(): Promise<void> {
    const at_ms = this.now_ms();
    const primary = await this.primary.query<{ lsn: string }>(primary_lsn_sql);
    this.samples.push({ at_ms, lsn: BigInt(primary.rows[0]?.lsn ?? '0') });
    if (this.samples.length > samples_max) this.samples.shift();
    const replica = await this.replica.query<{ in_recovery: boolean; lsn: string | null }>(replica_lsn_sql);
    const row = replica.rows[0];
    // A replica URL that reached a primary (say, every standby is gone) is not a replica: unused.
    if (row === undefined || !row.in_recovery || row.lsn === null) {
      this.fresh_as_of_ms = Number.NEGATIVE_INFINITY;
      return;
    }
    const replayed = BigInt(row.lsn);
    const caught_up = this.samples.findLastIndex((sample) => sample.lsn <= replayed);
    const sample = this.samples[caught_up];
    if (sample === undefined) return;
    this.fresh_as_of_ms = Math.max(this.fresh_as_of_ms, sample.at_ms);
    this.samples = this.samples.slice(caught_up);
  }

  private onPrimary<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
    this.primary_reads += 1;
    return work(this.primary);
  }
}

/**
 * The replica could not answer (away, or a query cancelled by a conflict with recovery, 40001):
 * the read runs again on the primary. Not a statement timeout: that read would be as slow there.
 */
function replicaFailed(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === '57014') return false;
  return code === '40001' || isDatabaseUnavailable(error);
}
