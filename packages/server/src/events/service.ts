import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { archiveOfEvent, eventArchived } from './archives.js';
import { isValidPattern, patternCondition } from './catalogue.js';
import type { EventListQuery } from './schemas.js';
import { type EventRow, type EventView, eventView, withData } from './view.js';

/** An event by id; one archived by retention (events/retention.ts) is a 410 naming its archive. */
export async function getEvent(db: Queryable, livemode: boolean, id: string): Promise<Result<EventView>> {
  const row = await rowById<EventRow>(db, 'events', livemode, id);
  if (row !== undefined) return ok((await withData(db, [row])).map(eventView)[0] as EventView);
  const archive = await archiveOfEvent(db, id);
  return fail(archive === undefined ? notFound('event', id) : eventArchived(id, archive));
}

/** Newest first by id (creation time); filter by type or pattern, object and creation time. */
export async function listEvents(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof EventListQuery>,
): Promise<Result<Page<EventView>>> {
  const where = ['livemode = $1'];
  const params: unknown[] = [livemode];
  if (filter.type !== undefined) {
    if (!isValidPattern(filter.type)) return fail(unknownEventType(filter.type, 'type'));
    const condition = patternCondition(filter.type, params.length + 1);
    params.push(condition.value);
    where.push(condition.sql);
  }
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.object_id !== undefined) add((n) => `object_id = $${n}`, filter.object_id);
  if (filter.created_gte !== undefined) add((n) => `created_at >= $${n}`, filter.created_gte);
  if (filter.created_lt !== undefined) add((n) => `created_at < $${n}`, filter.created_lt);
  const page = await fetchPage(
    db,
    { table: 'events', where, params, id_prefix: 'evt', map: (row: EventRow) => row },
    pageQuery(filter),
  );
  if (!page.ok) return page;
  return ok({ ...page.value, data: (await withData(db, page.value.data)).map(eventView) });
}

export function unknownEventType(pattern: string, param: string): DomainError {
  return domainError(
    'unknown_event_type',
    `"${pattern}" selects no event type of the catalogue (docs/events.md).`,
    param,
  );
}
