import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { describeError } from './components.js';
import { clientFor, type Dashboard, DashboardContext, useDashboard, useTitle } from './context.js';
import { ApiKeysPage } from './pages/api-keys.js';
import { DetailPage, detail_types } from './pages/detail.js';
import { ListPage, list_types } from './pages/lists.js';
import { LoginPage } from './pages/login.js';
import { OperatorsPage } from './pages/operators.js';
import { OverviewPage } from './pages/overview.js';
import { RiskRulesPage } from './pages/risk-rules.js';
import { SearchPage } from './pages/search.js';
import { WalletPage } from './pages/wallet.js';
import { WebhooksPage } from './pages/webhooks.js';
import { Link, navigate, type Route, useRoute } from './router.js';
import { currentSession, type Mode, type OperatorSession, signOut } from './session.js';

const mode_key = 'purse.dashboard.mode';

function storedMode(): Mode {
  return window.sessionStorage.getItem(mode_key) === 'live' ? 'live' : 'test';
}

type Signed =
  | { readonly state: 'checking' }
  | { readonly state: 'out'; readonly notice?: string }
  | { readonly state: 'in'; readonly session: OperatorSession };

export function App() {
  const route = useRoute();
  const [signed, setSigned] = useState<Signed>({ state: 'checking' });
  const [mode, setMode] = useState<Mode>(storedMode);

  useEffect(() => {
    currentSession().then(
      (session) => setSigned(session === undefined ? { state: 'out' } : { state: 'in', session }),
      (error: unknown) => setSigned({ state: 'out', notice: describeError(error) }),
    );
  }, []);

  const expired = useCallback(
    () => setSigned({ state: 'out', notice: 'Your session has expired or was ended. Sign in again.' }),
    [],
  );
  const chooseMode = (next: Mode) => {
    window.sessionStorage.setItem(mode_key, next);
    setMode(next);
  };

  const dashboard = useMemo<Dashboard | undefined>(
    () =>
      signed.state === 'in'
        ? { session: signed.session, mode, purse: clientFor(signed.session, mode), expired }
        : undefined,
    [signed, mode, expired],
  );

  if (signed.state === 'checking') return <p className="loading">Loading…</p>;
  if (dashboard === undefined)
    return (
      <LoginPage
        notice={signed.state === 'out' ? signed.notice : undefined}
        onSignedIn={(session) => {
          setSigned({ state: 'in', session });
          if (route.path === '/login') navigate('/', { replace: true });
        }}
      />
    );
  return (
    <DashboardContext.Provider value={dashboard}>
      <Shell mode={mode} onMode={chooseMode} onSignOut={() => setSigned({ state: 'out' })}>
        <Routed route={route} />
      </Shell>
    </DashboardContext.Provider>
  );
}

function Routed({ route }: { route: Route }): ReactNode {
  const [, first = '', second] = route.path.split('/');
  const id = second === undefined ? undefined : decodeURIComponent(second);
  if (first === '' || first === 'login') return <OverviewPage />;
  if (first === 'search') return <SearchPage query={route.query.get('q') ?? ''} />;
  if (first === 'wallets' && id !== undefined) return <WalletPage id={id} />;
  if (first === 'risk_rules') return <RiskRulesPage />;
  if (first === 'webhooks') return <WebhooksPage id={id} />;
  if (first === 'api_keys') return <ApiKeysPage />;
  if (first === 'operators') return <OperatorsPage />;
  if (id !== undefined && first in detail_types)
    return <DetailPage type={first as keyof typeof detail_types} id={id} />;
  if (first in list_types) return <ListPage type={first as keyof typeof list_types} />;
  return <NotFound />;
}

function NotFound() {
  const { mode } = useTitle('Not found');
  return (
    <>
      <h1>Not found</h1>
      <p>
        No page here ({mode} mode). <Link to="/">Back to the overview</Link>.
      </p>
    </>
  );
}

const nav: readonly [string, string][] = [
  ['/', 'Overview'],
  ['/search', 'Search'],
  ['/wallets', 'Wallets'],
  ['/holders', 'Holders'],
  ['/transfers', 'Transfers'],
  ['/payments', 'Payments'],
  ['/payouts', 'Payouts'],
  ['/escrows', 'Escrows'],
  ['/approvals', 'Approvals'],
  ['/risk_rules', 'Risk rules'],
  ['/webhooks', 'Webhooks'],
  ['/api_keys', 'API keys'],
  ['/operators', 'Operators'],
];

function Shell({
  mode,
  onMode,
  onSignOut,
  children,
}: {
  mode: Mode;
  onMode: (mode: Mode) => void;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const route = useRoute();
  const { session } = useDashboard();
  const [error, setError] = useState<string>();
  const current = `/${route.path.split('/')[1] ?? ''}`;
  return (
    <div className={`shell mode-${mode}`}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <div className={`mode-banner mode-banner-${mode}`} role="note" aria-label="Mode">
        {mode === 'live' ? (
          <strong>LIVE mode: real money. Every action here moves or changes live data.</strong>
        ) : (
          <strong>TEST mode: you are looking at test data. Nothing here touches real money.</strong>
        )}
      </div>
      <header className="top">
        <span className="brand">Purse</span>
        <fieldset className="mode-switch">
          <legend>Mode</legend>
          {(['test', 'live'] as const).map((m) => (
            <label key={m}>
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => onMode(m)} />
              {m === 'test' ? 'Test' : 'Live'}
            </label>
          ))}
        </fieldset>
        <span className="who">
          {session.operator.name} ({session.operator.role})
        </span>
        <button
          type="button"
          onClick={() => {
            signOut(session.csrf_token).then(onSignOut, (e: unknown) => setError(describeError(e)));
          }}
        >
          Sign out
        </button>
      </header>
      {error === undefined ? null : (
        <div role="alert" className="problem">
          {error}
        </div>
      )}
      <div className="body">
        <nav className="side" aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={current === to ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
