import { PurseError } from '@purse/sdk/browser';

/** Who is signed in, as `/dashboard/session` answers it. */
export interface Operator {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: 'admin' | 'finance' | 'support' | 'viewer';
}

export interface OperatorSession {
  readonly object: 'operator_session';
  readonly operator: Operator;
  readonly csrf_token: string;
  readonly expires_at: string;
}

export type Mode = 'test' | 'live';

const session_path = '/dashboard/session';

/**
 * The operator's session, or undefined when there is none (never signed in, signed out, or
 * expired: the server answers 401 `session_required` for all three).
 */
export async function currentSession(): Promise<OperatorSession | undefined> {
  const response = await fetch(session_path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  if (response.status === 401) return undefined;
  return (await answer(response)) as OperatorSession;
}

/** Signs in with email, password and the TOTP code; a refusal throws the server's problem. */
export async function signIn(email: string, password: string, code: string): Promise<OperatorSession> {
  const response = await fetch(session_path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password, code }),
  });
  return (await answer(response)) as OperatorSession;
}

export async function signOut(csrf_token: string): Promise<void> {
  const response = await fetch(session_path, {
    method: 'DELETE',
    credentials: 'same-origin',
    headers: { 'x-csrf-token': csrf_token },
  });
  if (!response.ok && response.status !== 401) await answer(response);
}

async function answer(response: Response): Promise<unknown> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (response.ok) return body;
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const retry_after = Number(response.headers.get('retry-after'));
  throw new PurseError({
    status: response.status,
    code: (typeof problem.code === 'string' ? problem.code : 'invalid_response') as PurseError['code'],
    type: typeof problem.type === 'string' ? problem.type : 'about:blank',
    title: typeof problem.title === 'string' ? problem.title : response.statusText,
    detail: typeof problem.detail === 'string' ? problem.detail : `The server answered ${response.status}.`,
    retry_after_s: Number.isFinite(retry_after) && retry_after > 0 ? retry_after : undefined,
  });
}
