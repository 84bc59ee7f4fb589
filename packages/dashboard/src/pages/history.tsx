import type { Page } from '@purse/sdk/browser';
import { IdLink, PagedTable, useCursorList } from '../components.js';
import { useDashboard } from '../context.js';
import { when } from '../format.js';

type Row = Record<string, unknown> & { readonly id: string };

const text = (value: unknown) => (value === null || value === undefined ? '–' : String(value));

/** The object's events (`GET /v1/events?object_id=`) and audit entries (`GET /v1/audit_logs?object_id=`). */
export function History({ object_id }: { object_id: string }) {
  const { purse } = useDashboard();
  const events = useCursorList<Row>(
    (starting_after) =>
      purse.events.list({
        object_id,
        limit: 10,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Row>>,
    [purse, object_id],
  );
  const audit = useCursorList<Row>(
    (starting_after) =>
      purse.audit_logs.list({
        object_id,
        limit: 10,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Row>>,
    [purse, object_id],
  );
  return (
    <>
      <section aria-labelledby="events-heading">
        <h2 id="events-heading">Events</h2>
        <PagedTable
          caption="Events about this object, newest first"
          list={events}
          columns={[
            { label: 'Event', cell: (row) => <code>{row.id}</code> },
            { label: 'Type', cell: (row) => text(row.type) },
            { label: 'At', cell: (row) => when(row.created_at as string) },
          ]}
        />
      </section>
      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading">Audit trail</h2>
        <PagedTable
          caption="Audit entries about this object, newest first"
          list={audit}
          columns={[
            { label: 'Action', cell: (row) => text(row.action) },
            { label: 'Actor', cell: (row) => text(row.actor) },
            { label: 'Outcome', cell: (row) => `${text(row.outcome_status)} ${row.outcome_code ?? ''}` },
            { label: 'Request', cell: (row) => <IdLink id={row.request_id as string} /> },
            { label: 'At', cell: (row) => when(row.created_at as string) },
          ]}
        />
      </section>
    </>
  );
}
