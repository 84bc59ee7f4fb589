import type { paths } from './generated/openapi.js';
import { type Cursor, type Page, PageRequest } from './list.js';
import type { ApiRequest, ClientConfig, RequestOptions } from './request.js';
import { send } from './request.js';

/**
 * An operation is one endpoint of openapi.json, declared by its kind and path; its method's
 * arguments and result are computed from the generated `paths` types, and one function
 * (`bindOperation`) turns any declaration into the method. The kinds:
 *
 * - `get`:    GET without a query (`retrieve(id)`)
 * - `query`:  GET with a query that is not a list (`balance(id, { at })`)
 * - `list`:   GET of a list: returns a `PageRequest` (awaitable and async-iterable)
 * - `post`:   POST with a JSON body (`create(body)`, `capture(id, body)`)
 * - `action`: POST without a body (`void(id)`)
 * - `delete`: DELETE without a body
 * - `bytes`:  GET without a query whose answer is a file (`pdf(id)`): a `Uint8Array`
 */
export type Kind = 'get' | 'query' | 'list' | 'post' | 'action' | 'delete' | 'bytes';

export interface Operation<K extends Kind, P extends keyof paths> {
  readonly kind: K;
  readonly path: P;
  /** `bytes` only: the file's media type, asked for with `Accept`. */
  readonly accept?: string;
}

type Verb<K extends Kind> = K extends 'post' | 'action' ? 'post' : K extends 'delete' ? 'delete' : 'get';

/** The generated description of `verb path`, or never when the path has no such method. */
type OperationOf<P extends keyof paths, V extends 'get' | 'post' | 'delete'> = Exclude<
  paths[P][V],
  undefined
>;

/** One string argument per `{param}` of the path, in order. */
type PathArgs<P extends string> = P extends `${string}{${string}}${infer Rest}`
  ? [id: string, ...PathArgs<Rest>]
  : [];

type ContentOf<R> = R extends { content: infer C }
  ? C extends { 'application/json': infer J }
    ? J
    : C extends Record<string, infer T>
      ? T
      : string
  : string;

/** The union of the 2xx bodies (a 202 is an approval: the request was parked, not refused). */
export type SuccessOf<O> = O extends { responses: infer R }
  ? { [S in keyof R]: S extends 200 | 201 | 202 ? ContentOf<R[S]> : never }[keyof R]
  : never;

type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? Exclude<Q, undefined> : never;

/**
 * openapi.json marks `limit` required because it has a default; the server fills it in, so a
 * caller may leave it out.
 */
export type ListParams<Q> = Omit<Q, 'limit'> & { readonly limit?: number };

// An argument that may be left out when every field of it is optional.
type Empty = Record<never, never>;
type BodyArg<B> = Empty extends B ? [body?: B] : [body: B];
type ParamsArg<Q> = Empty extends Q ? [params?: Q] : [params: Q];

type ItemOf<O> = SuccessOf<O> extends { data: (infer I)[] } ? I : never;

type ArgsOf<K extends Kind, P extends keyof paths & string> = K extends 'post'
  ? [...PathArgs<P>, ...BodyArg<BodyOf<OperationOf<P, 'post'>>>, options?: RequestOptions]
  : K extends 'query'
    ? [...PathArgs<P>, ...ParamsArg<QueryOf<OperationOf<P, 'get'>>>, options?: RequestOptions]
    : K extends 'list'
      ? [...PathArgs<P>, params?: ListParams<QueryOf<OperationOf<P, 'get'>>>, options?: RequestOptions]
      : [...PathArgs<P>, options?: RequestOptions];

type ResultOf<K extends Kind, P extends keyof paths> = K extends 'list'
  ? PageRequest<ItemOf<OperationOf<P, 'get'>> & { readonly id: string }>
  : K extends 'bytes'
    ? Promise<Uint8Array<ArrayBuffer>>
    : Promise<SuccessOf<OperationOf<P, Verb<K>>>>;

/** The method an operation declaration becomes. */
export type MethodOf<D> =
  D extends Operation<infer K, infer P>
    ? P extends string
      ? (...args: ArgsOf<K, P>) => ResultOf<K, P>
      : never
    : never;

/** A resource client: one method per declared operation. */
export type ResourceOf<D> = { readonly [M in keyof D]: MethodOf<D[M]> };

