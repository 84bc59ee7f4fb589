import type { Page } from '@purse/sdk/browser';
import { type FormEvent, type ReactNode, useState } from 'react';
import {
  ActionResult,
  Field,
  Fields,
  IdLink,
  Loading,
  PagedTable,
  Problem,
  Table,
  useAction,
  useCursorList,
  useLoad,
} from '../components.js';
import { type Dashboard, useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';
import { Link } from '../router.js';
import { History } from './history.js';

type Obj = Record<string, unknown> & { readonly id: string };
type Loaded = {
  readonly data: Obj;
  readonly reload: () => void;
  readonly action: ReturnType<typeof useAction>;
};

/** The object types with a detail page: how to read one and what an operator may do with it. */
export const detail_types = {
  transfers: {
    title: 'Transfer',
    load: (d: Dashboard, id: string) => d.purse.transfers.retrieve(id),
    Actions: TransferActions,
  },
  payments: {
    title: 'Payment',
    load: (d: Dashboard, id: string) => d.purse.payments.retrieve(id),
    Actions: PaymentActions,
  },
  payouts: {
    title: 'Payout',
    load: (d: Dashboard, id: string) => d.purse.payouts.retrieve(id),
    Actions: PayoutActions,
  },
  holders: {
    title: 'Holder',
    load: (d: Dashboard, id: string) => d.purse.holders.retrieve(id),
    Actions: HolderWallets,
  },
  escrows: {
    title: 'Escrow',
    load: (d: Dashboard, id: string) => d.purse.escrows.retrieve(id),
    Actions: EscrowActions,
  },
  approvals: {
    title: 'Approval',
    load: (d: Dashboard, id: string) => d.purse.approvals.retrieve(id),
    Actions: ApprovalActions,
  },
  refunds: {
    title: 'Refund',
    load: (d: Dashboard, id: string) => d.purse.refunds.retrieve(id),
    Actions: () => null,
  },
} satisfies Record<
  string,
  {
    title: string;
    load: (d: Dashboard, id: string) => Promise<unknown>;
    Actions: (props: Loaded) => ReactNode;
  }
>;

export function DetailPage({ type, id }: { type: keyof typeof detail_types; id: string }) {
  const { title, load, Actions } = detail_types[type];
  useTitle(`${title} ${id}`);
  const dashboard = useDashboard();
  const object = useLoad(() => load(dashboard, id) as Promise<Obj>, [dashboard.purse, type, id]);
  const action = useAction();
  return (
    <>
      <h1>
        {title} {id}
      </h1>
      <Loading when={object.loading && object.data === undefined} />
      <Problem error={object.error} />
      {object.data === undefined ? null : (
        <>
          <section aria-labelledby="actions-heading">
            <h2 id="actions-heading">Details and actions</h2>
            <ActionResult error={action.error} done={action.done} />
            <Actions data={object.data} reload={object.reload} action={action} />
            <Fields object={object.data} />
          </section>
          <History object_id={id} />
        </>
      )}
    </>
  );
}

/** A detail-page action: its own form, busy state and answer. */
function ActionForm({
  label,
  children,
  onSubmit,
  action,
}: {
  label: string;
  children?: ReactNode;
  onSubmit: () => Promise<string>;
  /** The page's action state: its outcome stays shown when the object's new state hides the form. */
  action: ReturnType<typeof useAction>;
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(onSubmit);
  };
  return (
    <form onSubmit={submit} className="action" aria-label={label}>
      {children}
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
    </form>
  );
}

/** An answer that parked the request for a second operator (202, an approval) or did it. */
function parkedOr(result: unknown, done: string): string {
  const object = result as { object?: string; id?: string } | undefined;
  if (object?.object === 'approval')
    return `Parked for a second operator (four-eyes): approval ${object.id}. Nothing moved yet.`;
  return done;
}

function PaymentActions({ data, reload, action }: Loaded) {
  const { purse } = useDashboard();
  const [amount, setAmount] = useState('');
  const refundable = data.status === 'succeeded';
  return (
    <div className="actions">
      {refundable ? (
        <ActionForm
          action={action}
          label="Refund payment"
          onSubmit={async () => {
            const result = await purse.refunds.create({
              payment_id: data.id,
              ...(amount.trim() === '' ? {} : { amount: amount.trim() }),
            });
            reload();
            return parkedOr(result, `Refunded: ${(result as { id: string }).id}.`);
          }}
        >
          <Field label="Amount to refund" hint="Leave empty to refund all that remains.">
            {(id, hint) => (
              <input
                id={id}
                value={amount}
                inputMode="decimal"
                placeholder={String(data.amount)}
                onChange={(e) => setAmount(e.target.value)}
                aria-describedby={hint}
              />
            )}
          </Field>
        </ActionForm>
      ) : (
        <p>Only a succeeded payment can be refunded; this one is {String(data.status)}.</p>
      )}
      <p>
        Wallet: <IdLink id={data.wallet_id as string} />
      </p>
    </div>
  );
}

function TransferActions({ data, reload, action }: Loaded) {
  const { purse } = useDashboard();
  if (data.status !== 'pending') return null;
  return (
    <div className="actions">
      <ActionForm
        action={action}
        label="Void hold"
        onSubmit={async () => {
          await purse.transfers.void(data.id);
          reload();
          return 'The hold is voided: the funds are available again.';
        }}
      />
    </div>
  );
}

/**
 * Cancel while the payout has not left Purse (pending, not yet with its rail: the API answers 409
 * otherwise, shown as it is); retry a failed or returned one as a new payout to the same
 * destination, once (`retry_of` and `retried_by` link them).
 */
function PayoutActions({ data, reload, action }: Loaded) {
  const { purse } = useDashboard();
  return (
    <div className="actions">
      {data.status === 'pending' ? (
        <ActionForm
          action={action}
          label="Cancel payout"
          onSubmit={async () => {
            await purse.payouts.cancel(data.id);
            reload();
            return 'The payout is canceled: its amount is back in the wallet.';
          }}
        />
      ) : null}
      {(data.status === 'failed' || data.status === 'returned') && data.retried_by === null ? (
        <ActionForm
          action={action}
          label="Retry payout"
          onSubmit={async () => {
            const created = await purse.payouts.retry(data.id);
            reload();
            return parkedOr(created, `A new payout was created: ${(created as { id: string }).id}.`);
          }}
        />
      ) : null}
      {typeof data.retried_by === 'string' ? (
        <p>
          Retried as <IdLink id={data.retried_by} />.
        </p>
      ) : null}
      <p>
        Wallet: <IdLink id={data.wallet_id as string} />
      </p>
    </div>
  );
}

function EscrowActions({ data, reload, action }: Loaded) {
  const { purse } = useDashboard();
  const [outcome, setOutcome] = useState<'release' | 'refund' | 'resume'>('release');
  if (data.status !== 'disputed') return null;
  return (
    <div className="actions">
      <ActionForm
        action={action}
        label="Resolve dispute"
        onSubmit={async () => {
          await purse.escrows.resolve(data.id, { outcome });
          reload();
          return `The dispute is resolved: ${outcome}.`;
        }}
      >
        <Field label="Outcome">
          {(id) => (
            <select id={id} value={outcome} onChange={(e) => setOutcome(e.target.value as typeof outcome)}>
              <option value="release">Release to the payee</option>
              <option value="refund">Refund the payer</option>
              <option value="resume">Resume holding</option>
            </select>
          )}
        </Field>
      </ActionForm>
    </div>
  );
}

interface Signoff {
  readonly operator_id: string;
  readonly created_at: string;
}

/** Four-eyes: approving takes two distinct operators; the sign-offs so far are listed. */
function ApprovalActions({ data, reload, action }: Loaded) {
  const { purse } = useDashboard();
  const signoffs = (Array.isArray(data.signoffs) ? data.signoffs : []) as Signoff[];
  return (
    <div className="actions">
      <Table
        caption="Sign-offs (two distinct operators execute the request)"
        rows={signoffs}
        empty="No sign-off yet."
        columns={[
          { label: 'Operator', cell: (s: Signoff) => s.operator_id },
          { label: 'At', cell: (s) => when(s.created_at) },
        ]}
      />
      {data.status === 'pending' ? (
        <>
          <ActionForm
            action={action}
            label="Approve"
            onSubmit={async () => {
              const result = (await purse.approvals.approve(data.id)) as unknown as Obj;
              reload();
              return result.status === 'pending'
                ? 'Your sign-off is recorded; a second operator must approve before it runs.'
                : `Approved and executed (${String(result.status)}).`;
            }}
          />
          <ActionForm
            action={action}
            label="Reject"
            onSubmit={async () => {
              await purse.approvals.reject(data.id);
              reload();
              return 'Rejected: the request will never run.';
            }}
          />
        </>
      ) : null}
    </div>
  );
}

function HolderWallets({ data }: Loaded) {
  const { purse } = useDashboard();
  const wallets = useCursorList<Obj>(
    (starting_after) =>
      purse.wallets.list({
        holder_id: data.id,
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Obj>>,
    [purse, data.id],
  );
  return (
    <PagedTable
      caption="The holder's wallets"
      list={wallets}
      columns={[
        { label: 'Wallet', cell: (w) => <Link to={`/wallets/${w.id}`}>{w.id}</Link> },
        { label: 'Currency', cell: (w) => String(w.currency) },
        { label: 'Status', cell: (w) => String(w.status) },
        {
          label: 'Available',
          cell: (w) => String((w.balance as { available?: string } | undefined)?.available ?? '–'),
        },
      ]}
    />
  );
}
