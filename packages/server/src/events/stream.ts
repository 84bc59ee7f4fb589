import type { ServerResponse } from 'node:http';
import type { EventsConfig } from '../config.js';
import type { Pool, Queryable } from '../db/pool.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { archiveOfEvent, eventArchived } from './archives.js';
import { isValidPattern, patternCondition } from './catalogue.js';
import { unknownEventType } from './service.js';
import { type EventRow, eventView, withData } from './view.js';

const page_size = 100;

export interface StreamRequest {
  /** The API key asking: it may hold at most `streams_per_key_max` streams of this process. */
  readonly key_id: string;
  readonly livemode: boolean;
  readonly type: string | undefined;
  /** The `Last-Event-ID` header: resume right after this event. */
  readonly last_event_id: string | undefined;
  /**
   * Whether the key that opened the stream may still read it (not revoked, rolled past its grace
   * period or expired): asked before every poll, and the stream ends when it says no.
   */
  readonly still_authorized: () => Promise<boolean>;
}

/** Where a stream starts: the position after which it sends, and its filter. */
interface StreamStart {
  readonly key_id: string;
  readonly livemode: boolean;
  readonly type: string | undefined;
  readonly after_position: bigint;
  readonly still_authorized: () => Promise<boolean>;
}

/**
 * Open Server-Sent Events streams of this process. Each polls for events past its cursor, up to
 * the largest position (positions become visible in order, without gaps; see sequencer.ts), so a
 * stream never skips an event and resumes from `Last-Event-ID` exactly where it stopped.
 */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();
  /**
   * Streams counted against the limits, per key: taken when a start is accepted, before its first
   * await, so parallel requests cannot all pass the check; given back when the stream ends or the
   * start fails.
   */
  private readonly held_per_key = new Map<string, number>();
  private held = 0;

  constructor(private readonly deps: { pool: Pool; config: EventsConfig }) {}

  /**
   * Checks the request before any byte is sent, so a refusal can still be a problem document. A
   * stream it accepts is counted until `run` ends it: call `run` (or `release`) exactly once.
   */
  async start(request: StreamRequest): Promise<Result<StreamStart>> {
    const refused = this.refusal(request.key_id);
    if (refused !== undefined) return fail(refused);
    if (request.type !== undefined && !isValidPattern(request.type))
      return fail(unknownEventType(request.type, 'type'));
    this.hold(request.key_id, 1);
    const after = await startPosition(this.deps.pool, request).catch((error: unknown) => {
      this.hold(request.key_id, -1);
      throw error;
    });
    if (typeof after !== 'bigint') {
      this.hold(request.key_id, -1);
      return fail(after);
    }
    return ok({
      key_id: request.key_id,
      livemode: request.livemode,
      type: request.type,
      after_position: after,
      still_authorized: request.still_authorized,
    });
  }

  /** Gives back a started stream that will not run. */
  release(start: StreamStart): void {
    this.hold(start.key_id, -1);
  }

  /** One key may not take every stream of the process, or every other key would be refused. */
  private refusal(key_id: string): DomainError | undefined {
    const { streams_max, streams_per_key_max } = this.deps.config;
    if (this.held >= streams_max)
      return domainError('rate_limited', `This server holds ${streams_max} open streams; retry later.`);
    if ((this.held_per_key.get(key_id) ?? 0) >= streams_per_key_max)
      return domainError(
        'rate_limited',
        `This API key holds ${streams_per_key_max} open streams, the most one key may; close one first.`,
      );
    return undefined;
  }

  private hold(key_id: string, delta: 1 | -1): void {
    const count = (this.held_per_key.get(key_id) ?? 0) + delta;
    if (count === 0) this.held_per_key.delete(key_id);
    else this.held_per_key.set(key_id, count);
    this.held += delta;
  }

  /**
   * Streams until the client goes away, the server closes or the key stops being valid; the
   * response is already 200.
   */
  async run(response: ServerResponse, start: StreamStart): Promise<void> {
    this.open.add(response);
    const closed = new Promise<void>((resolve) => response.once('close', resolve));
    let cursor = start.after_position;
    let last_write_ms = Date.now();
    try {
      response.write(`retry: ${this.deps.config.stream_poll_ms * 4}\n\n`);
      while (!response.destroyed && !response.writableEnded) {
        if (!(await start.still_authorized())) {
          // Said for someone reading the raw stream; a client reconnecting gets the 401 problem.
          response.write(': the API key is no longer valid\n\n');
          break;
        }
        const batch = await nextEvents(this.deps.pool, start, cursor);
        for (const row of batch.rows) {
          const frame = `id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(eventView(row))}\n\n`;
          if (!response.write(frame)) await Promise.race([once(response, 'drain'), closed]);
          last_write_ms = Date.now();
        }
        cursor = batch.cursor;
        if (batch.rows.length === page_size) continue;
        if (Date.now() - last_write_ms >= this.deps.config.stream_heartbeat_ms) {
          response.write(': keep-alive\n\n');
          last_write_ms = Date.now();
        }
        await Promise.race([delay(this.deps.config.stream_poll_ms), closed]);
      }
    } finally {
      this.open.delete(response);
      this.release(start);
      // A stream's connection is never reused: a response merely ended can keep it open until the
      // keep-alive timeout when the client stopped reading, holding up the server's close.
      response.destroy();
    }
  }

  /**
   * Drops every open stream (on server close), so shutdown does not wait for clients to leave: a
   * client that stopped reading would hold a merely ended response open. Clients reconnect with
   * Last-Event-ID and lose nothing.
   */
  closeAll(): void {
    for (const response of this.open) response.destroy();
  }
}

