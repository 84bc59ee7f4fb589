import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * What the API answered, as a tool result an agent reads: the object as JSON text. A request the
 * API parked for a person's approval (HTTP 202) comes back as that approval, with a line saying
 * what to do next, so the agent neither retries it nor believes it ran.
 */
export function answerResult(answer: unknown): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(answer) }];
  if (isApproval(answer) && answer.status === 'pending')
    content.push({
      type: 'text',
      text: `Parked for approval ${answer.id}: nothing has moved yet. Do not send it again; poll get_approval with approval_id "${answer.id}" until its status is approved (its result then holds the API's answer), rejected or expired.`,
    });
  return { content };
}

/** The fields of an RFC 9457 problem an agent needs to understand a refusal and fix its call. */
export interface ProblemContent {
  /** 0 when the API gave no answer. */
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly param: string | null;
  readonly request_id: string | null;
}

/**
 * A refused call (any problem from the API, or the API out of reach) is a tool result with
 * isError: true, never an exception or a protocol error: the agent is meant to read it and act.
 */
export function problemResult(problem: ProblemContent): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(problem) }] };
}

interface ApprovalLike {
  readonly object: 'approval';
  readonly id: string;
  readonly status: string;
}

function isApproval(value: unknown): value is ApprovalLike {
  return typeof value === 'object' && value !== null && (value as { object?: unknown }).object === 'approval';
}
