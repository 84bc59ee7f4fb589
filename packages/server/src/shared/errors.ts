/**
 * The one catalogue of expected failures. A domain function returns a `DomainError` value; the HTTP
 * layer maps its code to a status and title through `catalogue`, which is typed as a total record
 * over `ErrorCode`: adding a code that is not mapped here does not compile.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'malformed_request'
  | 'request_timeout'
  | 'headers_too_large'
  | 'invalid_json'
  | 'invalid_amount'
  | 'invalid_api_version'
  | 'invalid_cursor'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'authentication_required'
  | 'invalid_api_key'
  | 'invalid_access_token'
  | 'insufficient_scope'
  | 'mode_mismatch'
  | 'resource_not_found'
  | 'route_not_found'
  | 'asset_exists'
  | 'asset_not_found'
  | 'holder_external_id_taken'
  | 'api_key_revoked'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'invalid_split'
  | 'same_wallet'
  | 'insufficient_funds'
  | 'balance_limit_exceeded'
  | 'wallet_frozen'
  | 'wallet_closed'
  | 'wallet_not_empty'
  | 'currency_mismatch'
  | 'hold_not_pending'
  | 'capture_exceeds_hold'
  | 'hold_expired'
  | 'escrow_not_active'
  | 'escrow_disputed'
  | 'escrow_not_disputed'
  | 'milestone_not_pending'
  | 'release_exceeds_remaining'
  | 'not_refundable'
  | 'refund_exceeds_remaining'
  | 'invalid_state'
  | 'test_mode_only'
  | 'bank_file_invalid'
  | 'rail_unavailable'
  | 'unknown_event_type'
  | 'event_archived'
  | 'invalid_webhook_url'
  | 'webhook_url_forbidden'
  | 'invalid_redirect_uri'
  | 'webhook_endpoint_disabled'
  | 'webhook_endpoint_limit_reached'
  | 'key_restricted'
  | 'api_key_exceeds_caller'
  | 'spend_limit_exceeded'
  | 'risk_blocked'
  | 'approval_not_pending'
  | 'approval_expired'
  | 'rate_limited'
  | 'service_unavailable'
  | 'lock_timeout'
  | 'queue_full'
  | 'subscription_canceled'
  | 'invoice_not_payable'
  | 'price_not_metered'
  | 'price_inactive'
  | 'price_mismatch'
  | 'coupon_not_applicable'
  | 'usage_identifier_reused'
  | 'test_clock_advancing'
  | 'challenge_not_pending'
  | 'challenge_expired'
  | 'challenge_code_invalid'
  | 'challenge_attempts_exceeded'
  | 'challenge_sends_exceeded'
  | 'challenge_channel_unavailable'
  | 'authenticator_exists'
  | 'authenticator_not_found'
  | 'holder_blocked'
  | 'file_type_unsupported'
  | 'file_too_large'
  | 'verification_in_progress'
  | 'fx_rate_unavailable'
  | 'fx_rate_stale'
  | 'amount_too_small'
  | 'quote_expired'
  | 'quote_already_used'
  | 'quote_holder_mismatch'
  | 'holder_mismatch'
  | 'invalid_credentials'
  | 'operator_locked'
  | 'session_required'
  | 'csrf_token_invalid'
  | 'operator_exists'
  | 'internal_error';

export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
  /** Set for transient refusals: the answer carries `Retry-After` with these seconds. */
  readonly retry_after_s?: number;
}

