import { type FormEvent, useState } from 'react';
import { Field, IdLink, Loading, Problem, Table, useLoad } from '../components.js';
import { useDashboard, useTitle } from '../context.js';
import { when } from '../format.js';
import { navigate } from '../router.js';

interface Hit {
  readonly object: string;
  readonly id: string;
  readonly title: string;
  readonly subtitle: string | null;
  readonly created_at: string;
}

/** `GET /v1/search`: one box for an id, an external id, an email or an amount. */
export function SearchPage({ query }: { query: string }) {
  useTitle(query === '' ? 'Search' : `Search: ${query}`);
  const { purse } = useDashboard();
  const [text, setText] = useState(query);
  const results = useLoad(
    async () => (query === '' ? undefined : await purse.search.query({ q: query, limit: 50 })),
    [purse, query],
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/search?q=${encodeURIComponent(text.trim())}`);
  };
  return (
    <>
      <h1>Search</h1>
      <search>
        <form onSubmit={submit} className="inline">
          <Field label="Id, external id, email or amount">
            {(id) => (
              <input id={id} type="search" value={text} onChange={(e) => setText(e.target.value)} required />
            )}
          </Field>
          <button type="submit">Search</button>
        </form>
      </search>
      <Loading when={results.loading && query !== ''} />
      <Problem error={results.error} />
      {results.data === undefined ? null : (
        <>
          <Table
            caption={`Results for “${query}”`}
            rows={results.data.data}
            empty="No match."
            columns={[
              { label: 'Type', cell: (hit: Hit) => hit.object },
              { label: 'Id', cell: (hit) => <IdLink id={hit.id} /> },
              { label: 'Name', cell: (hit) => hit.title },
              { label: 'Details', cell: (hit) => hit.subtitle ?? '' },
              { label: 'Created', cell: (hit) => when(hit.created_at) },
            ]}
          />
          {results.data.has_more ? <p>More results than shown: narrow the search.</p> : null}
        </>
      )}
    </>
  );
}
