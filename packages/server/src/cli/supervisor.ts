import cluster, { type Worker as ClusterChild } from 'node:cluster';
import type { Logger } from './logger.js';
import { afterCrash, type RestartPolicy } from './restarts.js';

/** What a child of `purse serve --processes` runs: the HTTP API, or the background worker. */
export type ChildRole = 'api' | 'worker';

/** The variable that tells a forked child its role (set by the primary, not by operators). */
export const child_role_variable = 'PURSE_CHILD_ROLE';

/** Messages over the cluster's IPC channel: child to primary, then primary to child. */
export const ready_message = 'purse:ready';
export const shutdown_message = 'purse:shutdown';

interface Slot {
  readonly role: ChildRole;
  readonly index: number;
  child: ClusterChild | undefined;
  ready_at_ms: number | undefined;
  /** Crashes in a row (restarts.ts). */
  crashes: number;
  restart_timer: NodeJS.Timeout | undefined;
  /** Resolves once the slot's first child is ready. */
  readonly first_ready: Promise<void>;
  readonly markReady: () => void;
}

export interface SupervisorDeps {
  readonly log: Logger;
  readonly policy: RestartPolicy;
  /** Called when a slot crashed too often in a row: the primary shuts down and exits 1. */
  giveUp(): void;
}

/**
 * The primary's children (node:cluster, so the API processes share one listening port): one per
 * slot, restarted with a growing delay when it exits unasked, given up on when it keeps crashing
 * (restarts.ts). Stopping goes role by role, so the API processes stop before the worker.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private env: Readonly<Record<string, string>> = {};
  private stopping = false;
  /** Children that exited non-zero, or by a signal, after being asked to stop. */
  private unclean_stops = 0;

  constructor(private readonly deps: SupervisorDeps) {}

  /**
   * Forks a child per role, each with `env` on top of the primary's environment (and its role);
   * resolves once every one of them has been ready.
   */
  async start(roles: readonly ChildRole[], env: Readonly<Record<string, string>>): Promise<void> {
    this.env = env;
    for (const role of roles) {
      let markReady: () => void = () => undefined;
      const first_ready = new Promise<void>((resolve) => {
        markReady = resolve;
      });
      const slot: Slot = {
        role,
        index: this.slots.length,
        child: undefined,
        ready_at_ms: undefined,
        crashes: 0,
        restart_timer: undefined,
        first_ready,
        markReady,
      };
      this.slots.push(slot);
      this.fork(slot);
    }
    await Promise.all(this.slots.map((slot) => slot.first_ready));
  }

  /** Asks every child of `role` to stop, and waits until each has exited; nothing restarts after. */
  async stopRole(role: ChildRole): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) clearTimeout(slot.restart_timer);
    const children = this.slots.flatMap((slot) => (slot.role === role && slot.child ? [slot.child] : []));
    await Promise.all(children.map(stopChild));
  }

  get stopped_unclean(): boolean {
    return this.unclean_stops > 0;
  }

  /** SIGKILL to every child still running: the primary is exiting now. */
  killAll(): void {
    for (const slot of this.slots) slot.child?.process.kill('SIGKILL');
  }

  private fork(slot: Slot): void {
    const { log, policy } = this.deps;
    const child = cluster.fork({ ...this.env, [child_role_variable]: slot.role });
    const facts = { role: slot.role, slot: slot.index, child_pid: child.process.pid };
    slot.child = child;
    slot.ready_at_ms = undefined;
    log.info(facts, `started ${slot.role} process`);
    const start_timer = setTimeout(() => {
      log.error(
        { ...facts, start_ms_max: policy.start_ms_max },
        `${slot.role} process not ready in time: killing it`,
      );
      child.process.kill('SIGKILL');
    }, policy.start_ms_max);
    start_timer.unref();
    child.on('message', (message: unknown) => {
      if (message !== ready_message) return;
      clearTimeout(start_timer);
      slot.ready_at_ms = Date.now();
      log.info(facts, `${slot.role} process ready`);
      slot.markReady();
    });
    child.on('exit', (code: number | null, signal: string | null) => {
      clearTimeout(start_timer);
      slot.child = undefined;
      this.exited(slot, { ...facts, code, signal });
    });
  }

  private exited(slot: Slot, facts: { code: number | null; signal: string | null }): void {
    const { log, policy } = this.deps;
    if (this.stopping) {
      if (facts.code !== 0) this.unclean_stops += 1;
      log.info(facts, `${slot.role} process stopped`);
      return;
    }
    const ready_for_ms = slot.ready_at_ms === undefined ? undefined : Date.now() - slot.ready_at_ms;
    const next = afterCrash(slot.crashes, ready_for_ms, policy);
    slot.crashes = next.crashes;
    if (next.kind === 'give_up') {
      log.error({ ...facts, crashes: next.crashes }, `${slot.role} process keeps crashing: giving up`);
      this.deps.giveUp();
      return;
    }
    log.error({ ...facts, restart_in_ms: next.delay_ms }, `${slot.role} process exited: restarting it`);
    slot.restart_timer = setTimeout(() => {
      slot.restart_timer = undefined;
      if (!this.stopping) this.fork(slot);
    }, next.delay_ms);
  }
}

/** Asks a child to stop in order (SIGTERM when its channel is gone); resolves once it has exited. */
function stopChild(child: ClusterChild): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = () => {
    child.process.kill('SIGTERM');
  };
  if (child.isConnected()) child.send(shutdown_message, (error: Error | null) => error && signal());
  else signal();
  return exited;
}
