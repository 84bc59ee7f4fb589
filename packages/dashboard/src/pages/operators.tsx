import type { Page } from '@purse/sdk/browser';
import { type FormEvent, useState } from 'react';
import { ActionResult, Field, PagedTable, useAction, useCursorList } from '../components.js';
import { useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';

type Role = 'admin' | 'finance' | 'support' | 'viewer';
type Operator = Record<string, unknown> & {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly role: Role;
  readonly disabled: boolean;
};
const roles: readonly Role[] = ['viewer', 'support', 'finance', 'admin'];

/**
 * Operators (docs/dashboard.md): create one (its password and authenticator URI shown once),
 * change a role, disable or enable (which also lifts a lock-out). The API lets a caller grant only
 * roles it covers, and operators are managed from live mode only: a refusal says so.
 */
export function OperatorsPage() {
  useTitle('Operators');
  const { purse, session } = useDashboard();
  const change = useAction();
  const [created, setCreated] = useState<{ password?: string; totp_uri: string; email: string }>();
  const [form, setForm] = useState<{ email: string; name: string; role: Role }>({
    email: '',
    name: '',
    role: 'viewer',
  });
  const operators = useCursorList<Operator>(
    (starting_after) =>
      purse.operators.list({
        limit: 20,
        ...(starting_after === undefined ? {} : { starting_after }),
      }) as unknown as PromiseLike<Page<Operator>>,
    [purse, change.done],
  );
  const create = (event: FormEvent) => {
    event.preventDefault();
    setCreated(undefined);
    void change.run(async () => {
      const operator = await purse.operators.create(form);
      setCreated({
        email: operator.email,
        totp_uri: String(operator.totp_uri),
        ...(operator.password === undefined ? {} : { password: String(operator.password) }),
      });
      return `Operator ${operator.email} created.`;
    });
  };
  return (
    <>
      <h1>Operators</h1>
      <ActionResult error={change.error} done={change.done} />
      {created === undefined ? null : (
        <div className="secret" role="status">
          <p>
            <strong>Give these to {created.email} now: they are shown once.</strong>
          </p>
          {created.password === undefined ? null : (
            <p>
              Password: <code>{created.password}</code>
            </p>
          )}
          <p>
            Authenticator (scan or paste into a TOTP app): <code>{created.totp_uri}</code>
          </p>
        </div>
      )}
      <PagedTable
        caption="Operators"
        list={operators}
        columns={[
          { label: 'Name', cell: (o) => o.name },
          { label: 'Email', cell: (o) => o.email },
          {
            label: 'Role',
            cell: (o) => (
              <select
                aria-label={`Role of ${o.email}`}
                value={o.role}
                disabled={change.busy || o.id === session.operator.id}
                onChange={(e) => {
                  const role = e.target.value as Role;
                  void change.run(async () => {
                    await purse.operators.update(o.id, { role });
                    return `${o.email} is now ${role}.`;
                  });
                }}
              >
                {roles.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            ),
          },
          { label: 'Locked until', cell: (o) => when(o.locked_until as string | null) },
          {
            label: 'Access',
            cell: (o) =>
              o.id === session.operator.id ? (
                'you'
              ) : (
                <button
                  type="button"
                  disabled={change.busy}
                  aria-label={`${o.disabled ? 'Enable' : 'Disable'} ${o.email}`}
                  onClick={() =>
                    change.run(async () => {
                      await purse.operators.update(o.id, { disabled: !o.disabled });
                      return `${o.email} is ${o.disabled ? 'enabled' : 'disabled'}.`;
                    })
                  }
                >
                  {o.disabled ? 'Enable' : 'Disable'}
                </button>
              ),
          },
        ]}
      />
      <form onSubmit={create} aria-labelledby="new-operator" className="panel">
        <h2 id="new-operator">New operator</h2>
        <Field label="Operator email">
          {(id) => (
            <input
              id={id}
              type="email"
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.target.value })}
              required
            />
          )}
        </Field>
        <Field label="Operator name">
          {(id) => (
            <input
              id={id}
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              required
            />
          )}
        </Field>
        <Field label="Role">
          {(id) => (
            <select
              id={id}
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
            >
              {roles.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" disabled={change.busy}>
          Create operator
        </button>
      </form>
    </>
  );
}
