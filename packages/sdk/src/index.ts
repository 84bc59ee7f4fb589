export { type BrowserSession, Purse, type PurseOptions } from './client.js';
export {
  ApiError,
  AuthenticationError,
  type ClientErrorCode,
  ConflictError,
  ConnectionError,
  type ErrorCode,
  IdempotencyError,
  InsufficientFundsError,
  InvalidRequestError,
  NotFoundError,
  PermissionError,
  type Problem,
  type ProblemCode,
  PurseError,
  RateLimitError,
  WebhookVerificationError,
} from './errors.js';
export type { components, paths } from './generated/openapi.js';
export { type Cursor, type Page, PageRequest } from './list.js';
export type { ListParams } from './operation.js';
export type { RequestOptions } from './request.js';
export type { FollowOptions } from './stream.js';
export type { AdvanceAndWaitOptions, TestClock } from './test-clocks.js';
export { type Event, type VerifyOptions, verifyWebhook, type WebhookHeaders } from './webhooks.js';
