import type { Page } from '@purse/sdk/browser';
import { type FormEvent, useState } from 'react';
import { ActionResult, Field, PagedTable, useAction, useCursorList } from '../components.js';
import { useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';

type Key = Record<string, unknown> & { readonly id: string; readonly name: string };

/** API keys of the current mode: create one (its secret shown once) and revoke. */
export function ApiKeysPage() {
  const { mode } = useTitle('API keys');
  const { purse } = useDashboard();
  const change = useAction();
  const [secret, setSecret] = useState<string>();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('wallets:read');
  const keys = useCursorList<Key>(
    (starting_after) =>
      purse.api_keys.list({
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Key>>,
    [purse, change.done],
  );
  const create = (event: FormEvent) => {
    event.preventDefault();
    setSecret(undefined);
    void change.run(async () => {
      const created = await purse.api_keys.create({
        name,
        scopes: scopes.split(/[\s,]+/).filter((s) => s !== '') as never,
      });
      setSecret(String(created.secret));
      return `Key ${created.id} created.`;
    });
  };
  return (
    <>
      <h1>API keys ({mode})</h1>
      <form onSubmit={create} aria-labelledby="new-key" className="panel">
        <h2 id="new-key">New {mode} key</h2>
        <Field label="Key name">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required />}
        </Field>
        <Field label="Scopes" hint="Separated by spaces or commas, e.g. wallets:read transfers:write">
          {(id, hint) => (
            <input
              id={id}
              value={scopes}
              onChange={(e) => setScopes(e.target.value)}
              aria-describedby={hint}
            />
          )}
        </Field>
        <button type="submit" disabled={change.busy}>
          Create key
        </button>
      </form>
      <ActionResult error={change.error} done={change.done} />
      {secret === undefined ? null : (
        <div className="secret" role="status">
          <p>
            <strong>Copy this secret now: it is shown once and cannot be read again.</strong>
          </p>
          <code data-testid="secret">{secret}</code>
        </div>
      )}
      <PagedTable
        caption="API keys"
        list={keys}
        columns={[
          { label: 'Name', cell: (k) => k.name },
          { label: 'Key', cell: (k) => <code>{String(k.redacted_secret)}</code> },
          { label: 'Scopes', cell: (k) => (Array.isArray(k.scopes) ? k.scopes.join(' ') : '') },
          { label: 'Last used', cell: (k) => when(k.last_used_at as string | null) },
          {
            label: 'Revoke',
            cell: (k) =>
              k.revoked_at === null ? (
                <button
                  type="button"
                  aria-label={`Revoke key ${k.name}`}
                  disabled={change.busy}
                  onClick={() =>
                    change.run(async () => {
                      await purse.api_keys.revoke(k.id);
                      return `Key ${k.name} revoked.`;
                    })
                  }
                >
                  Revoke
                </button>
              ) : (
                `revoked ${when(k.revoked_at as string)}`
              ),
          },
        ]}
      />
    </>
  );
}
