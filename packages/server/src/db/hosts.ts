/**
 * libpq's multi-host connection strings, which node-postgres does not read:
 * `postgres://user:pw@h1:5432,h2:5432/db?target_session_attrs=read-write`. Pure: the URL is split
 * into one ordinary URL per host (what `pg` understands) and the session the caller wants.
 */

/** What a connection must be to be kept (libpq's `target_session_attrs`). */
export type TargetSessionAttrs =
  | 'any'
  | 'read-write'
  | 'read-only'
  | 'primary'
  | 'standby'
  | 'prefer-standby';

const targets: readonly TargetSessionAttrs[] = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
];

export interface HostList {
  /** One single-host URL per listed host, in the listed order, without `target_session_attrs`. */
  readonly urls: readonly string[];
  readonly target: TargetSessionAttrs;
}

/** The state a session reports, read right after it connects. */
export interface SessionState {
  /** `pg_is_in_recovery()`: a standby (hot standby), not a primary. */
  readonly in_recovery: boolean;
  /** `transaction_read_only`: writes are refused (a standby, or `default_transaction_read_only`). */
  readonly read_only: boolean;
}

const target_parameter = 'target_session_attrs';

/**
 * Splits `url` into its hosts. A URL with one host and no `target_session_attrs` comes back as it
 * is. Throws, naming `variable`, on an unknown target or an empty host.
 */
export function parseHostList(url: string, variable: string): HostList {
  const match = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/.exec(url);
  if (match === null) return { urls: [url], target: 'any' };
  const [, scheme = '', userinfo, hosts = '', rest = ''] = match;
  const { path, target } = withoutTarget(rest, variable);
  const prefix = userinfo === undefined ? scheme : `${scheme}${userinfo}@`;
  const listed = hosts.split(',');
  if (listed.some((host) => host === '') && listed.length > 1)
    throw new Error(`${variable} lists an empty host: "${hosts}"`);
  return { urls: listed.map((host) => `${prefix}${host}${path}`), target };
}

/** The URL's path and query without `target_session_attrs`, and that parameter's value. */
function withoutTarget(rest: string, variable: string): { path: string; target: TargetSessionAttrs } {
  const query_start = rest.indexOf('?');
  if (query_start < 0) return { path: rest, target: 'any' };
  const kept: string[] = [];
  let target: TargetSessionAttrs = 'any';
  for (const pair of rest.slice(query_start + 1).split('&')) {
    const [key = '', value = ''] = pair.split('=');
    if (key !== target_parameter) {
      kept.push(pair);
      continue;
    }
    const found = targets.find((candidate) => candidate === decodeURIComponent(value));
    if (found === undefined)
      throw new Error(
        `${variable}: ${target_parameter} must be one of ${targets.join(', ')}, got "${value}"`,
      );
    target = found;
  }
  const path = rest.slice(0, query_start);
  return { path: kept.length === 0 ? path : `${path}?${kept.join('&')}`, target };
}

/**
 * Whether a session in `state` may be kept for `target`, as libpq decides. `prefer-standby` takes
 * a standby on the first pass over the hosts and anything on the second (`second_pass`).
 */
export function acceptable(target: TargetSessionAttrs, state: SessionState, second_pass = false): boolean {
  switch (target) {
    case 'any':
      return true;
    case 'read-write':
      return !state.read_only;
    case 'read-only':
      return state.read_only;
    case 'primary':
      return !state.in_recovery;
    case 'standby':
      return state.in_recovery;
    case 'prefer-standby':
      return second_pass || state.in_recovery;
  }
}

/** How many passes over the hosts `target` takes: two for `prefer-standby`, else one. */
export function passesOf(target: TargetSessionAttrs): 1 | 2 {
  return target === 'prefer-standby' ? 2 : 1;
}
