import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { acceptable, parseHostList, type SessionState } from './hosts.js';

const primary: SessionState = { in_recovery: false, read_only: false };
const standby: SessionState = { in_recovery: true, read_only: true };
/** pg_auto_failover's promoted standby before the monitor lets it take writes. */
const promoting: SessionState = { in_recovery: false, read_only: true };

describe('multi-host URLs', () => {
  it('splits the host list into one URL per host, keeping credentials, path and other parameters', () => {
    const list = parseHostList(
      'postgres://app:p%40ss@10.0.0.1:5432,10.0.0.2,[::1]:6432/purse?sslmode=require&target_session_attrs=read-write&application_name=x',
      'DATABASE_URL',
    );
    expect(list.target).toBe('read-write');
    expect(list.urls).toEqual([
      'postgres://app:p%40ss@10.0.0.1:5432/purse?sslmode=require&application_name=x',
      'postgres://app:p%40ss@10.0.0.2/purse?sslmode=require&application_name=x',
      'postgres://app:p%40ss@[::1]:6432/purse?sslmode=require&application_name=x',
    ]);
  });

  it('reads the URL pg_autoctl show uri prints', () => {
    const list = parseHostList(
      'postgres://127.0.0.1:55432,127.0.0.1:55433/postgres?target_session_attrs=read-write&sslmode=prefer',
      'DATABASE_URL',
    );
    expect(list).toEqual({
      urls: [
        'postgres://127.0.0.1:55432/postgres?sslmode=prefer',
        'postgres://127.0.0.1:55433/postgres?sslmode=prefer',
      ],
      target: 'read-write',
    });
  });

  it('leaves a single-host URL as it is, and reads its target too', () => {
    expect(parseHostList('postgres://u@db/purse', 'DATABASE_URL')).toEqual({
      urls: ['postgres://u@db/purse'],
      target: 'any',
    });
    expect(parseHostList('postgresql://db/purse?target_session_attrs=standby', 'X').urls).toEqual([
      'postgresql://db/purse',
    ]);
  });

  it('refuses an unknown target and an empty host, naming the variable', () => {
    expect(() =>
      parseHostList('postgres://a,b/db?target_session_attrs=master', 'DATABASE_REPLICA_URL'),
    ).toThrow(/DATABASE_REPLICA_URL: target_session_attrs must be one of/);
    expect(() => parseHostList('postgres://a,,b/db', 'DATABASE_URL')).toThrow(
      /DATABASE_URL lists an empty host/,
    );
  });

  it('configuration checks every database URL at start, naming the variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://a:5432,b:5432/purse?target_session_attrs=read-write',
      DATABASE_REPLICA_URL: 'postgres://a,b/purse?target_session_attrs=standby',
    });
    expect(config.database_replica_url).toBe('postgres://a,b/purse?target_session_attrs=standby');
    expect(config.replica_max_lag_ms).toBe(1_000);
    expect(() =>
      loadConfig({ DATABASE_MIGRATION_URL: 'postgres://a,b/purse?target_session_attrs=leader' }),
    ).toThrow(/DATABASE_MIGRATION_URL: target_session_attrs/);
    expect(() => loadConfig({ PURSE_REPLICA_MAX_LAG_MS: '1s' })).toThrow(/PURSE_REPLICA_MAX_LAG_MS/);
  });

  it('accepts sessions as libpq does for each target', () => {
    const table: [Parameters<typeof acceptable>[0], SessionState, boolean][] = [
      ['any', standby, true],
      ['read-write', primary, true],
      ['read-write', standby, false],
      ['read-write', promoting, false],
      ['read-only', standby, true],
      ['read-only', primary, false],
      ['primary', promoting, true],
      ['primary', standby, false],
      ['standby', standby, true],
      ['standby', primary, false],
      ['prefer-standby', standby, true],
      ['prefer-standby', primary, false],
    ];
    for (const [target, state, expected] of table)
      expect(acceptable(target, state), `${target} ${JSON.stringify(state)}`).toBe(expected);
    expect(acceptable('prefer-standby', primary, true)).toBe(true);
  });
});
