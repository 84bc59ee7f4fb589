import type { Page } from '@purse/sdk/browser';
import { type FormEvent, useState } from 'react';
import { ActionResult, Field, PagedTable, useAction, useCursorList } from '../components.js';
import { useDashboard, useTitle } from '../context.js';

type Rule = Record<string, unknown> & {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
};
const actions = ['block', 'review', 'challenge', 'flag'] as const;

/** Risk rules: enable or disable each, edit its name and action, create an amount rule. */
export function RiskRulesPage() {
  useTitle('Risk rules');
  const { purse } = useDashboard();
  const change = useAction();
  const rules = useCursorList<Rule>(
    (starting_after) =>
      purse.risk_rules.list({
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Rule>>,
    [purse, change.done],
  );
  const [editing, setEditing] = useState<Rule>();
  return (
    <>
      <h1>Risk rules</h1>
      <ActionResult error={change.error} done={change.done} />
      <PagedTable
        caption="Risk rules"
        list={rules}
        columns={[
          { label: 'Name', cell: (r) => r.name },
          { label: 'Type', cell: (r) => String(r.type) },
          { label: 'Action', cell: (r) => String(r.action) },
          {
            label: 'Limit',
            cell: (r) => `${String(r.amount ?? r.amount_max ?? r.count_max ?? '–')} ${String(r.currency)}`,
          },
          {
            label: 'Enabled',
            cell: (r) => (
              <>
                {r.enabled ? 'yes ' : 'no '}
                <button
                  type="button"
                  disabled={change.busy}
                  onClick={() =>
                    change.run(async () => {
                      await purse.risk_rules.update(r.id, { enabled: !r.enabled });
                      return `Rule ${r.name} is ${r.enabled ? 'disabled' : 'enabled'}.`;
                    })
                  }
                >
                  {r.enabled ? 'Disable' : 'Enable'}
                  <span className="visually-hidden"> rule {r.name}</span>
                </button>
              </>
            ),
          },
          {
            label: 'Edit',
            cell: (r) => (
              <button type="button" onClick={() => setEditing(r)} aria-label={`Edit rule ${r.name}`}>
                Edit
              </button>
            ),
          },
        ]}
      />
      {editing === undefined ? null : (
        <EditRule key={editing.id} rule={editing} onDone={() => setEditing(undefined)} change={change} />
      )}
      <NewRule change={change} />
    </>
  );
}

function EditRule({
  rule,
  onDone,
  change,
}: {
  rule: Rule;
  onDone: () => void;
  change: ReturnType<typeof useAction>;
}) {
  const { purse } = useDashboard();
  const [name, setName] = useState(rule.name);
  const [action, setAction] = useState(String(rule.action));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void change.run(async () => {
      await purse.risk_rules.update(rule.id, { name, action: action as (typeof actions)[number] });
      return `Rule ${name} saved.`;
    }, onDone);
  };
  return (
    <form onSubmit={submit} aria-labelledby="edit-rule" className="panel">
      <h2 id="edit-rule">Edit rule {rule.name}</h2>
      <Field label="Name">
        {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Action">
        {(id) => (
          <select id={id} value={action} onChange={(e) => setAction(e.target.value)}>
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={change.busy}>
        Save rule
      </button>{' '}
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

function NewRule({ change }: { change: ReturnType<typeof useAction> }) {
  const { purse } = useDashboard();
  const [form, setForm] = useState({ name: '', currency: 'USD', amount: '', action: 'review' });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void change.run(async () => {
      await purse.risk_rules.create({
        name: form.name,
        type: 'amount_above',
        currency: form.currency,
        amount: form.amount,
        action: form.action as (typeof actions)[number],
        enabled: false,
      });
      return `Rule ${form.name} created, disabled: enable it when ready.`;
    });
  };
  return (
    <form onSubmit={submit} aria-labelledby="new-rule" className="panel">
      <h2 id="new-rule">New amount rule</h2>
      <Field label="Rule name">
        {(id) => (
          <input
            id={id}
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            required
          />
        )}
      </Field>
      <Field label="Currency">
        {(id) => (
          <input
            id={id}
            value={form.currency}
            onChange={(e) => setForm({ ...form, currency: e.target.value })}
            required
          />
        )}
      </Field>
      <Field label="Above amount">
        {(id) => (
          <input
            id={id}
            inputMode="decimal"
            value={form.amount}
            onChange={(e) => setForm({ ...form, amount: e.target.value })}
            required
          />
        )}
      </Field>
      <Field label="Then">
        {(id) => (
          <select id={id} value={form.action} onChange={(e) => setForm({ ...form, action: e.target.value })}>
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={change.busy}>
        Create rule
      </button>
    </form>
  );
}