async function startPosition(db: Queryable, request: StreamRequest): Promise<bigint | DomainError> {
  if (request.last_event_id === undefined) {
    const top = await db.query<{ top: string }>('SELECT coalesce(max(position), 0) AS top FROM events');
    return BigInt(top.rows[0]?.top ?? '0');
  }
  const found = await db.query<{ position: string | null }>(
    'SELECT position FROM events WHERE id = $1 AND livemode = $2',
    [request.last_event_id, request.livemode],
  );
  const position = found.rows[0]?.position;
  if (position === undefined) {
    const archive = await archiveOfEvent(db, request.last_event_id);
    if (archive !== undefined) return eventArchived(request.last_event_id, archive);
  }
  if (position === undefined || position === null) {
    return domainError(
      'invalid_cursor',
      `Last-Event-ID must be the id of an event this stream sent; "${request.last_event_id}" is not.`,
      'Last-Event-ID',
    );
  }
  return BigInt(position);
}

/**
 * Up to a page of matching events in (cursor, horizon], where the horizon is the largest position
 * now visible: every position up to it is visible too, so the cursor may move to it even when the
 * filter matched nothing (no rescanning of skipped types).
 */
async function nextEvents(
  db: Queryable,
  start: StreamStart,
  cursor: bigint,
): Promise<{ rows: EventRow[]; cursor: bigint }> {
  const top = await db.query<{ top: string }>('SELECT coalesce(max(position), 0) AS top FROM events');
  const horizon = BigInt(top.rows[0]?.top ?? '0');
  if (horizon <= cursor) return { rows: [], cursor };
  const params: unknown[] = [start.livemode, cursor.toString(), horizon.toString(), page_size];
  let type_condition = '';
  if (start.type !== undefined) {
    const condition = patternCondition(start.type, params.length + 1);
    params.push(condition.value);
    type_condition = `AND ${condition.sql}`;
  }
  const result = await db.query<EventRow>(
    `SELECT * FROM events WHERE livemode = $1 AND position > $2 AND position <= $3 ${type_condition}
     ORDER BY position LIMIT $4`,
    params,
  );
  const last = result.rows.at(-1);
  const full = result.rows.length === page_size;
  const rows = await withData(db, result.rows);
  return { rows, cursor: full && last?.position != null ? BigInt(last.position) : horizon };
}

function once(response: ServerResponse, event: string): Promise<void> {
  return new Promise((resolve) => response.once(event, () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
