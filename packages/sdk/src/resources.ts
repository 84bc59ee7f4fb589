import { action, bytes, del, get, list, post, query } from './operation.js';

/**
 * Every resource of the API, declared once: a method name, the kind of call and the path in
 * openapi.json. Types come from the generated file; the plumbing from `bindOperation`. Resource
 * names are the API's own (`payout_batches`, `webhook_endpoints`).
 */
export const resources = {
  assets: {
    create: post('/v1/assets'),
    retrieve: get('/v1/assets/{code}'),
    list: list('/v1/assets'),
  },
  holders: {
    create: post('/v1/holders'),
    retrieve: get('/v1/holders/{id}'),
    update: post('/v1/holders/{id}'),
    list: list('/v1/holders'),
    enrollAuthenticator: post('/v1/holders/{id}/authenticator'),
    activateAuthenticator: post('/v1/holders/{id}/authenticator/activate'),
    retrieveAuthenticator: get('/v1/holders/{id}/authenticator'),
    deleteAuthenticator: del('/v1/holders/{id}/authenticator'),
  },
  wallets: {
    create: post('/v1/wallets'),
    retrieve: get('/v1/wallets/{id}'),
    list: list('/v1/wallets'),
    freeze: action('/v1/wallets/{id}/freeze'),
    unfreeze: action('/v1/wallets/{id}/unfreeze'),
    close: action('/v1/wallets/{id}/close'),
    balance: query('/v1/wallets/{id}/balance'),
    transactions: list('/v1/wallets/{id}/transactions'),
    /** CSV text. */
    statement: query('/v1/wallets/{id}/statement'),
    createDepositAddress: post('/v1/wallets/{id}/deposit_addresses'),
    setPayoutSchedule: post('/v1/wallets/{id}/payout_schedule'),
    retrievePayoutSchedule: get('/v1/wallets/{id}/payout_schedule'),
    deletePayoutSchedule: del('/v1/wallets/{id}/payout_schedule'),
  },
  transfers: {
    create: post('/v1/transfers'),
    retrieve: get('/v1/transfers/{id}'),
    list: list('/v1/transfers'),
    capture: post('/v1/transfers/{id}/capture'),
    void: action('/v1/transfers/{id}/void'),
    batch: post('/v1/transfers/batch'),
  },
  payments: {
    create: post('/v1/payments'),
    retrieve: get('/v1/payments/{id}'),
    list: list('/v1/payments'),
  },
  refunds: {
    create: post('/v1/refunds'),
    retrieve: get('/v1/refunds/{id}'),
    list: list('/v1/refunds'),
  },
  escrows: {
    create: post('/v1/escrows'),
    retrieve: get('/v1/escrows/{id}'),
    list: list('/v1/escrows'),
    release: post('/v1/escrows/{id}/release'),
    cancel: action('/v1/escrows/{id}/cancel'),
    dispute: post('/v1/escrows/{id}/dispute'),
    resolve: post('/v1/escrows/{id}/resolve'),
  },
  payouts: {
    create: post('/v1/payouts'),
    retrieve: get('/v1/payouts/{id}'),
    list: list('/v1/payouts'),
    cancel: action('/v1/payouts/{id}/cancel'),
    retry: action('/v1/payouts/{id}/retry'),
  },
  payout_batches: {
    create: post('/v1/payout_batches'),
    retrieve: get('/v1/payout_batches/{id}'),
  },
  payout_files: {
    create: post('/v1/payout_files'),
    retrieve: get('/v1/payout_files/{id}'),
    /** The pain.001 XML text. */
    xml: get('/v1/payout_files/{id}/xml'),
  },
  bank_statements: {
    create: post('/v1/bank_statements'),
    retrieve: get('/v1/bank_statements/{id}'),
  },
  events: {
    retrieve: get('/v1/events/{id}'),
    list: list('/v1/events'),
  },
  webhook_endpoints: {
    create: post('/v1/webhook_endpoints'),
    retrieve: get('/v1/webhook_endpoints/{id}'),
    update: post('/v1/webhook_endpoints/{id}'),
    list: list('/v1/webhook_endpoints'),
    del: del('/v1/webhook_endpoints/{id}'),
    rotateSecret: post('/v1/webhook_endpoints/{id}/rotate_secret'),
    replay: post('/v1/webhook_endpoints/{id}/replay'),
    deliveries: list('/v1/webhook_endpoints/{id}/deliveries'),
  },
  api_keys: {
    create: post('/v1/api_keys'),
    retrieve: get('/v1/api_keys/{id}'),
    update: post('/v1/api_keys/{id}'),
    list: list('/v1/api_keys'),
    revoke: action('/v1/api_keys/{id}/revoke'),
    roll: post('/v1/api_keys/{id}/roll'),
  },
  approvals: {
    retrieve: get('/v1/approvals/{id}'),
    list: list('/v1/approvals'),
    approve: action('/v1/approvals/{id}/approve'),
    reject: action('/v1/approvals/{id}/reject'),
  },
  challenges: {
    retrieve: get('/v1/challenges/{id}'),
    list: list('/v1/challenges'),
    confirm: post('/v1/challenges/{id}/confirm'),
    resend: post('/v1/challenges/{id}/resend'),
    cancel: post('/v1/challenges/{id}/cancel'),
  },
  risk_rules: {
    create: post('/v1/risk_rules'),
    retrieve: get('/v1/risk_rules/{id}'),
    update: post('/v1/risk_rules/{id}'),
    list: list('/v1/risk_rules'),
  },
  risk_decisions: {
    list: list('/v1/risk_decisions'),
  },
  audit_logs: {
    retrieve: get('/v1/audit_logs/{id}'),
    list: list('/v1/audit_logs'),
  },
  products: {
    create: post('/v1/products'),
    retrieve: get('/v1/products/{id}'),
    update: post('/v1/products/{id}'),
    list: list('/v1/products'),
  },
  prices: {
    create: post('/v1/prices'),
    retrieve: get('/v1/prices/{id}'),
    update: post('/v1/prices/{id}'),
    list: list('/v1/prices'),
  },
  coupons: {
    create: post('/v1/coupons'),
    retrieve: get('/v1/coupons/{id}'),
    update: post('/v1/coupons/{id}'),
    list: list('/v1/coupons'),
  },
  tax_rates: {
    create: post('/v1/tax_rates'),
    retrieve: get('/v1/tax_rates/{id}'),
    update: post('/v1/tax_rates/{id}'),
    list: list('/v1/tax_rates'),
  },
  subscriptions: {
    create: post('/v1/subscriptions'),
    retrieve: get('/v1/subscriptions/{id}'),
    update: post('/v1/subscriptions/{id}'),
    list: list('/v1/subscriptions'),
    cancel: post('/v1/subscriptions/{id}/cancel'),
    pause: action('/v1/subscriptions/{id}/pause'),
    resume: action('/v1/subscriptions/{id}/resume'),
  },
  usage_records: {
    create: post('/v1/usage_records'),
  },
  invoices: {
    create: post('/v1/invoices'),
    retrieve: get('/v1/invoices/{id}'),
    list: list('/v1/invoices'),
    /** The invoice as a PDF document, its bytes. */
    pdf: bytes('/v1/invoices/{id}/pdf', 'application/pdf'),
    finalize: action('/v1/invoices/{id}/finalize'),
    pay: post('/v1/invoices/{id}/pay'),
    void: action('/v1/invoices/{id}/void'),
    markUncollectible: action('/v1/invoices/{id}/mark_uncollectible'),
  },
  /** Simulated time for test-mode holders; see also `Purse.test_clocks.advanceAndWait`. */
  test_clocks: {
    create: post('/v1/test_clocks'),
    retrieve: get('/v1/test_clocks/{id}'),
    list: list('/v1/test_clocks'),
    /** Answers at once with status `advancing`; the clock turns `ready` when everything due ran. */
    advance: post('/v1/test_clocks/{id}/advance'),
  },
  reports: {
    trialBalance: get('/v1/reports/trial_balance'),
    fx: query('/v1/reports/fx'),
    /** The dashboard's overview of the last `days` (default 30): volumes, outcomes, balances, latency. */
    overview: query('/v1/reports/overview'),
  },
  /** Holders, wallets, transfers, payments and payouts by id, external id, email or exact amount. */
  search: {
    query: query('/v1/search'),
  },
  /** Exchange rates (docs/fx.md): an operator's, or imported from the ECB's reference-rate file. */
  fx_rates: {
    create: post('/v1/fx_rates'),
    retrieve: get('/v1/fx_rates/{id}'),
    list: list('/v1/fx_rates'),
    import: post('/v1/fx_rates/import'),
  },
  /** A rate and spread locked for one conversion, for 30 s by default. */
  fx_quotes: {
    create: post('/v1/fx_quotes'),
    retrieve: get('/v1/fx_quotes/{id}'),
  },
  conversions: {
    create: post('/v1/conversions'),
    retrieve: get('/v1/conversions/{id}'),
    list: list('/v1/conversions'),
  },
  /** KYC and KYB of holders (docs/identity.md); `create` takes the holder's id first. */
  verification_sessions: {
    create: post('/v1/holders/{id}/verification_sessions'),
    retrieve: get('/v1/verification_sessions/{id}'),
    update: post('/v1/verification_sessions/{id}'),
    list: list('/v1/verification_sessions'),
    approve: action('/v1/verification_sessions/{id}/approve'),
    reject: post('/v1/verification_sessions/{id}/reject'),
  },
  /** Partner apps (docs/oauth.md); `create` answers the client_secret once. */
  oauth_clients: {
    create: post('/v1/oauth_clients'),
    retrieve: get('/v1/oauth_clients/{id}'),
    list: list('/v1/oauth_clients'),
    del: del('/v1/oauth_clients/{id}'),
  },
  /** Dashboard operators (docs/dashboard.md); `create` answers the password and authenticator secret once. */
  operators: {
    create: post('/v1/operators'),
    retrieve: get('/v1/operators/{id}'),
    list: list('/v1/operators'),
    update: post('/v1/operators/{id}'),
  },
  /** Holders' consents to partner apps; revoking one stops its tokens at once. */
  consents: {
    retrieve: get('/v1/consents/{id}'),
    list: list('/v1/consents'),
    revoke: post('/v1/consents/{id}/revoke'),
  },
  /** Uploads are multipart (`POST /v1/files`, see docs/identity.md); the SDK reads their metadata. */
  files: {
    retrieve: get('/v1/files/{id}'),
  },
  /** Test-mode simulations of what rails and banks do (a live key gets `test_mode_only`). */
  test_helpers: {
    succeedPayment: post('/v1/test_helpers/payments/{id}/succeed'),
    failPayment: post('/v1/test_helpers/payments/{id}/fail'),
    confirmPayment: post('/v1/test_helpers/payments/{id}/confirm'),
    payoutInTransit: post('/v1/test_helpers/payouts/{id}/in_transit'),
    payPayout: post('/v1/test_helpers/payouts/{id}/pay'),
    failPayout: post('/v1/test_helpers/payouts/{id}/fail'),
    returnPayout: post('/v1/test_helpers/payouts/{id}/return'),
    succeedRefund: post('/v1/test_helpers/refunds/{id}/succeed'),
    failRefund: post('/v1/test_helpers/refunds/{id}/fail'),
    settleWallet: post('/v1/test_helpers/wallets/{id}/settle'),
    runPayoutSchedule: post('/v1/test_helpers/wallets/{id}/run_payout_schedule'),
    createCryptoDeposit: post('/v1/test_helpers/crypto_deposits'),
    revealChallengeCode: post('/v1/test_helpers/challenges/{id}/reveal_code'),
  },
} as const;
