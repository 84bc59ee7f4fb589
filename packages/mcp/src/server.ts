import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type Purse, PurseError } from '@purse/sdk';
import { z } from 'zod';
import { answerResult, type ProblemContent, problemResult } from './results.js';
import { type Tool, tools } from './tools.js';

export const server_name = 'purse';
export const server_version = '0.1.0';

const instructions = `Purse wallet tools. Every call is one request to the Purse API under one API key, which may be restricted to some wallets and bound by a spend policy. Amounts are decimal strings ("12.34"), never numbers. A refused call returns isError with the API's problem: read its code and param, fix the call or stop; do not retry a refusal unchanged. A movement above the key's approval threshold is parked: you get an approval (apr_...) to poll with get_approval, not a transfer.`;

/** An MCP server whose tools call Purse through `purse`, the one client with the one key. */
export function createPurseMcpServer(purse: Purse): McpServer {
  const server = new McpServer({ name: server_name, version: server_version }, { instructions });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: z.strictObject(tool.input),
        annotations: tool.annotations,
      },
      (args: Record<string, unknown>) => callTool(purse, tool, args),
    );
  }
  return server;
}

async function callTool(purse: Purse, tool: Tool, args: Record<string, unknown>): Promise<CallToolResult> {
  try {
    return answerResult(await tool.run(purse, args as never));
  } catch (error) {
    return problemResult(problemOf(error));
  }
}

/**
 * A refusal from the API, or no answer from it after the SDK's retries (status 0, code
 * connection_failed or timeout), is the agent's to read. Anything else is a bug here: it is thrown,
 * and the MCP SDK reports it as an error result with its message.
 */
function problemOf(error: unknown): ProblemContent {
  if (!(error instanceof PurseError)) throw error;
  return {
    status: error.status,
    code: error.code,
    detail: error.detail,
    param: error.param ?? null,
    request_id: error.request_id ?? null,
  };
}
