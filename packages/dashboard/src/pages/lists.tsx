import type { Page } from '@purse/sdk/browser';
import { useState } from 'react';
import { type Column, Field, IdLink, PagedTable, useCursorList } from '../components.js';
import { type Dashboard, useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';

type Obj = Record<string, unknown> & { readonly id: string };
type Load = (
  d: Dashboard,
  params: { limit: number; starting_after?: string; status?: string },
) => PromiseLike<unknown>;

const text = (v: unknown) => (v === null || v === undefined ? '–' : String(v));
const money: Column<Obj> = { label: 'Amount', cell: (o) => `${text(o.amount)} ${text(o.currency)}` };
const status: Column<Obj> = { label: 'Status', cell: (o) => text(o.status) };
const created: Column<Obj> = { label: 'Created', cell: (o) => when(o.created_at as string) };
const id: Column<Obj> = { label: 'Id', cell: (o) => <IdLink id={o.id} /> };

/** The lists with their columns and the statuses to filter by. */
export const list_types: Record<
  string,
  { title: string; load: Load; columns: Column<Obj>[]; statuses: readonly string[] }
> = {
  wallets: {
    title: 'Wallets',
    load: (d, p) => d.purse.wallets.list(p as never),
    columns: [
      id,
      { label: 'Holder', cell: (o) => <IdLink id={o.holder_id as string} /> },
      { label: 'Currency', cell: (o) => text(o.currency) },
      status,
      created,
    ],
    statuses: ['active', 'frozen', 'closed'],
  },
  holders: {
    title: 'Holders',
    load: (d, p) => d.purse.holders.list(p as never),
    columns: [
      id,
      { label: 'Name', cell: (o) => text(o.name) },
      { label: 'Email', cell: (o) => text(o.email) },
      { label: 'KYC', cell: (o) => text(o.kyc_status) },
      created,
    ],
    statuses: [],
  },
  transfers: {
    title: 'Transfers',
    load: (d, p) => d.purse.transfers.list(p as never),
    columns: [id, money, status, created],
    statuses: ['pending', 'posted', 'voided', 'expired'],
  },
  payments: {
    title: 'Payments',
    load: (d, p) => d.purse.payments.list(p as never),
    columns: [
      id,
      money,
      status,
      { label: 'Wallet', cell: (o) => <IdLink id={o.wallet_id as string} /> },
      created,
    ],
    statuses: ['processing', 'succeeded', 'failed'],
  },
  payouts: {
    title: 'Payouts',
    load: (d, p) => d.purse.payouts.list(p as never),
    columns: [
      id,
      money,
      status,
      { label: 'Failure', cell: (o) => text(o.failure_message ?? o.failure_code) },
      created,
    ],
    statuses: ['pending', 'in_transit', 'paid', 'failed', 'returned'],
  },
  escrows: {
    title: 'Escrows',
    load: (d, p) => d.purse.escrows.list(p as never),
    columns: [id, money, status, created],
    statuses: [],
  },
  approvals: {
    title: 'Approvals',
    load: (d, p) => d.purse.approvals.list(p as never),
    columns: [id, money, status, { label: 'Reason', cell: (o) => text(o.detail) }, created],
    statuses: ['pending', 'approved', 'rejected', 'expired'],
  },
};

export function ListPage({ type }: { type: string }) {
  const spec = list_types[type];
  if (spec === undefined) throw new Error(`no list ${type}`);
  useTitle(spec.title);
  const dashboard = useDashboard();
  const [filter, setFilter] = useState('');
  const list = useCursorList<Obj>(
    (starting_after) =>
      spec.load(dashboard, {
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
        ...(filter === '' ? {} : { status: filter }),
      }) as PromiseLike<Page<Obj>>,
    [dashboard.purse, type, filter],
  );
  return (
    <>
      <h1>{spec.title}</h1>
      {spec.statuses.length === 0 ? null : (
        <Field label="Status">
          {(fid) => (
            <select id={fid} value={filter} onChange={(e) => setFilter(e.target.value)}>
              <option value="">Any</option>
              {spec.statuses.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <PagedTable caption={`${spec.title}, newest first`} columns={spec.columns} list={list} />
    </>
  );
}
