import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const key = 'sk_test_abc';

describe('purse-mcp configuration', () => {
  it('serves over stdio by default, against the local API', () => {
    expect(loadConfig([], { PURSE_API_KEY: key })).toEqual({
      purse_url: 'http://localhost:8080',
      api_key: key,
      transport: { kind: 'stdio' },
    });
  });

  it('serves over HTTP on loopback with --http, the port from the flag or the environment', () => {
    expect(loadConfig(['--http', '--port', '0'], { PURSE_API_KEY: key }).transport).toEqual({
      kind: 'http',
      host: '127.0.0.1',
      port: 0,
      token: null,
    });
    expect(loadConfig(['--http'], { PURSE_API_KEY: key, PURSE_MCP_PORT: '9000' }).transport).toMatchObject({
      port: 9000,
    });
  });

  it('refuses to start without a key, or with a broken URL or port', () => {
    expect(() => loadConfig([], {})).toThrow(ConfigError);
    expect(() => loadConfig([], { PURSE_API_KEY: 'hunter2' })).toThrow(/PURSE_API_KEY/);
    expect(() => loadConfig([], { PURSE_API_KEY: key, PURSE_URL: 'nowhere' })).toThrow(/PURSE_URL/);
    expect(() => loadConfig(['--http', '--port', '65536'], { PURSE_API_KEY: key })).toThrow(/--port/);
    expect(() => loadConfig(['--port', '1'], { PURSE_API_KEY: key })).toThrow(/go with --http/);
    expect(() => loadConfig(['--verbose'], { PURSE_API_KEY: key })).toThrow(TypeError);
  });

  it('listens beyond loopback only with a token, since whoever reaches the port spends with the key', () => {
    expect(() => loadConfig(['--http', '--host', '0.0.0.0'], { PURSE_API_KEY: key })).toThrow(
      /PURSE_MCP_TOKEN/,
    );
    expect(
      loadConfig(['--http', '--host', '0.0.0.0'], { PURSE_API_KEY: key, PURSE_MCP_TOKEN: 't0ken' }).transport,
    ).toMatchObject({ host: '0.0.0.0', token: 't0ken' });
  });
});