export const catalogue: { readonly [C in ErrorCode]: ErrorSpec } = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  malformed_request: { status: 400, title: 'The request is not valid HTTP' },
  request_timeout: { status: 408, title: 'The request did not arrive in time' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  invalid_json: { status: 400, title: 'The body is not valid JSON' },
  invalid_amount: { status: 400, title: 'The amount is not valid for its asset' },
  invalid_api_version: { status: 400, title: 'Unknown Purse-Version' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },
  unsupported_media_type: { status: 415, title: 'The body must be application/json' },
  body_too_large: { status: 413, title: 'The body is larger than allowed' },
  authentication_required: { status: 401, title: 'An API key is required' },
  invalid_api_key: { status: 401, title: 'The API key is not valid' },
  invalid_access_token: { status: 401, title: 'The OAuth access token is not valid' },
  insufficient_scope: { status: 403, title: 'The API key lacks a required scope' },
  mode_mismatch: { status: 403, title: 'The API key cannot act in that mode' },
  resource_not_found: { status: 404, title: 'No such object' },
  route_not_found: { status: 404, title: 'No such endpoint' },
  asset_exists: { status: 409, title: 'An asset with that code exists' },
  asset_not_found: { status: 400, title: 'Unknown asset' },
  holder_external_id_taken: { status: 409, title: 'Another holder has that external id' },
  api_key_revoked: { status: 409, title: 'The API key is already revoked' },
  idempotency_key_reused: { status: 422, title: 'The idempotency key was used with another request' },
  idempotency_key_in_use: {
    status: 409,
    title: 'A request with this idempotency key is in progress',
    retry_after_s: 1,
  },
  invalid_split: { status: 400, title: 'The destinations do not split the amount' },
  same_wallet: { status: 400, title: 'A transfer cannot pay its own source' },
  insufficient_funds: { status: 402, title: 'The wallet has insufficient available funds' },
  balance_limit_exceeded: {
    status: 422,
    title: 'The movement would take an account past the largest balance',
  },
  wallet_frozen: { status: 409, title: 'The wallet is frozen' },
  wallet_closed: { status: 409, title: 'The wallet is closed' },
  wallet_not_empty: { status: 409, title: 'Only a wallet with a zero balance can be closed' },
  currency_mismatch: { status: 400, title: 'The currencies do not match' },
  hold_not_pending: { status: 409, title: 'The transfer is not a pending hold' },
  capture_exceeds_hold: { status: 400, title: 'The capture exceeds the held amount' },
  hold_expired: { status: 409, title: 'The hold has expired' },
  escrow_not_active: { status: 409, title: 'The escrow has ended' },
  escrow_disputed: { status: 409, title: 'The escrow is disputed' },
  escrow_not_disputed: { status: 409, title: 'The escrow is not disputed' },
  milestone_not_pending: { status: 409, title: 'The milestone was already released or canceled' },
  release_exceeds_remaining: { status: 409, title: 'The release exceeds what remains in escrow' },
  not_refundable: { status: 409, title: 'The payment or transfer cannot be refunded in its state' },
  refund_exceeds_remaining: { status: 409, title: 'The refund exceeds what is left to refund' },
  invalid_state: { status: 409, title: 'The object is not in a state that allows this' },
  test_mode_only: { status: 403, title: 'Only a test-mode key can do this' },
  bank_file_invalid: { status: 400, title: 'The bank file cannot be read' },
  rail_unavailable: { status: 400, title: 'No payment rail can carry this in this mode' },
  unknown_event_type: { status: 400, title: 'No event type matches' },
  event_archived: { status: 410, title: 'The event was archived out of the database' },
  invalid_webhook_url: { status: 400, title: 'The webhook URL is not valid' },
  webhook_url_forbidden: { status: 400, title: 'The webhook URL points at a private network' },
  invalid_redirect_uri: { status: 400, title: 'The redirect URI is not allowed' },
  webhook_endpoint_disabled: { status: 409, title: 'The webhook endpoint is disabled' },
  webhook_endpoint_limit_reached: { status: 409, title: 'Too many webhook endpoints' },
  key_restricted: { status: 403, title: 'The API key is restricted and cannot do this' },
  api_key_exceeds_caller: { status: 403, title: 'The API key cannot manage a key more powerful than itself' },
  spend_limit_exceeded: { status: 403, title: "The movement exceeds the key's spend policy" },
  risk_blocked: { status: 403, title: 'A risk rule blocked the movement' },
  approval_not_pending: { status: 409, title: 'The approval was already decided' },
  approval_expired: { status: 409, title: 'The approval has expired' },
  rate_limited: { status: 429, title: 'Too many requests' },
  service_unavailable: { status: 503, title: 'The service is unavailable', retry_after_s: 1 },
  // Nothing was written: the same request (same Idempotency-Key) can be sent again as it is.
  lock_timeout: {
    status: 409,
    title: 'Another request holds an object this one needs; retry shortly',
    retry_after_s: 1,
  },
  queue_full: { status: 503, title: 'Too many transfers are waiting to be written', retry_after_s: 1 },
  subscription_canceled: { status: 409, title: 'The subscription is canceled' },
  invoice_not_payable: { status: 409, title: 'The invoice cannot be paid in its state' },
  price_not_metered: { status: 400, title: 'Usage can only be recorded for a metered price' },
  price_inactive: { status: 400, title: 'The price or its product is archived' },
  price_mismatch: { status: 400, title: "The prices do not share the subscription's currency and interval" },
  coupon_not_applicable: { status: 400, title: 'The coupon cannot be applied' },
  usage_identifier_reused: {
    status: 409,
    title: 'A usage record with this identifier records something else',
  },
  test_clock_advancing: { status: 409, title: 'The test clock is advancing' },
  challenge_not_pending: { status: 409, title: 'The challenge is no longer waiting for a code' },
  challenge_expired: { status: 409, title: 'The challenge has expired' },
  challenge_code_invalid: { status: 400, title: 'The code is not the one sent' },
  challenge_attempts_exceeded: { status: 429, title: 'The challenge has no attempts left' },
  challenge_sends_exceeded: { status: 429, title: 'The challenge has sent all the codes it may' },
  challenge_channel_unavailable: { status: 409, title: 'The holder cannot receive a code' },
  authenticator_exists: { status: 409, title: 'The holder already has an active authenticator app' },
  authenticator_not_found: { status: 404, title: 'The holder has no authenticator app' },
  holder_blocked: { status: 403, title: 'The holder is blocked by a sanctions match' },
  file_type_unsupported: { status: 415, title: 'The file is not a PDF, JPEG or PNG' },
  file_too_large: { status: 413, title: 'The file is larger than allowed' },
  verification_in_progress: { status: 409, title: 'The holder has a verification session in progress' },
  fx_rate_unavailable: { status: 400, title: 'No rate converts these currencies' },
  fx_rate_stale: { status: 422, title: 'The newest rate for these currencies is too old to quote' },
  amount_too_small: { status: 400, title: 'The amount converts to less than the smallest unit' },
  quote_expired: { status: 409, title: 'The quote has expired' },
  quote_already_used: { status: 409, title: 'The quote was already used' },
  quote_holder_mismatch: { status: 400, title: 'The quote was made for another holder' },
  holder_mismatch: { status: 400, title: 'The wallets belong to different holders' },
  invalid_credentials: { status: 401, title: 'The sign-in details are not right' },
  operator_locked: { status: 429, title: 'Too many failed sign-ins' },
  session_required: { status: 401, title: 'Sign in to the dashboard again' },
  csrf_token_invalid: { status: 403, title: 'The CSRF token is missing or wrong' },
  operator_exists: { status: 409, title: 'An operator with this email exists' },
  internal_error: { status: 500, title: 'Internal error' },
};

export interface DomainError {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly param?: string;
  /** The id of the object at fault, for a caller to name the request field it came from. Not sent. */
  readonly subject?: string;
}

export function domainError(code: ErrorCode, detail: string, param?: string): DomainError {
  return param === undefined ? { code, detail } : { code, detail, param };
}

export function notFound(what: string, id: string, param?: string): DomainError {
  return domainError('resource_not_found', `No ${what} with id "${id}"`, param);
}

/** A problem type URI per code; `docs/errors.md` describes each one. */
export function problemType(code: ErrorCode): string {
  return `urn:purse:problem:${code}`;
}

/** Thrown (not returned) only to cross framework boundaries such as Fastify hooks. */
export class HttpProblem extends Error {
  constructor(readonly problem: DomainError) {
    super(problem.detail);
  }
}
