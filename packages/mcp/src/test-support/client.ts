import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { expect } from 'vitest';

/** What a tool call answered: the JSON of its first text item, and the rest of its text. */
export interface ToolAnswer {
  readonly is_error: boolean;
  readonly json: Record<string, unknown>;
  readonly notes: readonly string[];
}

/** The MCP SDK's own client, connected over `transport`. */
export async function connectClient(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'purse-mcp-test', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text?: string }[];
  const texts = content.map((item) => {
    expect(item.type).toBe('text');
    return item.text ?? '';
  });
  const [first = '', ...notes] = texts;
  return { is_error: result.isError === true, json: parseOrText(first), notes };
}

function parseOrText(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}
