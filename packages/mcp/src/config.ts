import { parseArgs } from 'node:util';

export type Transport =
  | { readonly kind: 'stdio' }
  | { readonly kind: 'http'; readonly host: string; readonly port: number; readonly token: string | null };

export interface McpConfig {
  /** The Purse API every tool call goes to. */
  readonly purse_url: string;
  /** The one key every tool call is made with: the agent can do what this key can, nothing more. */
  readonly api_key: string;
  readonly transport: Transport;
}

export const default_purse_url = 'http://localhost:8080';
export const default_http_port = 8090;
const default_http_host = '127.0.0.1';
const loopback_hosts: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export const usage = `Usage: purse-mcp [--http [--port 8090] [--host 127.0.0.1]]

Serves Purse's wallet tools to an AI agent over the Model Context Protocol: over stdio by
default (an MCP client starts this process), or over streamable HTTP at /mcp with --http.

Environment:
  PURSE_API_KEY   required: the key every tool call uses (restricted, with a spend policy)
  PURSE_URL       the Purse API (default ${default_purse_url})
  PURSE_MCP_PORT, PURSE_MCP_HOST   defaults for --port and --host
  PURSE_MCP_TOKEN HTTP clients must send it as a bearer token; required off loopback`;

export class ConfigError extends Error {}

/** Command-line arguments and environment to a checked config; a ConfigError says what is wrong. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): McpConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: { http: { type: 'boolean' }, port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  const api_key = env.PURSE_API_KEY ?? '';
  if (!/^sk_(test|live)_\S+$/.test(api_key))
    throw new ConfigError('PURSE_API_KEY must be set to a Purse secret key (sk_test_... or sk_live_...)');
  const purse_url = env.PURSE_URL ?? default_purse_url;
  if (!URL.canParse(purse_url)) throw new ConfigError(`PURSE_URL is not a URL: ${purse_url}`);
  if (values.http !== true) {
    if (values.port !== undefined || values.host !== undefined)
      throw new ConfigError('--port and --host go with --http');
    return { purse_url, api_key, transport: { kind: 'stdio' } };
  }
  return { purse_url, api_key, transport: httpTransport(values, env) };
}

function httpTransport(values: { port?: string; host?: string }, env: NodeJS.ProcessEnv): Transport {
  const port_text = values.port ?? env.PURSE_MCP_PORT ?? String(default_http_port);
  const port = Number(port_text);
  if (!/^[0-9]{1,5}$/.test(port_text) || port > 65_535)
    throw new ConfigError(`--port must be a port number from 0 to 65535, not ${port_text}`);
  const host = values.host ?? env.PURSE_MCP_HOST ?? default_http_host;
  const token = env.PURSE_MCP_TOKEN === undefined || env.PURSE_MCP_TOKEN === '' ? null : env.PURSE_MCP_TOKEN;
  // Whoever reaches the port spends with the key: beyond this machine, only with a token.
  if (!loopback_hosts.has(host) && token === null)
    throw new ConfigError(
      `listening on ${host} needs PURSE_MCP_TOKEN: anyone reaching the port would use the key`,
    );
  return { kind: 'http', host, port, token };
}

export function isLoopback(host: string): boolean {
  return loopback_hosts.has(host);
}
