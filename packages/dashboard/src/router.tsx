import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

/** The dashboard's own paths are below this; the server answers index.html for any of them. */
export const base_path = '/dashboard';

/** The current route: the path below /dashboard (always starting with '/') and its query. */
export interface Route {
  readonly path: string;
  readonly query: URLSearchParams;
}

function currentRoute(): Route {
  const { pathname, search } = window.location;
  const below = pathname.startsWith(base_path) ? pathname.slice(base_path.length) : pathname;
  return { path: below === '' ? '/' : below, query: new URLSearchParams(search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${base_path}${to}`;
  if (options.replace === true) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}

/** A real link (it opens in a new tab, shows its address), navigating in place on a plain click. */
export function Link({ to, children, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={`${base_path}${to}`} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
