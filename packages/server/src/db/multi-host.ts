import pg from 'pg';
import { acceptable, type HostList, passesOf, type SessionState, type TargetSessionAttrs } from './hosts.js';

/**
 * Connections to the first suitable host of a multi-host URL (db/hosts.ts), as libpq does with
 * `target_session_attrs`, for node-postgres, which has no such thing. A `HostSelector` remembers
 * the host it last found suitable; every new pooled connection goes there and checks, once
 * connected, that the session is still what the target asks (a primary may have become a standby).
 * When a connection fails or is refused, the selector forgets the host and the next connection
 * probes the list in order, one throwaway connection per host, so after a failover new
 * connections find the promoted standby. The connection that found out fails (08001, a 503).
 */

/** SQLSTATE 08001 (sqlclient_unable_to_establish_sqlconnection): no host would do, for now. */
export class NoSuitableHostError extends Error {
  readonly code = '08001';
}

interface Host {
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

interface Chosen {
  readonly host: Host;
  /** Found on `prefer-standby`'s second pass (no standby answered): any session will do there. */
  readonly second_pass: boolean;
}

const session_state_sql = `SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
  pg_catalog.current_setting('transaction_read_only') = 'on' AS read_only`;

/** For a URL whose pools do not say how long to wait; libpq has no default at all. */
const probe_timeout_ms_default = 10_000;

export class HostSelector {
  readonly target: TargetSessionAttrs;
  private readonly hosts: readonly Host[];
  private chosen: Chosen | undefined;
  private probing: Promise<Chosen> | undefined;

  constructor(
    list: HostList,
    /** Each probe's wait for its host to answer (libpq's connect_timeout); 0: the default. */
    private readonly probe_timeout_ms: number,
  ) {
    this.target = list.target;
    // pg's own parser reads each URL: constructing a client opens nothing.
    this.hosts = list.urls.map((url) => {
      const parsed = new pg.Client({ connectionString: url });
      return { url, host: parsed.host, port: parsed.port };
    });
  }

  /** The host new connections go to: the remembered one, else the first suitable one in order. */
  async pick(): Promise<Host> {
    if (this.chosen !== undefined) return this.chosen.host;
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined;
    });
    return (await this.probing).host;
  }

  /** A connection to `host` failed or was refused: the next one probes the list again. */
  forget(host: { readonly host: string; readonly port: number }): void {
    const chosen = this.chosen?.host;
    if (chosen !== undefined && chosen.host === host.host && chosen.port === host.port)
      this.chosen = undefined;
  }

  /** Throws NoSuitableHostError, and forgets the host, when `client`'s session does not fit. */
  async check(client: pg.ClientBase & { readonly host: string; readonly port: number }): Promise<void> {
    const second_pass = this.chosen?.second_pass ?? false;
    const state = await sessionState(client);
    if (acceptable(this.target, state, second_pass)) return;
    this.forget(client);
    throw new NoSuitableHostError(
      `${client.host}:${client.port} is no longer ${this.target} (${describe(state)}); looking for another host`,
    );
  }

  private async probe(): Promise<Chosen> {
    const seen: string[] = [];
    for (let pass = 1; pass <= passesOf(this.target); pass += 1) {
      for (const host of this.hosts) {
        const state = await this.probeOne(host);
        if (typeof state === 'string') {
          seen.push(`${host.host}:${host.port}: ${state}`);
          continue;
        }
        if (acceptable(this.target, state, pass === 2)) {
          this.chosen = { host, second_pass: pass === 2 };
          return this.chosen;
        }
        seen.push(`${host.host}:${host.port}: ${describe(state)}`);
      }
    }
    throw new NoSuitableHostError(`no host is ${this.target}: ${seen.join('; ')}`);
  }

  /** The session state of a fresh connection to `host`, or why there is none. */
  private async probeOne(host: Host): Promise<SessionState | string> {
    const client = new pg.Client({
      connectionString: host.url,
      connectionTimeoutMillis: this.probe_timeout_ms || probe_timeout_ms_default,
      application_name: 'purse',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await sessionState(client);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function sessionState(client: pg.ClientBase): Promise<SessionState> {
  const result = await client.query<SessionState>(session_state_sql);
  const row = result.rows[0];
  if (row === undefined) throw new Error('the session state query returned no row');
  return row;
}

function describe(state: SessionState): string {
  return `${state.in_recovery ? 'a standby' : 'a primary'}, ${state.read_only ? 'read-only' : 'read-write'}`;
}

type ConnectCallback = ((error: Error) => void) | ((error: null, client: pg.Client) => void);

/**
 * A pg.Client class whose connections go where `selector` says. pg reads `host` and `port` only when
 * it connects, so they are set then, after the (asynchronous) choice; everything else (user,
 * password, database, TLS) comes from the URL as usual.
 */
export function selectingClient(selector: HostSelector): typeof pg.Client {
  return class SelectingClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
      const connected = this.connectToChosen().then(() => this);
      if (callback === undefined) return connected;
      // As pg does: the error alone, or null and the client.
      const call = callback as (error: Error | null, client?: pg.Client) => void;
      connected.then(
        (client) => call(null, client),
        (error: unknown) => call(error instanceof Error ? error : new Error(String(error))),
      );
      return undefined;
    }

    private async connectToChosen(): Promise<void> {
      const host = await selector.pick();
      this.host = host.host;
      this.port = host.port;
      try {
        await super.connect();
      } catch (error) {
        selector.forget(host);
        throw error;
      }
    }
  };
}
