#!/usr/bin/env node
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Purse } from '@purse/sdk';
import { ConfigError, loadConfig, type McpConfig, usage } from './config.js';
import { startHttpServer } from './http.js';
import { createPurseMcpServer } from './server.js';

/**
 * `purse-mcp`: stdout belongs to the protocol over stdio, so everything said to a person goes to
 * stderr.
 */
async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.error(usage);
    return;
  }
  const config = configOrExit();
  const purse = new Purse(config.api_key, { baseUrl: config.purse_url });
  if (config.transport.kind === 'stdio') {
    await createPurseMcpServer(purse).connect(new StdioServerTransport());
    return;
  }
  const server = await startHttpServer(() => createPurseMcpServer(purse), config.transport);
  console.error(`purse-mcp: streamable HTTP on ${server.url}, calling ${config.purse_url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function configOrExit(): McpConfig {
  try {
    return loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof TypeError)) throw error;
    console.error(`purse-mcp: ${error.message}\n\n${usage}`);
    process.exit(2);
  }
}

await main();