// The paths each kind accepts, so a declaration of the wrong kind does not compile.
type PathsWhere<V extends 'get' | 'post' | 'delete', Shape> = {
  [P in keyof paths]: paths[P][V] extends Shape ? P : never;
}[keyof paths];
type WithJsonBody = { requestBody: { content: { 'application/json': unknown } } };
type WithQuery =
  | { parameters: { query: Record<string, unknown> } }
  | { parameters: { query?: Record<string, unknown> } };
type ListResponse = { responses: { 200: { content: { 'application/json': { object: 'list' } } } } };

export const get = <P extends PathsWhere<'get', { parameters: { query?: never } }>>(path: P) =>
  ({ kind: 'get', path }) as const;
export const query = <P extends PathsWhere<'get', WithQuery>>(path: P) => ({ kind: 'query', path }) as const;
export const list = <P extends PathsWhere<'get', ListResponse>>(path: P) => ({ kind: 'list', path }) as const;
export const post = <P extends PathsWhere<'post', WithJsonBody>>(path: P) =>
  ({ kind: 'post', path }) as const;
export const action = <P extends PathsWhere<'post', { requestBody?: never }>>(path: P) =>
  ({ kind: 'action', path }) as const;
export const del = <P extends PathsWhere<'delete', object>>(path: P) => ({ kind: 'delete', path }) as const;
// openapi.json describes a file answer as a string, whatever its media type: the kind says bytes.
export const bytes = <P extends PathsWhere<'get', { parameters: { query?: never } }>>(
  path: P,
  accept: string,
) => ({ kind: 'bytes', path, accept }) as const;

const takes_input: Readonly<Record<Kind, boolean>> = {
  get: false,
  query: true,
  list: true,
  post: true,
  action: false,
  delete: false,
  bytes: false,
};
const verb_of: Readonly<Record<Kind, ApiRequest['method']>> = {
  get: 'GET',
  query: 'GET',
  list: 'GET',
  post: 'POST',
  action: 'POST',
  delete: 'DELETE',
  bytes: 'GET',
};

/** Turns a declaration into its method, over one client's configuration. */
export function bindOperation(
  config: ClientConfig,
  operation: Operation<Kind, keyof paths>,
): (...args: unknown[]) => unknown {
  const names = [...operation.path.matchAll(/\{([^}]+)\}/g)].length;
  return (...args: unknown[]) => {
    const path = fillPath(operation.path, args.slice(0, names));
    const input = takes_input[operation.kind] ? args[names] : undefined;
    const options = (args[takes_input[operation.kind] ? names + 1 : names] ?? {}) as RequestOptions;
    const method = verb_of[operation.kind];
    if (operation.kind === 'list')
      return listRequest(config, path, (input ?? {}) as Record<string, unknown>, options);
    const request: ApiRequest =
      method === 'GET'
        ? { method, path, query: input as Record<string, unknown>, accept: operation.accept }
        : { method, path, body: input };
    return send(config, request, options).then((response) => response.body);
  };
}

function listRequest(
  config: ClientConfig,
  path: string,
  params: Record<string, unknown>,
  options: RequestOptions,
): PageRequest<{ id: string }> {
  const fetchPage = async (cursor: Cursor) => {
    const query =
      cursor.starting_after === undefined && cursor.ending_before === undefined
        ? params
        : { ...withoutCursor(params), ...cursor };
    const response = await send(config, { method: 'GET', path, query }, options);
    return response.body as Page<{ id: string }>;
  };
  return new PageRequest(
    fetchPage,
    params.ending_before !== undefined && params.starting_after === undefined,
  );
}

function withoutCursor(params: Record<string, unknown>): Record<string, unknown> {
  const { starting_after: _after, ending_before: _before, ...rest } = params;
  return rest;
}

/** Fills `{param}`s in order, each encoded so an id can never change the path. */
function fillPath(template: string, values: readonly unknown[]): string {
  let index = 0;
  return template.replace(/\{[^}]+\}/g, () => {
    const value = values[index++];
    if (typeof value !== 'string' || value === '')
      throw new TypeError(`${template}: expected an id string, got ${String(value)}`);
    return encodeURIComponent(value);
  });
}

/** Binds every operation of a resource declaration. */
export function bindResource<D extends Record<string, Operation<Kind, keyof paths>>>(
  config: ClientConfig,
  declaration: D,
): ResourceOf<D> {
  const methods: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(declaration))
    methods[name] = bindOperation(config, operation);
  return methods as ResourceOf<D>;
}
