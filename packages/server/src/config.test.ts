import { describe, expect, it } from 'vitest';
import { api_processes_max, loadConfig, processesFrom } from './config.js';

describe('PURSE_PROCESSES and serve --processes', () => {
  it('is unset by default: serve stays one process', () => {
    expect(loadConfig({}).processes).toBeUndefined();
    expect(loadConfig({ PURSE_PROCESSES: ' ' }).processes).toBeUndefined();
  });

  it('takes a whole number from 1 to the maximum', () => {
    expect(loadConfig({ PURSE_PROCESSES: '3' }).processes).toBe(3);
    expect(processesFrom('1', '--processes')).toBe(1);
    expect(processesFrom(String(api_processes_max), '--processes')).toBe(api_processes_max);
  });

  it('refuses anything else, naming where it came from', () => {
    for (const text of ['0', '-1', '2.5', '1e2', 'three', String(api_processes_max + 1)])
      expect(() => processesFrom(text, '--processes'), text).toThrow(
        `--processes must be a whole number from 1 to ${api_processes_max}, got "${text}"`,
      );
    expect(() => loadConfig({ PURSE_PROCESSES: '0' })).toThrow(/^PURSE_PROCESSES must be/);
  });
});
