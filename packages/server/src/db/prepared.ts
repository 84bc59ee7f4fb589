import type { QueryConfig } from 'pg';

/** Distinct statement texts given a name at most; later ones run unnamed. */
const prepared_texts_max = 256;
const names = new Map<string, string>();

/**
 * The query as a named prepared statement: PostgreSQL parses and plans it once per connection and
 * then only binds and executes it. For the statements the write path runs on every batch, where
 * parsing and planning the large data-modifying CTEs was about a tenth of the database's time.
 * Their texts are fixed or one of a few shapes, so the names stay few; past `prepared_texts_max`
 * distinct texts a query runs unnamed, so no dynamic text can grow each connection's cache.
 */
export function prepared(text: string, values: readonly unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined && names.size < prepared_texts_max) {
    name = `purse_${names.size + 1}`;
    names.set(text, name);
  }
  return name === undefined ? { text, values: [...values] } : { name, text, values: [...values] };
}
