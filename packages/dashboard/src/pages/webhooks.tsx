import type { Page } from '@purse/sdk/browser';
import { type FormEvent, useState } from 'react';
import {
  ActionResult,
  Field,
  Fields,
  Loading,
  PagedTable,
  Problem,
  useAction,
  useCursorList,
  useLoad,
} from '../components.js';
import { useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';
import { Link } from '../router.js';

type Obj = Record<string, unknown> & { readonly id: string };

export function WebhooksPage({ id }: { id: string | undefined }) {
  return id === undefined ? <Endpoints /> : <Endpoint id={id} />;
}

function Endpoints() {
  useTitle('Webhooks');
  const { purse } = useDashboard();
  const list = useCursorList<Obj>(
    (starting_after) =>
      purse.webhook_endpoints.list({
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Obj>>,
    [purse],
  );
  return (
    <>
      <h1>Webhook endpoints</h1>
      <PagedTable
        caption="Webhook endpoints"
        list={list}
        columns={[
          { label: 'Endpoint', cell: (e) => <Link to={`/webhooks/${e.id}`}>{e.id}</Link> },
          { label: 'URL', cell: (e) => String(e.url) },
          { label: 'Status', cell: (e) => String(e.status) },
        ]}
      />
    </>
  );
}

/** One endpoint: rotate its secret (shown once), its deliveries, replay one or all since a time. */
function Endpoint({ id }: { id: string }) {
  useTitle(`Webhook endpoint ${id}`);
  const { purse } = useDashboard();
  const endpoint = useLoad(() => purse.webhook_endpoints.retrieve(id), [purse, id]);
  const rotate = useAction();
  const replay = useAction();
  const deliveries = useCursorList<Obj>(
    (starting_after) =>
      purse.webhook_endpoints.deliveries(id, {
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Obj>>,
    [purse, id, replay.done],
  );
  return (
    <>
      <h1>Webhook endpoint {id}</h1>
      <Loading when={endpoint.loading && endpoint.data === undefined} />
      <Problem error={endpoint.error} />
      {endpoint.data === undefined ? null : (
        <Fields
          object={endpoint.data as unknown as Record<string, unknown>}
          only={['url', 'status', 'enabled_events', 'failing_since', 'created_at']}
        />
      )}
      <section aria-labelledby="rotate-heading">
        <h2 id="rotate-heading">Signing secret</h2>
        <button
          type="button"
          disabled={rotate.busy}
          onClick={() =>
            rotate.run(async () => {
              const rotated = await purse.webhook_endpoints.rotateSecret(id, { grace_period_s: 86_400 });
              return `New secret (shown once, copy it now): ${String(rotated.secret)}. The old one works for 24 hours more.`;
            })
          }
        >
          Rotate secret
        </button>
        <ActionResult error={rotate.error} done={rotate.done} />
      </section>
      <section aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        <ReplaySince id={id} replay={replay} />
        <ActionResult error={replay.error} done={replay.done} />
        <PagedTable
          caption="Deliveries to this endpoint, newest first"
          list={deliveries}
          columns={[
            { label: 'Event', cell: (d) => `${String(d.event_type)} (${String(d.event_id)})` },
            { label: 'Status', cell: (d) => String(d.status) },
            { label: 'Attempts', cell: (d) => String(d.attempt_count) },
            { label: 'At', cell: (d) => when(d.created_at as string) },
            {
              label: 'Replay',
              cell: (d) => (
                <button
                  type="button"
                  disabled={replay.busy}
                  aria-label={`Replay event ${String(d.event_id)}`}
                  onClick={() =>
                    replay.run(async () => {
                      const answer = await purse.webhook_endpoints.replay(id, {
                        event_id: String(d.event_id),
                      });
                      return `Replay queued: ${answer.queued} ${answer.queued === 1 ? 'delivery' : 'deliveries'}.`;
                    })
                  }
                >
                  Replay
                </button>
              ),
            },
          ]}
        />
      </section>
    </>
  );
}

/** Sends again every event since a time (after an outage of the receiver, say). */
function ReplaySince({ id, replay }: { id: string; replay: ReturnType<typeof useAction> }) {
  const { purse } = useDashboard();
  const [since, setSince] = useState(() => new Date(Date.now() - 3_600_000).toISOString().slice(0, 16));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void replay.run(async () => {
      const answer = await purse.webhook_endpoints.replay(id, {
        since: new Date(`${since}:00Z`).toISOString(),
      });
      return `Replay queued: ${answer.queued} deliveries.`;
    });
  };
  return (
    <form onSubmit={submit} className="inline">
      <Field label="Events since (UTC)">
        {(fid) => (
          <input
            id={fid}
            type="datetime-local"
            value={since}
            onChange={(e) => setSince(e.target.value)}
            required
          />
        )}
      </Field>
      <button type="submit" disabled={replay.busy}>
        Replay events since
      </button>
    </form>
  );
}
