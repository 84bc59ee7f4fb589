import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isLoopback } from './config.js';

/** A tool call's arguments are small; the API's own body limit is 1 MiB. */
const request_body_bytes_max = 1024 * 1024;
export const mcp_path = '/mcp';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  /** When set, a client must send `Authorization: Bearer <token>`. */
  readonly token: string | null;
}

export interface RunningHttpServer {
  /** Where an MCP client connects, e.g. http://127.0.0.1:8090/mcp. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Streamable HTTP, stateless: each POST gets its own MCP server and transport, answered with plain
 * JSON. The tools keep no state between calls (the API holds it all), so there is no session to
 * keep, nothing to expire, and any number of clients share the one key's limits at the API.
 */
export async function startHttpServer(
  newMcpServer: () => McpServer,
  options: HttpOptions,
): Promise<RunningHttpServer> {
  const server = createServer((request, response) => {
    handle(newMcpServer, options, request, response).catch((error: unknown) => {
      console.error('purse-mcp: a request failed', error);
      if (!response.headersSent)
        refuse(response, 500, 'internal_error', 'The MCP server failed; see its log.');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return { url: `http://${host}:${port}${mcp_path}`, close: () => closeServer(server) };
}

async function handle(
  newMcpServer: () => McpServer,
  options: HttpOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== mcp_path) return refuse(response, 404, 'not_found', `The MCP endpoint is ${mcp_path}.`);
  if (!hostAllowed(options.host, request.headers.host))
    return refuse(
      response,
      403,
      'host_not_allowed',
      'This server answers only requests addressed to localhost.',
    );
  if (!tokenMatches(options.token, request.headers.authorization))
    return refuse(response, 401, 'invalid_token', 'Send the server token as Authorization: Bearer <token>.');
  // Stateless: no session to resume (GET) or end (DELETE).
  if (request.method !== 'POST')
    return refuse(response, 405, 'method_not_allowed', 'This server is stateless: POST each message.');
  const mcp = newMcpServer();
  const transport = new StreamableHTTPServerTransport({
    // No sessionIdGenerator: stateless.
    enableJsonResponse: true,
    maxRequestBodySize: request_body_bytes_max,
  });
  response.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(request, response);
}

/**
 * A page in a browser can make it resolve a name of its own to 127.0.0.1 (DNS rebinding) and then
 * post here: on loopback, only requests addressed to a loopback name are answered.
 */
function hostAllowed(listening_host: string, host_header: string | undefined): boolean {
  if (!isLoopback(listening_host)) return true;
  if (host_header === undefined) return false;
  const name = host_header.replace(/:[0-9]+$/, '').replace(/^\[(.*)\]$/, '$1');
  return isLoopback(name);
}

function tokenMatches(token: string | null, authorization: string | undefined): boolean {
  if (token === null) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Refusals before MCP is involved are JSON-RPC errors, as an MCP client expects from the endpoint. */
function refuse(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message, data: { code } } }),
  );
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
