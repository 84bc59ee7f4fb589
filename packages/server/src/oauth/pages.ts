import { createHash } from 'node:crypto';
import { isPartnerScope, partner_scope_descriptions } from '../auth/partner-scopes.js';
import type { SpendPolicyValue } from '../policies/schemas.js';

/**
 * The consent pages a holder sees, rendered on the server: no script, no external asset, one
 * inline style allowed by its hash, forms that post only back here with a CSRF token.
 */

const style =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'h1{font-size:1.3rem}label{display:block;margin:.5rem 0}input[type=text],input[type=email]' +
  '{font-size:1rem;padding:.4rem;width:100%}button{font-size:1rem;padding:.5rem 1rem;margin:.5rem .5rem 0 0}' +
  '.muted{color:#666;font-size:.9rem}';

/** The Content-Security-Policy of every page: nothing loads and nothing frames it. */
export const page_csp = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`,
  "frame-ancestors 'none'",
  "base-uri 'none'",
  // No form-action: browsers apply it to the redirects after a post too, and the consent's
  // answer ends in a redirect to the app.
].join('; ');

/** The headers of every page: never cached, never framed, no referrer. */
export const page_headers = {
  'cache-control': 'no-store',
  'content-security-policy': page_csp,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${style}</style></head><body>${body}</body></html>`;
}

function form(action: string, csrf: string, fields: string): string {
  return `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">${fields}</form>`;
}

export function emailPage(heading: string, action: string, csrf: string, error?: string): string {
  return layout(
    'Sign in',
    `<h1>${escapeHtml(heading)}</h1>` +
      (error === undefined ? '' : `<p role="alert">${escapeHtml(error)}</p>`) +
      form(
        action,
        csrf,
        '<label>Your email <input type="email" name="email" required autocomplete="email"></label><button type="submit">Send me a code</button>',
      ),
  );
}

export function codePage(
  heading: string,
  action: string,
  csrf: string,
  challenge_id: string,
  error?: string,
): string {
  return layout(
    'Enter your code',
    `<h1>${escapeHtml(heading)}</h1>` +
      (error === undefined
        ? '<p>If this email belongs to an account, we sent it a code.</p>'
        : `<p role="alert">${escapeHtml(error)}</p>`) +
      form(
        action,
        csrf,
        `<input type="hidden" name="challenge_id" value="${escapeHtml(challenge_id)}"><label>Code <input type="text" name="code" required inputmode="numeric" autocomplete="one-time-code"></label><button type="submit">Sign in</button>`,
      ),
  );
}

export interface ConsentWallet {
  readonly id: string;
  readonly asset: string;
}

export interface ConsentPageInput {
  readonly app_name: string;
  readonly action: string;
  readonly csrf: string;
  readonly scopes: readonly string[];
  readonly wallets: readonly ConsentWallet[];
  readonly spend_policy: SpendPolicyValue | null;
  readonly error?: string;
}

export function consentPage(input: ConsentPageInput): string {
  const scopes = input.scopes
    .filter(isPartnerScope)
    .map((scope) => `<li>${escapeHtml(partner_scope_descriptions[scope])}</li>`)
    .join('');
  const wallets = input.wallets
    .map(
      (wallet) =>
        `<label><input type="checkbox" name="wallet_ids" value="${escapeHtml(wallet.id)}"> ${escapeHtml(wallet.asset)} wallet <span class="muted">${escapeHtml(wallet.id)}</span></label>`,
    )
    .join('');
  return layout(
    'Allow access',
    `<h1>Allow ${escapeHtml(input.app_name)} to:</h1><ul>${scopes}</ul>` +
      limitsOf(input.scopes.includes('payments:write') ? input.spend_policy : null) +
      (input.error === undefined ? '' : `<p role="alert">${escapeHtml(input.error)}</p>`) +
      form(
        input.action,
        input.csrf,
        `<fieldset><legend>On these wallets</legend>${wallets}</fieldset><button type="submit" name="decision" value="approve">Allow</button><button type="submit" name="decision" value="deny">Deny</button>`,
      ) +
      '<p class="muted">You can withdraw this access at any time.</p>',
  );
}

function limitsOf(policy: SpendPolicyValue | null): string {
  if (policy === null) return '';
  const lines = policy.limits.map((limit) => {
    const parts = [
      limit.per_movement_max === undefined ? undefined : `at most ${limit.per_movement_max} per payment`,
      limit.daily_max === undefined ? undefined : `${limit.daily_max} per day`,
      limit.weekly_max === undefined ? undefined : `${limit.weekly_max} per week`,
      limit.monthly_max === undefined ? undefined : `${limit.monthly_max} per month`,
    ].filter((part) => part !== undefined);
    return `<li>${escapeHtml(limit.currency)}: ${escapeHtml(parts.join(', ') || 'no amount limit')}</li>`;
  });
  return `<p>Payments are limited to:</p><ul>${lines.join('')}</ul>`;
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

export interface ConnectedApp {
  readonly consent_id: string;
  readonly app_name: string;
  readonly scopes: readonly string[];
  readonly wallet_ids: readonly string[];
  /** The revoke form's action and CSRF token. */
  readonly action: string;
  readonly csrf: string;
}

/** A signed-in holder's apps, each with a button that withdraws its access at once. */
export function connectedAppsPage(apps: readonly ConnectedApp[]): string {
  const items = apps.map(
    (app) =>
      `<li><strong>${escapeHtml(app.app_name)}</strong>: ${escapeHtml(
        app.scopes
          .filter(isPartnerScope)
          .map((scope) => partner_scope_descriptions[scope])
          .join('; '),
      )} <span class="muted">(${escapeHtml(app.wallet_ids.join(', '))})</span>${form(
        app.action,
        app.csrf,
        '<button type="submit">Remove access</button>',
      )}</li>`,
  );
  return layout(
    'Connected apps',
    `<h1>Apps connected to your wallets</h1>${
      items.length === 0 ? '<p>No app has access to your wallets.</p>' : `<ul>${items.join('')}</ul>`
    }`,
  );
}
