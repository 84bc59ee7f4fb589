import { Purse } from '@purse/sdk/browser';
import { createContext, useContext, useEffect } from 'react';
import { pageTitle } from './format.js';
import type { Mode, OperatorSession } from './session.js';

export interface Dashboard {
  readonly session: OperatorSession;
  readonly mode: Mode;
  /** The SDK client for this session and mode: every call the pages make goes through it. */
  readonly purse: Purse;
  /** Called when an answer says the session is gone (401): back to the sign-in page. */
  readonly expired: () => void;
}

export const DashboardContext = createContext<Dashboard | undefined>(undefined);

export function useDashboard(): Dashboard {
  const dashboard = useContext(DashboardContext);
  if (dashboard === undefined) throw new Error('useDashboard outside a signed-in page');
  return dashboard;
}

export function clientFor(session: OperatorSession, mode: Mode): Purse {
  // One retry for a dropped connection; an operator sees a refusal at once rather than after backoff.
  return Purse.forBrowserSession(
    { csrf_token: session.csrf_token, mode },
    { max_retries: 1, timeout_ms: 20_000 },
  );
}

/** Sets the document title, the mode first; returns the mode for the page. */
export function useTitle(page: string) {
  const { mode } = useDashboard();
  useEffect(() => {
    document.title = pageTitle(page, mode);
  }, [page, mode]);
  return { mode };
}
