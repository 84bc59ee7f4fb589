import type { Page } from '@purse/sdk/browser';
import { type FormEvent, useState } from 'react';
import {
  ActionResult,
  Field,
  Fields,
  IdLink,
  Loading,
  PagedTable,
  Problem,
  useAction,
  useCursorList,
  useLoad,
} from '../components.js';
import { useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';
import { History } from './history.js';

type Row = Record<string, unknown> & { readonly id: string };

/** A wallet: its balance, freeze, history (postings), holds (pending transfers), statement export. */
export function WalletPage({ id }: { id: string }) {
  useTitle(`Wallet ${id}`);
  const { purse } = useDashboard();
  const wallet = useLoad(() => purse.wallets.retrieve(id), [purse, id]);
  const action = useAction();
  const history = useCursorList<Row>(
    (starting_after) =>
      purse.wallets.transactions(id, {
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Row>>,
    [purse, id, action.done],
  );
  const holds = useCursorList<Row>(
    (starting_after) =>
      purse.transfers.list({
        wallet_id: id,
        status: 'pending',
        limit: 10,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Row>>,
    [purse, id, action.done],
  );
  const data = wallet.data;
  return (
    <>
      <h1>Wallet {id}</h1>
      <Loading when={wallet.loading && data === undefined} />
      <Problem error={wallet.error} />
      {data === undefined ? null : (
        <>
          <section aria-labelledby="balance-heading">
            <h2 id="balance-heading">Balance</h2>
            <dl className="tiles" data-testid="balance">
              {(['available', 'held', 'pending', 'total'] as const).map((part) => (
                <div key={part}>
                  <dt>{part}</dt>
                  <dd data-balance={part}>
                    {data.balance[part]} {data.currency}
                  </dd>
                </div>
              ))}
            </dl>
            <Fields
              object={data as unknown as Record<string, unknown>}
              only={['status', 'holder_id', 'currency', 'overdraft_limit', 'created_at']}
            />
            <div className="actions">
              {data.status === 'active' ? (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() =>
                    action.run(async () => {
                      await purse.wallets.freeze(id);
                      return 'The wallet is frozen: nothing leaves or enters it until it is unfrozen.';
                    }, wallet.reload)
                  }
                >
                  Freeze wallet
                </button>
              ) : null}
              {data.status === 'frozen' ? (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() =>
                    action.run(async () => {
                      await purse.wallets.unfreeze(id);
                      return 'The wallet is active again.';
                    }, wallet.reload)
                  }
                >
                  Unfreeze wallet
                </button>
              ) : null}
            </div>
            <ActionResult error={action.error} done={action.done} />
          </section>
          <Statement id={id} />
          <section aria-labelledby="holds-heading">
            <h2 id="holds-heading">Holds</h2>
            <PagedTable
              caption="Pending transfers holding funds of this wallet"
              list={holds}
              columns={[
                { label: 'Transfer', cell: (row) => <IdLink id={row.id} /> },
                { label: 'Amount', cell: (row) => `${String(row.amount)} ${String(row.currency)}` },
                { label: 'Expires', cell: (row) => when(row.expires_at as string | null) },
              ]}
            />
          </section>
          <section aria-labelledby="history-heading">
            <h2 id="history-heading">History</h2>
            <PagedTable
              caption="Postings of this wallet, newest first"
              list={history}
              columns={[
                { label: 'At', cell: (row) => when(row.created_at as string) },
                { label: 'Reason', cell: (row) => String(row.reason) },
                { label: 'Reference', cell: (row) => <IdLink id={row.reference_id as string | null} /> },
                { label: 'Side', cell: (row) => String(row.side) },
                { label: 'Amount', cell: (row) => `${String(row.amount)} ${String(row.currency)}` },
                { label: 'Balance after', cell: (row) => String(row.balance_after ?? '–') },
              ]}
            />
          </section>
          <History object_id={id} />
        </>
      )}
    </>
  );
}

/** `GET /v1/wallets/:id/statement` as a CSV file the browser saves. */
function Statement({ id }: { id: string }) {
  const { purse } = useDashboard();
  const today = new Date().toISOString().slice(0, 10);
  const month_ago = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const [range, setRange] = useState({ from: month_ago, to: today });
  const action = useAction();
  const [file, setFile] = useState<{ url: string; name: string }>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const csv = await purse.wallets.statement(id, {
        from: `${range.from}T00:00:00Z`,
        to: `${range.to}T23:59:59Z`,
      });
      if (file !== undefined) URL.revokeObjectURL(file.url);
      const name = `statement-${id}-${range.from}-${range.to}.csv`;
      setFile({ url: URL.createObjectURL(new Blob([String(csv)], { type: 'text/csv' })), name });
      return 'The statement is ready.';
    });
  };
  return (
    <section aria-labelledby="statement-heading">
      <h2 id="statement-heading">Statement</h2>
      <form onSubmit={submit} className="inline">
        <Field label="From">
          {(fid) => (
            <input
              id={fid}
              type="date"
              value={range.from}
              onChange={(e) => setRange({ ...range, from: e.target.value })}
            />
          )}
        </Field>
        <Field label="To">
          {(fid) => (
            <input
              id={fid}
              type="date"
              value={range.to}
              onChange={(e) => setRange({ ...range, to: e.target.value })}
            />
          )}
        </Field>
        <button type="submit" disabled={action.busy}>
          Prepare statement (CSV)
        </button>
      </form>
      <ActionResult error={action.error} done={action.done} />
      {file === undefined ? null : (
        <a href={file.url} download={file.name}>
          Download {file.name}
        </a>
      )}
    </section>
  );
}
