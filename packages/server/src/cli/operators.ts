import type { Queryable } from '../db/pool.js';
import { isOperatorRole, operator_roles } from '../operators/roles.js';
import { createOperator, listOperators, type OperatorView, updateOperator } from '../operators/service.js';
import { type Flags, flag } from './args.js';
import { auditCli } from './keys.js';
import { type Outcome, ProblemError, success, UsageError } from './output.js';

/** Operators are of no mode: their CLI entries go to the live trail, where they sign in too. */
const livemode = true;

const operators_usage = `purse operators create --email EMAIL [--name NAME] [--role ${operator_roles.join('|')}]
purse operators list
purse operators enable OPERATOR_ID   (also lifts a lock-out)
purse operators disable OPERATOR_ID`;

/**
 * `purse operators`: dashboard operators from the machine, for the first administrator and for
 * getting back in after a lock-out. The password and the authenticator secret are printed once.
 */
export async function operatorsCommand(db: Queryable, positionals: string[], flags: Flags): Promise<Outcome> {
  switch (positionals[0]) {
    case 'create':
      return create(db, flags);
    case 'list': {
      const page = await listOperators(db, { limit: 100 });
      if (!page.ok) throw new Error(page.error.detail);
      return success(page.value.data, page.value.data.map(describe).join('\n'));
    }
    case 'enable':
    case 'disable': {
      const id = positionals[1];
      if (id === undefined) throw new UsageError(`${positionals[0]} needs an operator id`);
      const updated = await updateOperator(db, id, { disabled: positionals[0] === 'disable' }, new Date());
      if (!updated.ok) throw new ProblemError({ code: updated.error.code, detail: updated.error.detail });
      await auditCli(db, livemode, `operators.${positionals[0]}`, id);
      return success(updated.value, `${positionals[0]}d ${id}`);
    }
    default:
      throw new UsageError(operators_usage);
  }
}

async function create(db: Queryable, flags: Flags): Promise<Outcome> {
  const email = flag(flags, 'email');
  if (email === undefined || !/^[^@\s]+@[^@\s]+$/.test(email))
    throw new UsageError('create needs --email EMAIL');
  const role = flag(flags, 'role') ?? 'admin';
  if (!isOperatorRole(role)) throw new UsageError(`--role must be one of ${operator_roles.join(', ')}`);
  const created = await createOperator(db, {
    email,
    name: flag(flags, 'name') ?? email,
    role,
    created_by: 'cli',
  });
  if (!created.ok) throw new ProblemError({ code: created.error.code, detail: created.error.detail });
  await auditCli(db, livemode, 'operators.create', created.value.id);
  const { id, password, totp_uri } = created.value;
  return success(
    created.value,
    `${id}\npassword: ${password}\nauthenticator: ${totp_uri}\n(scan the authenticator URI into an app; both are shown only this once)`,
  );
}

function describe(operator: OperatorView): string {
  const state = operator.disabled
    ? 'disabled'
    : operator.locked_until !== null
      ? `locked until ${operator.locked_until}`
      : 'active';
  return `${operator.id}  ${operator.role.padEnd(7)}  ${state.padEnd(10)}  ${operator.email}`;
}
