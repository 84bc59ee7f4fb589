import { type Page, PurseError } from '@purse/sdk/browser';
import { type ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { useDashboard } from './context.js';
import { routeOfId } from './format.js';
import { Link } from './router.js';

/** What the API said, for people: a problem's `detail` (and its request id, for support). */
export function describeError(error: unknown): string {
  if (error instanceof PurseError) {
    const request = error.request_id === undefined ? '' : ` (request ${error.request_id})`;
    return `${error.detail}${request}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A failure, announced by screen readers as soon as it appears. */
export function Problem({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <div role="alert" className="problem">
      {describeError(error)}
    </div>
  );
}

function isSessionGone(error: unknown): boolean {
  return error instanceof PurseError && error.status === 401;
}

/** Loads something for a page; an expired session sends the operator back to sign in. */
export function useLoad<T>(load: () => PromiseLike<T>, deps: readonly unknown[]) {
  const { expired } = useDashboard();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [version, setVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what the load reads
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => {
        if (!current) return;
        if (isSessionGone(error)) expired();
        setState({ error, loading: false });
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { ...state, reload };
}

/**
 * Runs an operator's action: while it runs its buttons are disabled; a refusal shows the API's
 * problem in the page (and changed nothing, as the API guarantees); success reports what happened.
 */
export function useAction() {
  const { expired } = useDashboard();
  const [state, setState] = useState<{ busy: boolean; error?: unknown; done?: string }>({ busy: false });
  const run = useCallback(
    async (action: () => Promise<string>, after?: () => void) => {
      setState({ busy: true });
      try {
        const done = await action();
        setState({ busy: false, done });
        after?.();
      } catch (error) {
        if (isSessionGone(error)) expired();
        setState({ busy: false, error });
      }
    },
    [expired],
  );
  return { ...state, run };
}

export function ActionResult({ error, done }: { error?: unknown; done?: string | undefined }) {
  return (
    <>
      <Problem error={error} />
      {done === undefined ? null : (
        <p role="status" className="done">
          {done}
        </p>
      )}
    </>
  );
}

/**
 * A list read page by page with the API's cursors: `starting_after` the last row for the next
 * page, the cursors of the pages before kept to go back.
 */
export function useCursorList<T extends { readonly id: string }>(
  load: (starting_after: string | undefined) => PromiseLike<Page<T>>,
  deps: readonly unknown[],
) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new list starts at its first page
  useEffect(() => setCursors([undefined]), deps);
  const cursor = cursors.at(-1);
  const page = useLoad(() => load(cursor), [...deps, cursor]);
  const last = page.data?.data.at(-1);
  return {
    ...page,
    has_previous: cursors.length > 1,
    has_next: page.data?.has_more === true && last !== undefined,
    next: () => last !== undefined && setCursors((c) => [...c, last.id]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}

export interface Column<T> {
  readonly label: string;
  readonly cell: (row: T) => ReactNode;
}

export function Table<T>({
  caption,
  columns,
  rows,
  empty = 'Nothing here yet.',
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  empty?: string;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col">
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length}>{empty}</td>
            </tr>
          ) : (
            rows.map((row, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows of one page keep their order
              <tr key={index}>
                {columns.map((column) => (
                  <td key={column.label}>{column.cell(row)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A cursor list: its table and the previous/next buttons. */
export function PagedTable<T extends { readonly id: string }>({
  caption,
  columns,
  list,
}: {
  caption: string;
  columns: readonly Column<T>[];
  list: ReturnType<typeof useCursorList<T>>;
}) {
  return (
    <div className="paged" aria-busy={list.loading}>
      <Problem error={list.error} />
      <Table caption={caption} columns={columns} rows={list.data?.data ?? []} />
      <nav className="pager" aria-label={`${caption}: pages`}>
        <button type="button" onClick={list.previous} disabled={!list.has_previous}>
          Previous page
        </button>
        <button type="button" onClick={list.next} disabled={!list.has_next}>
          Next page
        </button>
      </nav>
    </div>
  );
}

/** An id as a link to its page when the dashboard has one. */
export function IdLink({ id }: { id: string | null | undefined }) {
  if (id === null || id === undefined || id === '') return <>–</>;
  const route = routeOfId(id);
  return route === undefined ? <code>{id}</code> : <Link to={route}>{id}</Link>;
}

/** An object's fields as a description list; nested values as JSON. */
export function Fields({ object, only }: { object: Record<string, unknown>; only?: readonly string[] }) {
  const names = only ?? Object.keys(object).filter((name) => name !== 'object');
  return (
    <dl className="fields">
      {names.map((name) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{render(name, object[name])}</dd>
        </div>
      ))}
    </dl>
  );
}

function render(name: string, value: unknown): ReactNode {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string' && (name === 'id' || name.endsWith('_id'))) return <IdLink id={value} />;
  if (typeof value === 'object') return <pre>{JSON.stringify(value, null, 2)}</pre>;
  return String(value);
}

/** A labelled input: the label is bound to its control. */
export function Field({
  label,
  children,
  hint,
}: {
  label: string;
  hint?: string;
  children: (id: string, hint_id: string | undefined) => ReactNode;
}) {
  const id = useId();
  const hint_id = hint === undefined ? undefined : `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, hint_id)}
      {hint === undefined ? null : (
        <small id={hint_id} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? <p className="loading">Loading…</p> : null;
}
